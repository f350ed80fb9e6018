"""The ``trainer`` command: a thin layer that parses arguments and dispatches.

Each area registers its own sub-commands from a small ``commands`` module that
imports nothing heavy at module level, so ``trainer --help`` and
``trainer validate`` start fast and never import Textual.

Exit codes across commands: 0 success, 1 content or findings at the fail
level, 2 bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from trainer import __version__

#: Modules with a ``register(subparsers)`` function, in help order.
COMMAND_MODULES = (
    "trainer.cli.content",  # validate, schema, list
    "trainer.cli.calls",  # play, test, explore, graph
    "trainer.cli.rules",  # audit, rules
    "trainer.cli.intents",  # intents learn
    "trainer.cli.records",  # debrief, history, report, regrade, export, import
    "trainer.cli.approvals",  # approvals status|sign|report|verify
    "trainer.cli.db",  # db upgrade, db status
    "trainer.cli.classroom",  # class, assign, assignments
    "trainer.cli.serve",  # serve (the app in the browser, the dashboard)
    "trainer.tui.commands",  # tui (default when no command is given on a terminal)
)

#: The module that registers each command: a run imports only its command's module
#: (help, no command or an unknown word import them all). ``tests/test_cli.py``
#: checks this table against what the modules register.
COMMAND_HOMES = {
    **dict.fromkeys(("validate", "schema", "list"), "trainer.cli.content"),
    **dict.fromkeys(("play", "test", "explore", "graph"), "trainer.cli.calls"),
    **dict.fromkeys(("audit", "rules"), "trainer.cli.rules"),
    "intents": "trainer.cli.intents",
    **dict.fromkeys(
        ("debrief", "history", "report", "regrade", "export", "import"), "trainer.cli.records"
    ),
    "approvals": "trainer.cli.approvals",
    "db": "trainer.cli.db",
    **dict.fromkeys(("class", "assign", "assignments"), "trainer.cli.classroom"),
    "serve": "trainer.cli.serve",
    "tui": "trainer.tui.commands",
}

#: Global options that take a value (skipped when finding the command word); each may
#: also follow the command (`trainer import f --home x`).
_GLOBAL_VALUES = ("--home", "--store")


def _modules_for(argv: Sequence[str] | None) -> tuple[str, ...]:
    """The command modules a run needs: its command's alone, else all of them."""
    words = list(sys.argv[1:] if argv is None else argv)
    i = 0
    while i < len(words):
        word = words[i]
        if word in _GLOBAL_VALUES:
            i += 2
            continue
        if word.startswith(tuple(f"{option}=" for option in _GLOBAL_VALUES)):
            i += 1
            continue
        if word.startswith("-"):
            return COMMAND_MODULES  # top-level help, version or a mistake: show everything
        home = COMMAND_HOMES.get(word)
        return (home,) if home else COMMAND_MODULES
    return COMMAND_MODULES


class _Parser(argparse.ArgumentParser):
    """argparse with exit code 2 and a one-line error for bad usage."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser: every sub-command, or only those of the module ``argv``'s
    command lives in (so ``trainer list`` never imports the other areas' modules)."""
    parser = _Parser(prog="trainer", description="Script-training simulator for collection calls.")
    parser.add_argument("--version", action="version", version=f"trainer {__version__}")
    parser.add_argument(
        "--home",
        help="data folder for sessions and settings (default: $TRAINER_HOME or the user data dir)",
    )
    parser.add_argument(
        "--store",
        metavar="URL",
        help="session store: sqlite:///PATH or postgresql://USER@HOST:PORT/DB"
        " (default: $TRAINER_STORE, else trainer.db in the home folder)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _modules_for(argv) if argv is not None else COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(subparsers)
    _globals_after_command(subparsers)
    return parser


def _globals_after_command(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Let --home and --store also follow the command (`trainer import f --home x`,
    `trainer db upgrade --store URL`), at every level of sub-commands; SUPPRESS keeps a
    value given before the command when it is absent here."""
    for sub in subparsers.choices.values():
        for option in _GLOBAL_VALUES:
            if option not in sub._option_string_actions:
                sub.add_argument(option, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                _globals_after_command(action)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``trainer`` console script."""
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(words)
    args = parser.parse_args(words)
    handler = getattr(args, "handler", None)
    if handler is not None and not getattr(args, "light", False):
        from trainer.services.content import wire

        # every content kind is known before any command reads content; light commands
        # (list, validate, rules list/show) read content through the services, which wire
        # it when they load
        wire()
    if handler is None:
        handler = _default_handler(parser)
        if handler is None:
            return 0
    app = getattr(args, "command", None) in (None, "tui")
    saved = sys.stdout, sys.stderr
    if not app:  # the app draws with escape codes; everything else is text to read
        from trainer.safetext import SafeStream

        sys.stdout, sys.stderr = SafeStream(saved[0]), SafeStream(saved[1])
    try:
        code = int(handler(args) or 0)
        sys.stdout.flush()  # a full disk shows here, not as noise at exit
        return code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        _quiet_stdout()  # the reader left (`| head -1`): nothing more to say, no noise at exit
        return 141 if not app else 0
    except OSError as exc:
        if exc.filename is not None:
            raise
        _quiet_stdout()  # output itself failed (disk full, /dev/full): one line, exit 2
        saved[1].write(f"trainer: error: cannot write the output: {exc.strerror or exc}\n")
        return 2
    finally:
        sys.stdout, sys.stderr = saved


def _quiet_stdout() -> None:
    """Point standard output at the null device so the exit flush cannot fail again."""
    import os

    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.__stdout__.fileno() if sys.__stdout__ else 1)
    except (OSError, ValueError):
        pass


def _default_handler(parser: argparse.ArgumentParser):  # type: ignore[no-untyped-def]
    """No command: open the trainee app when it exists, else print help."""
    try:
        module = importlib.import_module("trainer.tui.commands")
    except ModuleNotFoundError:
        parser.print_help()
        sys.stdout.write("\nThe trainee app is not built yet; use the commands above.\n")
        return None
    return module.default_handler
