"""CLI: ``serve`` — the trainee app in the browser and the instructor's dashboard.

Light at import (no aiohttp, no Textual): the server (`trainer.web`) is imported by
the handler.
Exit codes: 0 stopped with Ctrl+C, 2 bad usage, a store that cannot be opened or an
address that cannot be listened on (one line).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trainer.cli.util import UsageError, guard, whole_number

#: The limits an instructor may set: option, lowest, highest, default, metavar, help.
_LIMITS = (
    ("--max-per-host", 1, 1000, 4, "N", "app windows open at once from one address (default: 4)"),
    ("--max-apps", 1, 10000, 40, "N", "app windows open at once in all, one process each (40)"),
    ("--idle-minutes", 1, 1440, 20, "N", "close an app after N minutes without a key (20)"),
    ("--max-line", 20, 1000, 1000, "N", "longest line a trainee can type in a call (1000)"),
    ("--refresh", 2, 3600, 10, "SECONDS", "how often the dashboard reloads itself (10)"),
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``serve`` to the ``trainer`` parser."""
    parser = subparsers.add_parser(
        "serve",
        help="the trainee app in the browser, and the instructor's dashboard",
        description="Serve the trainee app to browsers (sign-in with a class member's"
        " token; each trainee gets their own app) and the instructor's dashboard at"
        " /dashboard, both over the store (--store / $TRAINER_STORE). Nothing is fetched"
        " from the internet.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=whole_number(1, 65535), default=8000, help="port (default: 8000)"
    )
    parser.add_argument(
        "--content",
        type=Path,
        action="append",
        metavar="PATH",
        help="content folder the apps and the dashboard use instead of the shipped",
    )
    parser.add_argument(
        "--shipped-libraries",
        action="store_true",
        help="with --content: also the shipped personas, intents, wording and scorecards",
    )
    for option, low, high, default, metavar, text in _LIMITS:
        parser.add_argument(
            option, type=whole_number(low, high), default=default, metavar=metavar, help=text
        )
    parser.set_defaults(handler=guard(cmd_serve, _expected))


def _expected() -> tuple[type[BaseException], ...]:
    from trainer.records import StoreError

    return (StoreError,)


def cmd_serve(args: argparse.Namespace) -> int:
    """``trainer serve``: run until Ctrl+C."""
    import socket

    from trainer.paths import home_dir
    from trainer.records.stores import open_store, store_url

    for path in args.content or []:
        if not path.exists():
            raise UsageError(f"{path}: no such file or folder")
    home = home_dir(getattr(args, "home", None))
    url = store_url(getattr(args, "store", None))
    store = open_store(url, home)
    if url is None:  # the apps must open the very file the server reads
        url = f"sqlite:///{store.path}"
    try:
        with socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((args.host, args.port))
    except OSError as exc:
        store.close()
        raise UsageError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
        ) from None
    from trainer.web.server import ServeConfig, serve

    config = ServeConfig(
        host=args.host,
        port=args.port,
        store_url=url,
        home=home,
        content=tuple(p.resolve() for p in args.content or ()),
        shipped_libraries=args.shipped_libraries,
        max_per_host=args.max_per_host,
        max_apps=args.max_apps,
        idle_seconds=args.idle_minutes * 60.0,
        max_line=args.max_line,
        refresh=args.refresh,
    )
    try:
        serve(config, store, lambda line: sys.stderr.write(line + "\n"))
    finally:
        store.close()
    return 0
