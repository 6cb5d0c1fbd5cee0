"""Entry point of the frozen program (PyInstaller): the same as the ``kexie`` command.

``multiprocessing.freeze_support()`` must run first: merge reads its inputs in worker processes
started with the ``spawn`` method, which re-runs this executable with ``--multiprocessing-fork``
(and the resource tracker with ``-c``); freeze_support turns such a run into the worker instead
of a second copy of the app.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from kexie.cli import main

    sys.exit(main())
