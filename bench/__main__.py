"""``python -m bench [--quick] [--only NAME...]``: the same as ``kexie bench``."""

from __future__ import annotations

import sys

from kexie.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
