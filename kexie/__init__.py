"""Kexie Collect application shell: version, data folder, the ``kexie`` command, task progress."""

__version__ = "0.1.0"
