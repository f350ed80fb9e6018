"""CLI: ``db upgrade`` and ``db status`` — the session store's schema.

The store is the one ``--store URL`` (or ``$TRAINER_STORE``) names, else the SQLite
file in the home folder. A PostgreSQL store is upgraded only by ``trainer db
upgrade`` (several hosts may share it: a newer trainer never changes it just by
starting); an SQLite file upgrades itself when opened, and ``db upgrade`` does
that explicitly. Exit codes: 0 done / current, 1 ``status`` found the schema behind
(or writes kept in the journal), 2 the store cannot be opened (one line).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from trainer.cli.util import guard


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``db upgrade`` and ``db status`` to the ``trainer`` parser."""
    db = subparsers.add_parser(
        "db",
        help="the session store's schema: upgrade, status",
        description="Upgrade or inspect the session store (--store URL, $TRAINER_STORE, or"
        " trainer.db in the home folder).",
    )
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = actions.add_parser(
        "upgrade",
        help="apply the missing schema steps",
        description="Apply the schema steps the store is missing (each in one transaction;"
        " safe to run from several hosts at once).",
    )
    upgrade.set_defaults(handler=guard(cmd_upgrade, _expected), light=True)
    status = actions.add_parser(
        "status",
        help="backend, schema version, sessions, kept writes",
        description="Show the store's backend, schema version against this trainer's,"
        " its number of sessions and any writes kept in the local journal."
        " Exit 1 when the schema is behind or writes are waiting.",
    )
    status.add_argument("--format", choices=("text", "json"), default="text")
    status.set_defaults(handler=guard(cmd_status, _expected), light=True)


def _expected() -> tuple[type[BaseException], ...]:
    from trainer.records import StoreError

    return (StoreError,)


def cmd_upgrade(args: argparse.Namespace) -> int:
    """``trainer db upgrade``: bring the store's schema to this trainer's version."""
    from trainer.records.stores import backend, open_store, sqlite_path, store_url

    url = store_url(getattr(args, "store", None))
    home = getattr(args, "home", None)
    if backend(url) == "sqlite":
        from trainer.records.sqlite import SCHEMA_VERSION, sqlite_version

        path = sqlite_path(url, home)
        before = sqlite_version(path)
        with open_store(url, home) as store:
            where = store.path
        _report(where, before, SCHEMA_VERSION)
        return 0
    from trainer.records.postgres import SCHEMA_VERSION as PG_VERSION
    from trainer.records.postgres import PgStore

    with open_store(url, home, check_schema=False) as pg:
        assert isinstance(pg, PgStore)
        before = pg.schema_version
        pg.upgrade()
        pg.replay_journal()
        where = pg.path
    _report(where, before, PG_VERSION)
    return 0


def _report(where: str, before: int, target: int) -> None:
    if before >= target:
        sys.stdout.write(f"{where}: schema v{before} is current\n")
    else:
        sys.stdout.write(f"{where}: schema v{before} → v{target}\n")


def cmd_status(args: argparse.Namespace) -> int:
    """``trainer db status``: backend, schema version, sessions and kept writes."""
    from trainer.records.stores import backend, open_store, sqlite_path, store_url

    url = store_url(getattr(args, "store", None))
    home = getattr(args, "home", None)
    info: dict[str, Any] = {"backend": backend(url)}
    if info["backend"] == "sqlite":
        from trainer.records.sqlite import SCHEMA_VERSION, sqlite_version

        path = sqlite_path(url, home)
        info.update(store=str(path), schema=sqlite_version(path), current=SCHEMA_VERSION)
        info["sessions"] = None
        info["kept_writes"] = 0
        if path.is_file() and info["schema"] == SCHEMA_VERSION:
            with open_store(url, home) as store:
                info["sessions"] = len(store.list_sessions())
    else:
        from trainer.records.postgres import SCHEMA_VERSION as PG_VERSION
        from trainer.records.postgres import PgStore

        with open_store(url, home, check_schema=False) as pg:
            assert isinstance(pg, PgStore)
            info.update(store=pg.path, schema=pg.schema_version, current=PG_VERSION)
            info["sessions"] = len(pg.list_sessions()) if info["schema"] == PG_VERSION else None
            info["kept_writes"] = len(pg.journal.pending()) if pg.journal is not None else 0
            info["journal"] = str(pg.journal.path) if pg.journal is not None else None
    behind = info["schema"] < info["current"]
    if args.format == "json":
        sys.stdout.write(json.dumps(info, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(f"store:    {info['store']} ({info['backend']})\n")
        state = "current" if not behind else "behind: run trainer db upgrade"
        if info["schema"] > info["current"]:
            state = "newer than this trainer: upgrade trainer"
        sys.stdout.write(
            f"schema:   v{info['schema']}, this trainer uses v{info['current']} ({state})\n"
        )
        if info["sessions"] is not None:
            sys.stdout.write(f"sessions: {info['sessions']}\n")
        if info["kept_writes"]:
            sys.stdout.write(
                f"journal:  {info['kept_writes']} write(s) kept in {info['journal']},"
                " saved when the store is reachable (trainer db upgrade saves them now)\n"
            )
    return 1 if behind or info["kept_writes"] else 0
