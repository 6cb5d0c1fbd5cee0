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
if [ ${#need[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

python3 -m pip install -q --disable-pip-version-check -e ".[test]"

export QT_QPA_PLATFORM=offscreen
python3 -m ruff check .
python3 -m ruff format --check .
python3 -m pytest -q "$@"
