"""The store chosen by URL: ``--store URL``, else ``$TRAINER_STORE``, else SQLite at home.

- ``sqlite:///srv/trainer.db`` (absolute; ``sqlite:data/trainer.db`` is relative to
  the working folder): one file, for one person or a one-machine classroom.
- ``postgresql://user:pass@host:5432/trainer`` (or ``postgres://``): a shared server for
  several app hosts; any libpq URL parameter works (``?sslmode=require``, ``?host=/run/pg``).
- nothing: ``trainer.db`` in the home folder (``--home``, ``$TRAINER_HOME``, the user data
  folder), as before stores had URLs.

Only the top of the package (cli, tui, services) opens a store; everything below
talks to the `trainer.records.SessionStore` protocol. The PostgreSQL driver is
imported only when a PostgreSQL URL is opened.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from trainer.records.types import StoreError

if TYPE_CHECKING:
    from trainer.records.sqlbase import SqlStore

#: The environment variable that names the store when --store is not given.
ENV = "TRAINER_STORE"
_PG_SCHEMES = ("postgresql://", "postgres://")


def store_url(url: str | None = None) -> str | None:
    """The URL asked for: ``url``, else ``$TRAINER_STORE``; None means the home SQLite file."""
    return url or os.environ.get(ENV) or None


def backend(url: str | None) -> str:
    """``sqlite`` or ``postgresql`` for a store URL (None: the home SQLite file)."""
    if url is None or url.startswith("sqlite:"):
        return "sqlite"
    if url.startswith(_PG_SCHEMES):
        return "postgresql"
    scheme = url.partition(":")[0] if ":" in url else url
    raise StoreError(
        f"store URL {scheme[:30]!r}… is not one trainer can open: use sqlite:///PATH"
        " or postgresql://USER@HOST:PORT/DATABASE"
    )


def sqlite_path(url: str | None, home: str | Path | None) -> Path:
    """The SQLite file a URL (or the default) names."""
    from trainer.paths import home_dir
    from trainer.records.sqlite import DB_NAME

    if url is None:
        return home_dir(home) / DB_NAME
    rest = url.removeprefix("sqlite:").removeprefix("//")  # an empty authority
    if rest.startswith("/"):
        rest = "/" + rest.lstrip("/")  # sqlite:///srv/x and sqlite:////srv/x alike
    if not rest.strip("/"):
        raise StoreError(f"store URL {url!r} names no file: write sqlite:///PATH/trainer.db")
    return Path(rest).expanduser()


def open_store(
    url: str | None = None,
    home: str | Path | None = None,
    *,
    check_schema: bool = True,
    timeout: float = 3.0,
) -> SqlStore:
    """Open the store ``url`` names (see the module docstring).

    A PostgreSQL store keeps writes it cannot make in a journal in the home folder
    (`trainer.records.journal`). ``check_schema=False`` opens a PostgreSQL database
    whose schema is behind (for ``trainer db upgrade``); SQLite files always
    upgrade themselves on open.
    """
    url = store_url(url)
    if backend(url) == "postgresql":
        assert url is not None
        from trainer.paths import home_dir
        from trainer.records.journal import JOURNAL_NAME
        from trainer.records.postgres import PgStore

        return PgStore(
            url,
            journal=home_dir(home) / JOURNAL_NAME,
            check_schema=check_schema,
            timeout=timeout,
        )
    from trainer.records.sqlite import Store

    path = sqlite_path(url, home)
    if url is not None and not path.parent.is_dir():
        raise StoreError(f"{path}: cannot create the session database: no folder {path.parent}")
    return Store(path)
