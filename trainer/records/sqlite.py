"""Sessions on disk: an SQLite database in the trainee's home folder.

Why SQLite: one file, transactions, and WAL journaling give "never lose a
turn" for free. Every exchange (the agent's line and the debtor's answer) is
written in one transaction and committed before the engine returns, so a
``kill -9`` in the middle of a call loses nothing that was shown.

The schema is versioned with ``PRAGMA user_version``; `MIGRATIONS` lists the
steps from each version to the next and `Store` applies the missing ones when
it opens a database. Records come back as the frozen dataclasses of `trainer.records.types`
(`SessionRecord`, `TurnRecord`) with plain JSON-ready values, so the debrief, history, report,
regrade, export and import commands work without the engine.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from trainer.records.dberrors import guarded
from trainer.records.sqlbase import (
    CLASSROOM_SCHEMA,
    GUARDED_METHODS,
    SqlStore,
    split_statements,
)
from trainer.records.types import SessionRecord, StoreError, TurnRecord

__all__ = [
    "DB_NAME",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SessionRecord",
    "Store",
    "StoreError",
    "TurnRecord",
    "sqlite_version",
]

DB_NAME = "trainer.db"

#: Schema steps: MIGRATIONS[i] takes a database from version i to i + 1.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        trainee TEXT NOT NULL DEFAULT '',
        scenario_id TEXT NOT NULL,
        scenario_hash TEXT NOT NULL DEFAULT '',
        locale TEXT NOT NULL DEFAULT '',
        seed INTEGER NOT NULL DEFAULT 0,
        mode TEXT NOT NULL DEFAULT 'free',
        started_at TEXT NOT NULL,
        finished_at TEXT,
        ending_id TEXT,
        outcome TEXT,
        rulebook_id TEXT NOT NULL DEFAULT '',
        rulebook_version TEXT NOT NULL DEFAULT '',
        meters TEXT NOT NULL DEFAULT '{}',
        facts TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL DEFAULT 'in_progress'
            CHECK (status IN ('in_progress', 'finished', 'abandoned'))
    );
    CREATE INDEX sessions_trainee ON sessions (trainee, started_at);
    CREATE INDEX sessions_scenario ON sessions (scenario_id, started_at);
    CREATE TABLE turns (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        speaker TEXT NOT NULL CHECK (speaker IN ('agent', 'customer')),
        text TEXT NOT NULL,
        node TEXT NOT NULL DEFAULT '',
        intent TEXT,
        score REAL,
        findings TEXT NOT NULL DEFAULT '[]',
        meters TEXT NOT NULL DEFAULT '{}',
        at TEXT NOT NULL,
        PRIMARY KEY (session_id, idx)
    );
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # v2: the engine's resumable state (node, party, once-lines used, options)
    """
    ALTER TABLE sessions ADD COLUMN state TEXT NOT NULL DEFAULT '{}';
    """,
    # v3: every move an agent line made (a line can make several), in order
    """
    ALTER TABLE turns ADD COLUMN moves TEXT NOT NULL DEFAULT '[]';
    """,
    # v4: classes, their members (sign-in token digests) and assignments
    CLASSROOM_SCHEMA,
)
SCHEMA_VERSION = len(MIGRATIONS)


def sqlite_version(path: Path) -> int:
    """The schema version of the SQLite file at ``path``, read without changing it
    (0 when there is no file yet); StoreError when it is not a readable database."""
    if not path.is_file():
        return 0
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return int(db.execute("PRAGMA user_version").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot read the session database: {exc}") from None


class Store(SqlStore):
    """The session database. Thread-safe: one connection guarded by a lock.

    Open with ``Store.open(home)`` (the ``--home`` option, else ``$TRAINER_HOME``,
    else the user data folder) or ``Store(path)``; ``Store(":memory:")`` is a
    throw-away database for tests.
    """

    repair_hint = "fix or delete that row (sqlite3), or re-import the session"

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = str(path)
        self._lock = threading.RLock()
        #: True when the data folder cannot be written and the store was opened to read only
        self.read_only = False
        try:
            self._db = self._connect()
        except sqlite3.DatabaseError as exc:
            if self._cannot_create(exc):
                raise StoreError(
                    f"{self.path}: cannot create the session database: the data folder"
                    " cannot be written — run with --home DIR (a folder you can write to)"
                ) from None
            if not self._cannot_write(exc):
                raise StoreError(
                    f"{self.path}: cannot open the session database: {exc}"
                    " — restore it from a backup, or move it aside and a new one is started"
                ) from None
            self._open_read_only()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10.0)
        self._db = db
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys = ON")
        if self.path != ":memory:":
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
        self._migrate()
        return db

    def _cannot_create(self, exc: sqlite3.DatabaseError) -> bool:
        """True when there is no database yet and its folder cannot be written."""
        if self.path == ":memory:" or Path(self.path).exists():
            return False
        text = str(exc).lower()
        return Path(self.path).parent.is_dir() and ("readonly" in text or "unable to open" in text)

    def _cannot_write(self, exc: sqlite3.DatabaseError) -> bool:
        """True when opening failed because the folder or file cannot be written."""
        text = str(exc).lower()
        exists = self.path != ":memory:" and Path(self.path).is_file()
        return exists and ("readonly" in text or "unable to open" in text)

    def _open_read_only(self) -> None:
        """Open an existing database that cannot be written: reading commands still work.

        Only when its schema is current (nothing to migrate); every write then fails
        with one line saying the data folder is read-only (`dberrors.explain`).
        """
        uri = Path(self.path).resolve().as_uri()
        last: sqlite3.Error | None = None
        for mode in ("mode=ro", "immutable=1"):  # immutable: no -shm file can be made
            try:
                db = sqlite3.connect(
                    f"{uri}?{mode}", uri=True, check_same_thread=False, isolation_level=None
                )
                version = int(db.execute("PRAGMA user_version").fetchone()[0])
            except sqlite3.Error as exc:
                last = exc
                continue
            if version != SCHEMA_VERSION:
                db.close()
                raise StoreError(
                    f"{self.path}: the data folder is read-only and the database needs"
                    f" upgrading (schema v{version}, this trainer uses v{SCHEMA_VERSION})"
                    " — make the folder writable once, or use --home DIR"
                )
            db.row_factory = sqlite3.Row
            self._db = db
            self.read_only = True
            return
        raise StoreError(
            f"{self.path}: cannot open the session database to read: {last}"
            " — check the folder's permissions"
        )

    @classmethod
    def open(cls, home: str | Path | None = None) -> Store:
        """The store in the trainee's home folder (created on first use)."""
        from trainer.paths import home_dir

        return cls(home_dir(home) / DB_NAME)

    # ------------------------------------------------------------ plumbing

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: database schema v{version} is newer than this trainer"
                f" (v{SCHEMA_VERSION}); upgrade trainer"
            )
        for step in range(version, SCHEMA_VERSION):
            with self._transaction() as db:
                # another process may have run this step while we waited for the write
                # lock (many first runs at once on a fresh home): read again, inside it
                if int(db.execute("PRAGMA user_version").fetchone()[0]) > step:
                    continue
                for statement in split_statements(MIGRATIONS[step]):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {step + 1}")

    @property
    def schema_version(self) -> int:
        """The schema version of the open database."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except sqlite3.IntegrityError as exc:
                self._db.execute("ROLLBACK")
                raise StoreError(
                    f"conflicting write ({exc}): is this session open twice?"
                ) from None
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._db

    def close(self) -> None:
        """Close the database (the WAL is checkpointed by SQLite)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self


for _name in GUARDED_METHODS:  # one error policy for every database call (`dberrors`)
    setattr(Store, _name, guarded(getattr(Store, _name)))
