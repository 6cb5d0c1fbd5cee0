"""Render the application icon (desktop/resources/kexie.svg) to the PNG and ICO files the
packages need: ``kexie.png`` (256 px; Linux menus, PyInstaller on Linux) and ``kexie.ico``
(16-256 px; Windows executable and installer). Run after editing the SVG; the outputs are
committed so that building needs no SVG tools.

    python scripts/build_icons.py
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "desktop" / "resources"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(svg: Path, size: int) -> bytes:
    """PNG bytes of ``svg`` at ``size`` × ``size`` pixels (Qt's SVG renderer)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """An ICO file holding the PNG images (PNG-in-ICO, read by Windows Vista and later)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, png in sorted(pngs.items()):
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICO directory entry
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset)
        blobs += png
        offset += len(png)
    return header + entries + blobs


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    svg = RESOURCES / "kexie.svg"
    pngs = {size: render(svg, size) for size in ICO_SIZES}
    (RESOURCES / "kexie.png").write_bytes(pngs[256])
    (RESOURCES / "kexie.ico").write_bytes(ico(pngs))
    print(f"wrote {RESOURCES / 'kexie.png'} and {RESOURCES / 'kexie.ico'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
