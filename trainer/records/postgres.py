"""Sessions on a PostgreSQL server: the shared store of a classroom with several app hosts.

Opened by URL (``postgresql://user@host:5432/trainer``, see
`trainer.records.stores.open_store`) through psycopg 3 and a connection pool
(psycopg_pool), so each app process keeps a few connections open and a dropped
one is replaced. The tables and columns are those of the SQLite store
(`trainer.records.sqlbase` holds the shared queries); JSON values are stored as
JSON text in both, so a session moves between the two byte for byte.

Every exchange is written in one transaction and committed before the engine goes
on, as with SQLite. When the server cannot be reached, the write is kept in the
local journal (`trainer.records.journal`) and the caller gets one `StoreError`
line saying so; the journal is replayed on the next open or write.

Schema: versioned, hand-written SQL steps (`MIGRATIONS`), recorded in the
``trainer_schema`` table and applied only by ``trainer db upgrade``
(`PgStore.upgrade`, under an advisory lock, each step in its own transaction): on
a server shared by several hosts, a newer trainer must never change the schema
under an older one just by starting.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from trainer.records.dberrors import guarded_by
from trainer.records.journal import Journal
from trainer.records.sqlbase import (
    CLASSROOM_SCHEMA,
    GUARDED_METHODS,
    Cursor,
    SqlStore,
    split_statements,
    write_exchange,
)
from trainer.records.types import (
    STATUSES,
    Status,
    StoreError,
    StoreUnreachable,
    TurnRecord,
    now,
)

# The pool retries in the background and logs each failure; the store reports
# failures itself, in one line, so the pool's log stays out of the trainee's screen.
logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())

#: Schema steps: MIGRATIONS[i] takes a database from version i to i + 1. Step 1 is
#: the SQLite store's schema v3 in PostgreSQL types (TEXT JSON, BIGINT numbers).
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        trainee TEXT NOT NULL DEFAULT '',
        scenario_id TEXT NOT NULL,
        scenario_hash TEXT NOT NULL DEFAULT '',
        locale TEXT NOT NULL DEFAULT '',
        seed BIGINT NOT NULL DEFAULT 0,
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
            CHECK (status IN ('in_progress', 'finished', 'abandoned')),
        state TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX sessions_trainee ON sessions (trainee, started_at);
    CREATE INDEX sessions_scenario ON sessions (scenario_id, started_at);
    CREATE TABLE turns (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        idx BIGINT NOT NULL,
        speaker TEXT NOT NULL CHECK (speaker IN ('agent', 'customer')),
        text TEXT NOT NULL,
        node TEXT NOT NULL DEFAULT '',
        intent TEXT,
        score DOUBLE PRECISION,
        findings TEXT NOT NULL DEFAULT '[]',
        meters TEXT NOT NULL DEFAULT '{}',
        at TEXT NOT NULL,
        moves TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (session_id, idx)
    );
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # v2: classes, their members (sign-in token digests) and assignments
    CLASSROOM_SCHEMA,
)
SCHEMA_VERSION = len(MIGRATIONS)

#: A key for pg_advisory_xact_lock: one schema upgrade at a time per database.
_UPGRADE_LOCK = 0x7472_6169_6E65  # "traine"


def redact(url: str) -> str:
    """The URL without its password (in the authority or a ``password=`` parameter)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        netloc = f"{userinfo.partition(':')[0]}@{hostport}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "password"])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def explain(path: str, exc: psycopg.Error) -> StoreError:
    """The one-line error for a failure of the PostgreSQL store at ``path`` (a URL)."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, psycopg.OperationalError) and not isinstance(
        exc, psycopg.errors.InsufficientPrivilege
    ):
        return StoreUnreachable(
            f"{path}: the session store is unreachable ({text}) — check that the database"
            " server is running and the URL is right"
        )
    if isinstance(exc, psycopg.errors.UndefinedTable):
        return StoreError(
            f"{path}: the database has no trainer tables ({text}) — run: trainer db upgrade"
        )
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return StoreError(f"{path}: the database user may not do this ({text})")
    if isinstance(exc, psycopg.DataError) or "NUL" in text:
        return StoreError(f"{path}: cannot store this value: {text}")
    return StoreError(f"{path}: the session store failed ({text})")


class _PgDb:
    """A psycopg connection with the shared code's ``?`` placeholders."""

    _sql: ClassVar[dict[str, str]] = {}

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    @classmethod
    def _translate(cls, sql: str) -> str:
        found = cls._sql.get(sql)
        if found is None:
            found = cls._sql[sql] = sql.replace("%", "%%").replace("?", "%s")
        return found

    def execute(self, sql: str, args: Sequence[Any] = (), /) -> Cursor:
        return self.conn.execute(self._translate(sql), tuple(args))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]], /) -> None:
        if rows:
            with self.conn.cursor() as cursor:
                cursor.executemany(self._translate(sql), rows)


class PgStore(SqlStore):
    """The session store on a PostgreSQL server (``url``), with a pool of connections.

    ``journal``: the file that keeps writes while the server is unreachable (None:
    nothing is kept and the error alone is reported). ``timeout``: seconds to wait
    for a connection before the server counts as unreachable. ``check_schema=False``
    opens a database whose schema is not current (``trainer db upgrade|status``).
    """

    repair_hint = "fix or delete that row (psql), or re-import the session"

    def __init__(
        self,
        url: str,
        *,
        journal: Path | None = None,
        timeout: float = 3.0,
        max_connections: int = 8,
        check_schema: bool = True,
    ) -> None:
        super().__init__()
        self.url = url
        self.path = redact(url)
        self.journal = Journal(journal, self.path) if journal is not None else None
        self._timeout = timeout
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            timeout=timeout,
            kwargs={
                "autocommit": True,
                "row_factory": dict_row,
                "connect_timeout": max(1, round(timeout)),
            },
            check=ConnectionPool.check_connection,
            # no background retries with growing back-off while the server is down: the
            # next request connects afresh, so a restarted server is used at once
            reconnect_timeout=0,
            open=False,
            name="trainer-store",
        )
        try:
            # one direct connection first: a refused or failed connection is reported
            # with its own reason at once, not as a pool that timed out
            psycopg.connect(url, connect_timeout=max(1, round(timeout))).close()
            self._pool.open(wait=True, timeout=timeout)
            if check_schema:
                self._check_schema()
        except psycopg.Error as exc:
            self._pool.close()
            raise explain(self.path, exc) from None
        except BaseException:
            self._pool.close()
            raise
        if check_schema and self.journal is not None and self.journal.has_pending():
            self.replay_journal()  # only into current tables: never rejected for a stale schema

    # ------------------------------------------------------------ plumbing

    @contextmanager
    def _transaction(self) -> Iterator[_PgDb]:
        with self._pool.connection() as conn:
            try:
                with conn.transaction():
                    yield _PgDb(conn)
            except psycopg.errors.IntegrityError as exc:
                first = (str(exc).splitlines() or [""])[0]
                raise StoreError(
                    f"conflicting write ({first}): is this session open twice?"
                ) from None

    @contextmanager
    def _reading(self) -> Iterator[_PgDb]:
        with self._pool.connection() as conn:
            yield _PgDb(conn)

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.close()

    def __enter__(self) -> PgStore:
        return self

    # ------------------------------------------------------------ schema

    @property
    def schema_version(self) -> int:
        """The schema version of the database (0: no trainer tables yet)."""
        with self._reading() as db:
            exists = db.execute("SELECT to_regclass('trainer_schema') AS t").fetchone()
            if exists is None or exists["t"] is None:
                return 0
            row = db.execute("SELECT max(version) AS v FROM trainer_schema").fetchone()
        return int(row["v"] or 0) if row else 0

    def _check_schema(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: database schema v{version} is newer than this trainer"
                f" (v{SCHEMA_VERSION}); upgrade trainer"
            )
        if version < SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: the database schema is v{version}, this trainer uses"
                f" v{SCHEMA_VERSION} — run: trainer db upgrade --store URL"
            )

    def upgrade(self) -> list[int]:
        """Apply the missing schema steps; returns the versions reached (may be empty).

        Each step runs in one transaction holding an advisory lock, and reads the
        version again inside it, so two hosts upgrading at once apply each step once.
        """
        done: list[int] = []
        for step in range(SCHEMA_VERSION):
            with self._transaction() as db:
                db.execute("SELECT pg_advisory_xact_lock(?)", (_UPGRADE_LOCK,))
                db.execute(
                    "CREATE TABLE IF NOT EXISTS trainer_schema ("
                    " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
                )
                row = db.execute("SELECT max(version) AS v FROM trainer_schema").fetchone()
                current = int(row["v"] or 0) if row else 0
                if current > SCHEMA_VERSION:
                    raise StoreError(
                        f"{self.path}: database schema v{current} is newer than this trainer"
                        f" (v{SCHEMA_VERSION}); upgrade trainer"
                    )
                if current > step:
                    continue
                for statement in split_statements(MIGRATIONS[step]):
                    db.execute(statement)
                db.execute(
                    "INSERT INTO trainer_schema (version, applied_at) VALUES (?, ?)",
                    (step + 1, now()),
                )
                done.append(step + 1)
        return done

    # ------------------------------------------------------------ writes that are kept

    def append_turns(
        self,
        session_id: str,
        turns: Sequence[TurnRecord],
        *,
        meters: Mapping[str, int],
        facts: Sequence[str],
        state: Mapping[str, Any],
    ) -> None:
        """Write one exchange in one transaction; kept in the journal if the server is down."""
        stamp = now()
        self._write_or_keep(
            {
                "op": "append_turns",
                "session": session_id,
                "turns": [{**t.to_json(), "at": t.at or stamp} for t in turns],
                "meters": dict(meters),
                "facts": sorted(facts),
                "state": dict(state),
            }
        )

    def finish(
        self,
        session_id: str,
        *,
        ending_id: str | None,
        outcome: str | None,
        status: Status = "finished",
        finished_at: str | None = None,
    ) -> None:
        """Mark a session finished or abandoned; kept in the journal if the server is down."""
        if status not in STATUSES:
            raise StoreError(f"unknown status {status!r}")
        self._write_or_keep(
            {
                "op": "finish",
                "session": session_id,
                "ending_id": ending_id,
                "outcome": outcome,
                "status": status,
                "finished_at": finished_at or now(),
            }
        )

    def _write_or_keep(self, entry: dict[str, Any]) -> None:
        """Apply ``entry`` (after any kept writes); when the server cannot be reached,
        keep it in the journal and raise the one-line `StoreUnreachable`."""
        try:
            if self.journal is not None and self.journal.has_pending():
                self.replay_journal()
            try:
                self._apply(entry)
            except psycopg.OperationalError as exc:
                # a pooled connection the server dropped (it restarted) fails once; a
                # server that is down fails a direct connection too: report that at once
                self._probe(exc)
                try:
                    self._apply(entry)
                except psycopg.OperationalError as again:
                    raise explain(self.path, again) from None
        except StoreUnreachable as exc:
            if self.journal is None:
                raise
            self.journal.append(entry)
            raise StoreUnreachable(
                f"{exc} — what was typed is kept in {self.journal.path} and saved when the"
                " store is back"
            ) from None

    def _probe(self, failure: psycopg.OperationalError) -> None:
        """Raise `StoreUnreachable` with the server's own reason when a direct connection
        fails too (refused, timed out, no such host); return when it succeeds."""
        try:
            psycopg.connect(self.url, connect_timeout=max(1, round(self._timeout))).close()
        except psycopg.Error as exc:
            raise explain(self.path, exc) from failure

    def replay_journal(self) -> None:
        """Write the journal's kept writes for this store, in order (see `Journal.replay`)."""
        if self.journal is None:
            return

        def apply(entry: dict[str, Any]) -> None:
            try:
                self._apply(entry)
            except psycopg.Error as exc:
                raise explain(self.path, exc) from None

        self.skipped.extend(self.journal.replay(apply))

    def _apply(self, entry: Mapping[str, Any]) -> None:
        """One kept write, idempotently: an exchange already stored is not stored twice."""
        sid = str(entry["session"])
        with self._transaction() as db:
            self._require(db, sid)
            if entry["op"] == "finish":
                db.execute(
                    "UPDATE sessions SET status = ?, ending_id = ?, outcome = ?,"
                    " finished_at = ? WHERE id = ?",
                    (
                        entry["status"],
                        entry["ending_id"],
                        entry["outcome"],
                        entry["finished_at"],
                        sid,
                    ),
                )
                return
            turns = [TurnRecord.from_json(t) for t in entry["turns"]]
            stored = {
                int(r["idx"]): str(r["text"])
                for r in db.execute(
                    "SELECT idx, text FROM turns WHERE session_id = ? AND idx = ANY(?)",
                    (sid, [t.index for t in turns]),
                ).fetchall()
            }
            if stored:
                if stored == {t.index: t.text for t in turns}:
                    return  # committed before the answer was lost: already saved
                raise StoreError(
                    f"conflicting write: turn {min(stored)} of session {sid} is already"
                    " stored with other text: is this session open twice?"
                )
            write_exchange(
                db, sid, turns, meters=entry["meters"], facts=entry["facts"], state=entry["state"]
            )


for _name in GUARDED_METHODS:  # one error policy for every database call
    setattr(PgStore, _name, guarded_by(psycopg.Error, explain)(getattr(PgStore, _name)))
