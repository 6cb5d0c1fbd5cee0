#!/usr/bin/env bash
# Install everything the tests need, then run them (lint included). Used by README and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: a CJK font (charts, screenshots), Qt's runtime libraries for offscreen
# rendering, LibreOffice (opens exported workbooks in a test). Skipped when already present.
need=()
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk fontconfig)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)  # printed PDFs: text, pages, PNGs
ldconfig -p 2>/dev/null | grep -q libEGL.so.1 || need+=(libegl1)
ldconfig -p 2>/dev/null | grep -q libxkbcommon.so.0 || need+=(libxkbcommon0)
ldconfig -p 2>/dev/null | grep -q libGL.so.1 || need+=(libgl1)
ldconfig -p 2>/dev/null | grep -q libdbus-1.so.3 || need+=(libdbus-1-3)
# The frozen program's checks (tests/distribution): Qt's X11 plugin libraries (what the .deb depends
# on), Xvfb for a real window, desktop-file-validate for the menu entry.
for pair in libxcb-cursor.so.0:libxcb-cursor0 libxcb-icccm.so.4:libxcb-icccm4 \
    libxcb-keysyms.so.1:libxcb-keysyms1 libxcb-image.so.0:libxcb-image0 \
    libxcb-render-util.so.0:libxcb-render-util0 libxcb-shape.so.0:libxcb-shape0 \
    libxcb-xkb.so.1:libxcb-xkb1 libxkbcommon-x11.so.0:libxkbcommon-x11-0 \
    libxcb-randr.so.0:libxcb-randr0 libxcb-xinerama.so.0:libxcb-xinerama0 \
    libxcb-sync.so.1:libxcb-sync1 libxcb-xfixes.so.0:libxcb-xfixes0 libxcb-shm.so.0:libxcb-shm0 \
    libxcb-util.so.1:libxcb-util1; do
  ldconfig -p 2>/dev/null | grep -q "${pair%%:*}" || need+=("${pair##*:}")
done
command -v xvfb-run >/dev/null 2>&1 || need+=(xvfb xauth)
command -v desktop-file-validate >/dev/null 2>&1 || need+=(desktop-file-utils)
command -v objdump >/dev/null 2>&1 || need+=(binutils)
if [ ${#need[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

python3 -m pip install -q --disable-pip-version-check -e ".[test,dist]"

export QT_QPA_PLATFORM=offscreen
python3 -m ruff check .
python3 -m ruff format --check .
python3 -m mypy                      # types of forms, localdb, exports, i18n, kexie ([tool.mypy])
python3 -c "from importlinter.cli import lint_imports_command as c; c()"  # the layers ([tool.importlinter])
python3 -m pytest -q "$@"
