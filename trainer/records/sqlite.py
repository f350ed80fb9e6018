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

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from trainer.records.dberrors import BadRow, guarded, int_cell, text_cell
from trainer.records.types import (
    STATUSES,
    SessionRecord,
    Status,
    StoreError,
    TurnRecord,
    check_session_id,
    now,
)

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
)
SCHEMA_VERSION = len(MIGRATIONS)


_SESSION_COLUMNS = (
    "id, trainee, scenario_id, scenario_hash, locale, seed, mode, started_at, finished_at, "
    "ending_id, outcome, rulebook_id, rulebook_version, meters, facts, status, state"
)


class Store:
    """The session database. Thread-safe: one connection guarded by a lock.

    Open with ``Store.open(home)`` (the ``--home`` option, else ``$TRAINER_HOME``,
    else the user data folder) or ``Store(path)``; ``Store(":memory:")`` is a
    throw-away database for tests.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        #: True when the data folder cannot be written and the store was opened to read only
        self.read_only = False
        #: Warnings about rows skipped by listings (a bad cell), for the front end to show
        self.skipped: list[str] = []
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
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
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

    def close(self) -> None:
        """Close the database (the WAL is checkpointed by SQLite)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ writing a call

    def create_session(
        self,
        *,
        scenario_id: str,
        trainee: str = "",
        scenario_hash: str = "",
        locale: str = "",
        seed: int = 0,
        mode: str = "free",
        rulebook_id: str = "",
        rulebook_version: str = "",
        meters: Mapping[str, int] | None = None,
        facts: Sequence[str] = (),
        state: Mapping[str, Any] | None = None,
        started_at: str | None = None,
        session_id: str | None = None,
    ) -> str:
        """Start a session row and return its id (12 hex digits unless given)."""
        sid = check_session_id(session_id) if session_id else uuid.uuid4().hex[:12]
        with self._transaction() as db:
            db.execute(
                f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?, ?, ?, 'in_progress', ?)",
                (
                    sid,
                    trainee,
                    scenario_id,
                    scenario_hash,
                    locale,
                    seed,
                    mode,
                    started_at or now(),
                    rulebook_id,
                    rulebook_version,
                    _dump(dict(meters or {})),
                    _dump(sorted(facts)),
                    _dump(dict(state or {})),
                ),
            )
        return sid

    def append_turns(
        self,
        session_id: str,
        turns: Sequence[TurnRecord],
        *,
        meters: Mapping[str, int],
        facts: Sequence[str],
        state: Mapping[str, Any],
    ) -> None:
        """Write one exchange (its turns and the session's new state) in one transaction."""
        with self._transaction() as db:
            self._require(db, session_id)
            db.executemany(
                _TURN_INSERT,
                [_turn_row(session_id, t, t.at or now()) for t in turns],
            )
            db.execute(
                "UPDATE sessions SET meters = ?, facts = ?, state = ? WHERE id = ?",
                (_dump(dict(meters)), _dump(sorted(facts)), _dump(dict(state)), session_id),
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
        """Mark a session finished (with its ending) or abandoned."""
        if status not in STATUSES:
            raise StoreError(f"unknown status {status!r}")
        with self._transaction() as db:
            self._require(db, session_id)
            db.execute(
                "UPDATE sessions SET status = ?, ending_id = ?, outcome = ?, finished_at = ?"
                " WHERE id = ?",
                (status, ending_id, outcome, finished_at or now(), session_id),
            )

    def abandon(self, session_id: str) -> None:
        """Mark an unfinished session abandoned (the trainee gave up)."""
        self.finish(session_id, ending_id=None, outcome=None, status="abandoned")

    def set_rulebook(self, session_id: str, rulebook_id: str, version: str) -> None:
        """Record which rulebook graded the session (regrade updates it)."""
        with self._transaction() as db:
            self._require(db, session_id)
            db.execute(
                "UPDATE sessions SET rulebook_id = ?, rulebook_version = ? WHERE id = ?",
                (rulebook_id, version, session_id),
            )

    def update_findings(
        self, session_id: str, findings: Mapping[int, Sequence[Mapping[str, Any]]]
    ) -> None:
        """Replace the findings of some turns (turn index → findings as JSON), atomically."""
        with self._transaction() as db:
            self._require(db, session_id)
            for index, items in findings.items():
                db.execute(
                    "UPDATE turns SET findings = ? WHERE session_id = ? AND idx = ?",
                    (_dump([dict(f) for f in items]), session_id, index),
                )

    def import_record(self, record: SessionRecord, *, replace_existing: bool = False) -> str:
        """Insert a whole session (from an export). Returns its id.

        An id that already exists is an error unless ``replace_existing``; an id that
        is not a session id (`check_session_id`) is refused before anything is written.
        """
        return self.import_records([record], replace_existing=replace_existing)[0]

    def import_records(
        self, records: Sequence[SessionRecord], *, replace_existing: bool = False
    ) -> list[str]:
        """Insert whole sessions in one transaction: all of them or none.

        Every id is checked first (`check_session_id`, and against the sessions
        already stored unless ``replace_existing``), so a collision on the tenth
        session leaves the first nine unwritten too.
        """
        for record in records:
            check_session_id(record.id)
        ids = [record.id for record in records]
        if len(set(ids)) != len(ids):
            raise StoreError("the file holds the same session twice; nothing was imported")
        with self._transaction() as db:
            taken = [
                sid
                for sid in ids
                if db.execute("SELECT 1 FROM sessions WHERE id = ?", (sid,)).fetchone()
            ]
            if taken and not replace_existing:
                raise StoreError(
                    f"session {taken[0]} already exists"
                    + (f" (and {len(taken) - 1} more)" if len(taken) > 1 else "")
                    + "; nothing was imported (use --replace to overwrite)"
                )
            for sid in taken:
                db.execute("DELETE FROM sessions WHERE id = ?", (sid,))
            for record in records:
                self._insert(db, record)
        return ids

    @staticmethod
    def _insert(db: sqlite3.Connection, record: SessionRecord) -> None:
        """Insert a whole session and its turns (inside the caller's transaction)."""
        db.execute(
            f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.id,
                record.trainee,
                record.scenario_id,
                record.scenario_hash,
                record.locale,
                record.seed,
                record.mode,
                record.started_at,
                record.finished_at,
                record.ending_id,
                record.outcome,
                record.rulebook_id,
                record.rulebook_version,
                _dump(record.meters),
                _dump(list(record.facts)),
                record.status,
                _dump(record.state),
            ),
        )
        db.executemany(
            _TURN_INSERT,
            [_turn_row(record.id, t, t.at or record.started_at) for t in record.turns],
        )

    def delete_session(self, session_id: str) -> None:
        """Remove a session and its turns."""
        with self._transaction() as db:
            self._require(db, session_id)
            db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    # ------------------------------------------------------------ reading

    def resolve_id(self, prefix: str) -> str:
        """The full id of the session whose id starts with ``prefix`` (at least 4 characters)."""
        given = prefix.strip()
        prefix = given.lower()
        with self._lock:
            # exact first, as given: a row stored before ids were checked stays reachable
            for candidate in dict.fromkeys((given, prefix)):
                exact = self._db.execute(
                    "SELECT id FROM sessions WHERE id = ?", (candidate,)
                ).fetchone()
                if exact:
                    return str(exact[0])
            if len(prefix) < 4 or not all(c in "0123456789abcdef" for c in prefix):
                raise StoreError(f"no session {prefix!r}")
            rows = self._db.execute(
                "SELECT id FROM sessions WHERE id LIKE ? LIMIT 2", (prefix + "%",)
            ).fetchall()
        if not rows:
            raise StoreError(f"no session {prefix!r}")
        if len(rows) > 1:
            raise StoreError(f"session id {prefix!r} is ambiguous; give more characters")
        return str(rows[0][0])

    def load(self, session_id: str) -> SessionRecord:
        """A whole session with its turns (``session_id`` may be a unique prefix)."""
        sid = self.resolve_id(session_id)
        with self._lock:
            row = self._db.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?", (sid,)
            ).fetchone()
            turn_rows = self._db.execute(
                "SELECT idx, speaker, text, node, intent, score, findings, meters, at, moves"
                " FROM turns WHERE session_id = ? ORDER BY idx",
                (sid,),
            ).fetchall()
        turns = []
        for r in turn_rows:
            try:
                turns.append(_turn(r))
            except BadRow as exc:  # the rest of the call is still worth showing
                self.skipped.append(
                    f"{self.path}: skipped turn {r['idx']!r} of session {sid!r}: {exc}"
                    " — fix or delete that row (sqlite3), or re-import the session"
                )
        try:
            return replace(_session(row, len(turn_rows)), turns=tuple(turns))
        except BadRow as exc:
            raise StoreError(
                f"{self.path}: session {sid!r} is damaged: {exc}"
                " — fix or delete that row (sqlite3), or re-import the session"
            ) from None

    def list_sessions(
        self,
        *,
        trainee: str | None = None,
        scenario_id: str | None = None,
        status: Status | None = None,
        since: str | None = None,
        limit: int | None = None,
    ) -> list[SessionRecord]:
        """Sessions, newest first, without turns (``turn_count`` is set)."""
        where, args = [], []
        for column, value in (
            ("trainee", trainee),
            ("scenario_id", scenario_id),
            ("status", status),
        ):
            if value is not None:
                where.append(f"s.{column} = ?")
                args.append(value)
        if since is not None:
            where.append("s.started_at >= ?")
            args.append(since)
        sql = (
            f"SELECT {', '.join('s.' + c.strip() for c in _SESSION_COLUMNS.split(','))},"
            " (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id) AS turn_count"
            " FROM sessions s"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY s.started_at DESC, s.id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        sessions = []
        for row in rows:
            try:
                sessions.append(_session(row, int(row["turn_count"])))
            except BadRow as exc:
                self.skipped.append(
                    f"{self.path}: skipped session {row['id']!r}: {exc}"
                    " — fix or delete that row (sqlite3), or re-import the session"
                )
        return sessions

    def trainees(self) -> list[str]:
        """Every trainee name with at least one session, sorted."""
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT trainee FROM sessions ORDER BY trainee")
            return [str(r[0]) for r in rows.fetchall()]

    # ------------------------------------------------------------ settings

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        """One of the trainee's settings (name, language, mode, theme…)."""
        with self._lock:
            row = self._db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else default

    def set_setting(self, key: str, value: str) -> None:
        """Save one setting."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def settings(self) -> dict[str, str]:
        """All settings."""
        with self._lock:
            rows = self._db.execute("SELECT key, value FROM settings ORDER BY key").fetchall()
        return {str(r[0]): str(r[1]) for r in rows}

    @staticmethod
    def _require(db: sqlite3.Connection, session_id: str) -> None:
        if not db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone():
            raise StoreError(f"no session {session_id!r}")


_TURN_INSERT = (
    "INSERT INTO turns (session_id, idx, speaker, text, node, intent, score,"
    " findings, meters, at, moves) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _turn_row(session_id: str, turn: TurnRecord, at: str) -> tuple[Any, ...]:
    """The ``turns`` columns of one stored line, in the order of `_TURN_INSERT`."""
    return (
        session_id,
        turn.index,
        turn.speaker,
        turn.text,
        turn.node,
        turn.intent,
        turn.score,
        _dump(list(turn.findings)),
        _dump(dict(turn.meters)),
        at,
        _dump(list(turn.moves)),
    )


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_cell(value: object, column: str, kind: type[list[Any]] | type[dict[str, Any]]) -> Any:
    """A cell holding JSON of ``kind`` (a list or an object); empty or NULL is an empty
    one. Anything else is `BadRow`: a damaged cell is named, never read as empty."""
    if value is None or value == "":
        return kind()
    if not isinstance(value, str):
        raise BadRow(f"'{column}' holds {type(value).__name__} data, not JSON text")
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        raise BadRow(f"'{column}' holds {value[:30]!r}, not JSON") from None
    if not isinstance(data, kind):
        raise BadRow(f"'{column}' holds {type(data).__name__} JSON, not {kind.__name__}")
    return data


def _texts(value: object, column: str) -> tuple[str, ...]:
    """A JSON list of texts (moves, facts)."""
    items = _json_cell(value, column, list)
    if not all(isinstance(x, str) for x in items):
        raise BadRow(f"'{column}' holds a list with something other than text")
    return tuple(items)


def _counters(value: object, column: str) -> dict[str, int]:
    """A JSON object of whole numbers (meters)."""
    data: dict[str, int] = _json_cell(value, column, dict)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in data.values()):
        raise BadRow(f"'{column}' holds a value that is not a whole number")
    return data


def _optional_text(value: object, column: str) -> str | None:
    return None if value is None else text_cell(value, column)


def _turn(r: sqlite3.Row) -> TurnRecord:
    """A ``turns`` row as a record; `BadRow` when a cell has the wrong type."""
    speaker = text_cell(r["speaker"], "speaker")
    if speaker not in ("agent", "customer"):
        raise BadRow(f"'speaker' holds {speaker[:20]!r}, not agent or customer")
    score = r["score"]
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
        raise BadRow(f"'score' holds {str(score)[:20]!r}, not a number")
    findings = _json_cell(r["findings"], "findings", list)
    if not all(isinstance(f, dict) for f in findings):
        raise BadRow("'findings' holds a list with something other than JSON objects")
    return TurnRecord(
        index=int_cell(r["idx"], "idx"),
        speaker=speaker,  # type: ignore[arg-type]
        text=text_cell(r["text"], "text"),
        node=text_cell(r["node"] or "", "node"),
        intent=_optional_text(r["intent"], "intent"),
        score=None if score is None else float(score),
        findings=tuple(findings),
        meters=_counters(r["meters"], "meters"),
        at=text_cell(r["at"] or "", "at"),
        moves=_texts(r["moves"], "moves"),
    )


def _session(row: sqlite3.Row, turn_count: int) -> SessionRecord:
    """A session row as a record; `BadRow` when a cell has the wrong type."""
    status: Status = row["status"] if row["status"] in STATUSES else "in_progress"
    return SessionRecord(
        id=text_cell(row["id"], "id"),
        trainee=text_cell(row["trainee"], "trainee"),
        scenario_id=text_cell(row["scenario_id"], "scenario_id"),
        scenario_hash=text_cell(row["scenario_hash"], "scenario_hash"),
        locale=text_cell(row["locale"], "locale"),
        seed=int_cell(row["seed"], "seed"),
        mode=text_cell(row["mode"], "mode"),
        started_at=text_cell(row["started_at"], "started_at"),
        finished_at=_optional_text(row["finished_at"], "finished_at"),
        ending_id=_optional_text(row["ending_id"], "ending_id"),
        outcome=_optional_text(row["outcome"], "outcome"),
        rulebook_id=text_cell(row["rulebook_id"] or "", "rulebook_id"),
        rulebook_version=text_cell(row["rulebook_version"] or "", "rulebook_version"),
        meters=_counters(row["meters"], "meters"),
        facts=_texts(row["facts"], "facts"),
        status=status,
        state=_json_cell(row["state"], "state", dict),
        turn_count=turn_count,
    )


for _name in (
    "create_session",
    "append_turns",
    "finish",
    "set_rulebook",
    "update_findings",
    "import_records",
    "delete_session",
    "resolve_id",
    "load",
    "list_sessions",
    "trainees",
    "get_setting",
    "set_setting",
    "settings",
):  # one error policy for every database call (`trainer.records.dberrors`)
    setattr(Store, _name, guarded(getattr(Store, _name)))
