"""The ``kexie`` command: opens the desktop app, and runs every job headless.

Each area registers its own sub-commands (``forms.cli``, ``localdb.cli``, ``exports.cli``,
``bench.cli``) through a ``register(subparsers)`` function; those modules import their heavy
dependencies inside the command functions so that ``kexie --help`` stays fast.

Errors: a :class:`~i18n.errors.KexieError` becomes one line on stderr in the user's language and
exit code 1. Anything unexpected is logged to a file and reported the same way: never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

import i18n
from i18n import tr
from i18n.errors import KexieError, UsageError
from kexie import __version__

COMMAND_MODULES = (
    "forms.cli",
    "localdb.cli",
    "exports.cli",
    "exports.loop_cli",
    "exports.logcli",
    "exports.datacli",
    "desktop.printcli",
    "bench.cli",
)


class _Parser(argparse.ArgumentParser):
    """argparse whose own complaints go through our error path (one translated line, exit 1)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError("cli.bad_arguments", detail=message, command=self.prog)


def build_parser() -> argparse.ArgumentParser:
    """The full ``kexie`` parser with every area's sub-commands."""
    parser = _Parser(prog="kexie", description=tr("app.description"))
    parser.add_argument("--version", action="version", version=f"kexie {__version__}")
    parser.add_argument("--data", metavar="DIR", help=tr("cli.opt.data"))
    parser.add_argument("--lang", choices=["zh_CN", "en"], help=tr("cli.opt.lang"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name in (
                name,
                name.partition(".")[0],
            ):  # an area not installed (bench: not in the wheel)
                continue
            raise
        module.register(sub)
    _accept_global_options_everywhere(sub)
    return parser


def _accept_global_options_everywhere(sub: argparse._SubParsersAction) -> None:
    """Let ``--data`` and ``--lang`` also follow the sub-command (``kexie import F --data D``)."""
    for child in set(sub.choices.values()):
        known = {opt for action in child._actions for opt in action.option_strings}
        if "--data" not in known:
            child.add_argument(
                "--data", metavar="DIR", default=argparse.SUPPRESS, help=tr("cli.opt.data")
            )
        if "--lang" not in known:
            child.add_argument(
                "--lang",
                choices=["zh_CN", "en"],
                default=argparse.SUPPRESS,
                help=tr("cli.opt.lang"),
            )
        for action in child._actions:
            if isinstance(action, argparse._SubParsersAction):
                _accept_global_options_everywhere(action)


def _log_unexpected(data: str | None) -> Path:
    """Write the current traceback to the data folder's error log (``--data`` or the default
    folder; the temporary folder if that cannot be written)."""
    from kexie import logs
    from kexie.paths import resolve_data_dir

    try:
        folder: Path | None = resolve_data_dir(data)
    except Exception:  # e.g. no home folder: still leave the report somewhere
        folder = None
    return logs.write_error(folder, traceback.format_exc())


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at devnull so interpreter shutdown does not complain."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _early_language(argv: Sequence[str]) -> None:
    i18n.init_from_environment()
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            i18n.set_language(argv[i + 1])
        elif arg.startswith("--lang="):
            i18n.set_language(arg.split("=", 1)[1])


def _early_data(argv: Sequence[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--data" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--data="):
            return arg.split("=", 1)[1]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _early_language(argv)
    data: str | None = _early_data(argv)  # where an error before parsing is logged
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        data = args.data or data
        if args.command is None:
            from desktop.app import run_app  # Qt only when the window is wanted

            return run_app(data_dir=args.data)
        return int(args.func(args) or 0)
    except KexieError as exc:
        print(exc.message(), file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        print(tr("error.interrupted"), file=sys.stderr)
        return 1
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0) if isinstance(exc.code, int) else 0
    except Exception as exc:  # the last line of defence: log it, never show a traceback
        log = _log_unexpected(data)
        print(tr("error.unexpected", error=type(exc).__name__, log=log), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
