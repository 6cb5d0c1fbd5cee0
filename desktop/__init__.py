"""The desktop app (PySide6 Qt Widgets): the only package that imports Qt.

It renders ``forms``, ``localdb`` and ``exports`` and holds no business rules. Entry point:
:func:`desktop.app.run_app`. Slow work goes through :func:`desktop.ops.run_op`; every exception a
user sees goes through :func:`desktop.errors.show_error`. See docs/desktop.md.
"""
