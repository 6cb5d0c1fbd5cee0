"""``python -m kexie`` is the same as ``kexie``."""

import sys

from kexie.cli import main

sys.exit(main())
