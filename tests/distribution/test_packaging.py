"""The packaging is consistent without building it (fast; the real build is test_build.py):
the spec freezes every area with its data, the entry point supports merge's worker processes,
the .deb has the layout and metadata it promises, the Windows installer script matches the spec,
and the build's figures survive a benchmark run."""

from __future__ import annotations

import ast
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from kexie import cli

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "distribution" / "kexie.spec"


def _spec_tree() -> ast.Module:
    return ast.parse(SPEC.read_text(encoding="utf-8"))


def _spec_list(name: str) -> list:
    for node in ast.walk(_spec_tree()):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} not in the spec")


def test_spec_freezes_every_area_the_command_loads():
    ours = set(_spec_list("OURS"))
    excluded = set(_spec_list("excludes"))
    for module in cli.COMMAND_MODULES:
        area = module.partition(".")[0]
        assert area in ours or area in excluded, f"{area} is neither frozen nor excluded"
    for package in ("kexie", "forms", "localdb", "exports", "desktop", "i18n"):
        assert package in ours
    assert "bench" in excluded  # developer tool; the command copes without it (test_shell)


def test_spec_carries_every_package_data_folder():
    """What pyproject installs as package data is what the frozen program carries."""
    text = SPEC.read_text(encoding="utf-8")
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"][
        "setuptools"
    ]["package-data"]
    for package, patterns in package_data.items():
        for pattern in patterns:
            folder = Path(package.replace(".", "/")) / Path(pattern).parent
            dest = folder.as_posix()
            assert f'"{dest}")' in text, f"{dest} ({package}:{pattern}) is not in the spec"
            assert list((REPO / folder).glob(Path(pattern).name)), f"{folder} has no files"


def test_entry_point_calls_freeze_support_before_the_app():
    tree = ast.parse((REPO / "distribution" / "entry.py").read_text(encoding="utf-8"))
    main_block = next(n for n in tree.body if isinstance(n, ast.If))
    first = main_block.body[0]
    assert isinstance(first, ast.Expr) and ast.unparse(first) == "multiprocessing.freeze_support()"
    assert "kexie.cli" in ast.unparse(main_block)


def test_icons_exist_and_the_ico_holds_the_sizes_windows_uses():
    resources = REPO / "desktop" / "resources"
    ico = (resources / "kexie.ico").read_bytes()
    assert ico[:4] == b"\x00\x00\x01\x00"
    count = int.from_bytes(ico[4:6], "little")
    sizes = {ico[6 + 16 * i] or 256 for i in range(count)}
    assert {16, 32, 48, 256} <= sizes
    assert (resources / "kexie.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (resources / "kexie.svg").read_text(encoding="utf-8")


def test_desktop_entry(build_app):
    path = build_app.DESKTOP_FILE
    text = path.read_text(encoding="utf-8")
    assert f"Exec={build_app.INSTALL_DIR}/kexie" in text
    assert "Icon=kexie\n" in text and "Name[zh_CN]=科协数据采集" in text
    assert "Terminal=false" in text
    if shutil.which("desktop-file-validate"):
        done = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
        assert done.returncode == 0 and not done.stdout, done.stdout + done.stderr


def _fake_program(folder: Path) -> Path:
    app = folder / "kexie"
    (app / "_internal" / "i18n" / "catalog").mkdir(parents=True)
    (app / "kexie").write_text("#!/bin/sh\necho kexie 0\n")
    (app / "kexie").chmod(0o700)
    (app / "_internal" / "i18n" / "catalog" / "ui.json").write_text("{}")
    (app / "_internal" / "libQt6Core.so.6").write_bytes(b"\0" * 4096)
    (app / "_internal" / "libQt6Core.so").symlink_to("libQt6Core.so.6")
    return app


def test_deb_layout(tmp_path, build_app):
    root = build_app.stage_deb(_fake_program(tmp_path), tmp_path / "root", "amd64")
    opt = root / "opt" / "kexie"
    assert (opt / "kexie").stat().st_mode & 0o777 == 0o755
    assert (opt / "_internal" / "i18n" / "catalog" / "ui.json").stat().st_mode & 0o777 == 0o644
    assert (opt / "_internal" / "libQt6Core.so").is_symlink()  # links kept, not copied
    link = root / "usr" / "bin" / "kexie"
    assert link.is_symlink() and str(link.readlink()) == "/opt/kexie/kexie"
    assert (root / "usr/share/applications/kexie.desktop").exists()
    assert (root / "usr/share/icons/hicolor/256x256/apps/kexie.png").exists()
    assert (root / "usr/share/icons/hicolor/scalable/apps/kexie.svg").exists()
    assert (root / "usr/share/doc/kexie-collect/copyright").exists()
    control = (root / "DEBIAN" / "control").read_text(encoding="utf-8")
    fields = dict(
        line.split(": ", 1) for line in control.splitlines() if line and not line.startswith(" ")
    )
    assert fields["Package"] == "kexie-collect" and fields["Architecture"] == "amd64"
    assert fields["Version"] == build_app.version()
    assert "libxcb-cursor0" in fields["Depends"] and "libegl1" in fields["Depends"]
    assert fields["Depends"].startswith("libc6 (>= ")  # the build machine's glibc or newer
    assert int(fields["Installed-Size"]) >= 4
    # no maintainer scripts: dpkg's triggers update the menu and icon caches; uninstall is clean
    assert sorted(p.name for p in (root / "DEBIAN").iterdir()) == ["control"]


@pytest.mark.skipif(not shutil.which("dpkg-deb"), reason="dpkg-deb (Debian) not available")
def test_deb_builds_and_lists_its_files(tmp_path, build_app, monkeypatch):
    monkeypatch.setattr(build_app, "BUILD", tmp_path / "build")
    deb = build_app.build_deb(_fake_program(tmp_path), tmp_path)
    info = subprocess.run(["dpkg-deb", "-f", str(deb), "Package", "Version"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "kexie-collect" in info and build_app.version() in info
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                             check=True).stdout  # fmt: skip
    assert "root/root" in listing  # owned by root whoever builds it
    for path in ("./opt/kexie/kexie", "./usr/bin/kexie -> /opt/kexie/kexie",
                 "./usr/share/applications/kexie.desktop"):  # fmt: skip
        assert path in listing


def test_windows_installer_script_matches_the_spec():
    iss = REPO / "distribution" / "windows" / "kexie.iss"
    raw = iss.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Inno Setup needs the BOM to read UTF-8"
    text = raw.decode("utf-8-sig")
    spec = SPEC.read_text(encoding="utf-8")
    assert 'name="KexieCollect"' in spec and 'name="kexie"' in spec
    assert r"{app}\KexieCollect.exe" in text  # the shortcut starts the windowed program
    assert "#define AppVersion" in text and "MinVersion=10.0" in text
    assert (iss.parent / r"..\..\desktop\resources\kexie.ico".replace("\\", "/")).resolve().exists()
    assert "NOT BUILT OR TESTED" in text


def _git_ignored(paths: list[str]) -> list[str]:
    if not (REPO / ".git").exists() or not shutil.which("git"):
        pytest.skip("not a git checkout")
    done = subprocess.run(["git", "check-ignore", "--no-index", *paths], cwd=REPO,
                          capture_output=True, text=True)  # fmt: skip
    return done.stdout.split()


def test_build_outputs_are_ignored_by_git():
    outputs = ["dist/kexie/kexie", "dist/kexie-collect_0.1.0_amd64.deb", "build/deb/x/DEBIAN"]
    assert _git_ignored(outputs) == outputs


def test_no_source_of_the_distribution_is_ignored_by_git():
    """A folder named like an output (tests/dist/ was) must not be silently left uncommitted."""
    files = [
        str(p.relative_to(REPO))
        for folder in ("tests", "distribution", "scripts", "desktop", "docs")
        for p in (REPO / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    assert _git_ignored(files) == []


def _figures() -> dict:
    return {
        "version": "0.1.0", "size_bytes": 270e6, "files": 1000, "warm": [0.9, 1.0, 1.1],
        "source": [1.2, 1.3], "cold": [], "cold_source": [], "machine": "Linux x86_64, 2 cores",
        "when": "2026-12-01 10:00 UTC",
    }  # fmt: skip


def test_build_figures_survive_a_benchmark_run(tmp_path, build_app):
    """scripts/build_app.py --measure writes its section; python -m bench rewrites only its own."""
    from bench import report
    from bench.runner import Result

    doc = tmp_path / "performance.md"
    report.write_doc(Result(quick=True, rows=[]), doc)
    build_app.write_doc(_figures(), doc)
    report.write_doc(Result(quick=True, rows=[]), doc)
    report.write_doc(Result(quick=False, rows=[]), doc)
    text = doc.read_text(encoding="utf-8")
    assert text.count("## Frozen program (distribution)") == 1
    assert "median 1.00 s" in text and "< 2 s: met" in text
    build_app.write_doc({**_figures(), "warm": [2.5]}, doc)  # replaces, never appends
    text = doc.read_text(encoding="utf-8")
    assert text.count("<!-- dist -->") == 1 and "< 2 s: MISSED" in text
    assert "<!-- bench:quick -->" in text and "<!-- bench:full -->" in text
