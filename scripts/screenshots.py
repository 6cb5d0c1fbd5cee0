"""Regenerate docs/screenshots/*.png from the real app with demo data, in Chinese and English.

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py [OUT_DIR]

Each screen is rendered offscreen with ``widget.grab()``; the data folder is a fresh temporary
one filled by ``kexie demo`` (``localdb.demo.run_demo``) with a fixed seed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

SIZE = (1366, 768)  # a common old-laptop screen
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    # an offscreen "screen" of that size, so the window is laid out as on such a laptop
    _config = Path(tempfile.gettempdir()) / "kexie-screenshots-screen.json"
    _screen = {"name": "laptop", "x": 0, "y": 0, "width": SIZE[0], "height": SIZE[1]}
    _screen.update({"logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1})
    _config.write_text(json.dumps({"screens": [_screen]}), encoding="utf-8")
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_config}"

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

COUNTY = "110108000000"  # 北京市海淀区


def _settle(app) -> None:
    for _ in range(5):
        app.processEvents()


def _save(widget, out: Path, name: str, lang: str, app) -> Path:
    _settle(app)
    path = out / f"{name}-{lang}.png"
    widget.grab().save(str(path))
    print(path)
    return path


def _township_bundles(tmp: Path) -> list[Path]:
    """Two townships' bundles (for the import list) and one from another province."""
    from exports import export_bundle
    from localdb import open_store
    from localdb.demo import run_demo

    out = []
    for code in ("110108001000", "110108002000", "330106002000"):
        path = tmp / f"kexie-export-{code}.xlsx"
        with open_store(tmp / code) as store:
            store.set_unit(code)
            store.set_clerk("李华")
            run_demo(store, records=5, seed=int(code[-6:-3]))
            export_bundle(store, path)
        out.append(path)
    return out


def shoot(out: Path) -> list[Path]:
    """Render every main screen in both languages into ``out``."""
    import i18n
    from desktop.app import application
    from desktop.firstrun import FirstRunDialog
    from desktop.lang import switch_language
    from desktop.mainwindow import MainWindow
    from forms.periods import current_period
    from localdb import open_store
    from localdb.demo import run_demo

    app = application()
    out.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        # First run, before any unit is chosen.
        with open_store(Path(tmp) / "fresh") as fresh:
            for lang in ("zh_CN", "en"):
                switch_language(lang)
                dialog = FirstRunDialog(fresh)
                dialog.resize(760, 560)
                dialog.show()
                dialog.search.setText("hd")
                dialog.results.setCurrentRow(2)
                dialog.clerk.setText("王小明" if lang == "zh_CN" else "Wang Xiaoming")
                shots.append(_save(dialog, out, "first-run", lang, app))
                dialog.close()

        bundles = _township_bundles(Path(tmp))
        with open_store(Path(tmp) / "data") as store:
            store.set_unit(COUNTY)
            store.set_clerk("王小明")
            run_demo(store, records=60, seed=2026)
            window = MainWindow(store)
            window.resize(*SIZE)
            window.show()
            for lang in ("zh_CN", "en"):
                switch_language(lang)
                window.go_home()
                shots.append(_save(window, out, "home", lang, app))

                # the demo has filled every period that has ended: show this month's, new
                report = window.open_entry(
                    "kexie_volunteer_monthly", period=current_period("month")
                )
                for name, raw in (("vol_registered", "120"), ("vol_new", "45"),
                                  ("vol_female", "52"), ("vol_young", "38"),
                                  ("vol_retired", "9"), ("vol_active", "36")):  # fmt: skip
                    report.set_raw(name, raw)
                report.rows["vol_active"].editor.focus()
                shots.append(_save(window, out, "report-entry", lang, app))
                # keyboard entry further down: the focused cell is scrolled into view
                report.rows["phone"].editor.focus()
                shots.append(_save(window, out, "report-cover", lang, app))
                window.close_page(report)

                interview = window.open_entry("kexie_survey")
                for name, raw in (("interviewer_id", "F0123"), ("site_code", "110108"),
                                  ("site_name", "海淀区医院"), ("respondent_no", "17"),
                                  ("interview_mode", "face"), ("consent", "yes"),
                                  ("sex", "female"), ("birth_year", "1986"),
                                  ("employer_type", "enterprise")):  # fmt: skip
                    interview.set_raw(name, raw)
                interview.interviewer.setText("F0123")
                interview.go_next()
                shots.append(_save(window, out, "interview", lang, app))
                interview.jump_to("sat_income")  # the likert block as a compact grid
                shots.append(_save(window, out, "interview-likert", lang, app))
                interview.show_index(len(interview.pages))
                shots.append(_save(window, out, "interview-review", lang, app))
                window.close_page(interview)

                window.open_records("kexie_survey")
                shots.append(_save(window, out, "records", lang, app))
                window.nav.setCurrentRow(2)
                shots.append(_save(window, out, "dashboard", lang, app))

                from desktop.importing import ImportDialog
                from desktop.settings import SettingsDialog

                settings = SettingsDialog(window)
                settings.show()
                shots.append(_save(settings, out, "settings", lang, app))
                settings.close()
                importing = ImportDialog(window, [str(p) for p in bundles])
                importing.show()
                shots.append(_save(importing, out, "import", lang, app))
                importing.close()
                window.go_home()
                help_dialog = window.guide()
                shots.append(_save(help_dialog, out, "help", lang, app))
                help_dialog.close()
            window.close()
            import shiboken6

            shiboken6.delete(window)  # before the store closes: no more language listeners
    switch_language(i18n.DEFAULT_LANGUAGE)
    return shots


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots"
    shoot(target)
