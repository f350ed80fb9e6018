"""What the SQL stores share: the queries, row conversion and the write transactions.

`trainer.records.sqlite.Store` (one file, the default) and
`trainer.records.postgres.PgStore` (a shared server) keep sessions in the same
tables with the same columns; only opening, migrating, transactions and error
wording differ. The queries here use ``?`` placeholders; a backend whose driver
wants another style translates them in its connection adapter (`Db`). JSON values
(meters, facts, findings, state, moves) are stored as JSON text in both, so a
session moves between them byte for byte.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any, Protocol

from trainer.records.classroom import (
    ROLES,
    Assignment,
    Member,
    Role,
    check_name,
    new_token,
    token_digest,
)
from trainer.records.dberrors import BadRow, int_cell, text_cell
from trainer.records.types import (
    STATUSES,
    SessionRecord,
    Status,
    StoreError,
    TurnRecord,
    check_session_id,
    now,
)

SESSION_COLUMNS = (
    "id, trainee, scenario_id, scenario_hash, locale, seed, mode, started_at, finished_at, "
    "ending_id, outcome, rulebook_id, rulebook_version, meters, facts, status, state"
)

TURN_INSERT = (
    "INSERT INTO turns (session_id, idx, speaker, text, node, intent, score,"
    " findings, meters, at, moves) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class Row(Protocol):
    """A result row read by column name (sqlite3.Row, a psycopg dict row)."""

    def __getitem__(self, key: str, /) -> Any: ...


class Cursor(Protocol):
    """What the shared code reads from an executed statement."""

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Db(Protocol):
    """A connection inside a transaction (or a read): ``?`` placeholders."""

    def execute(self, sql: str, args: Sequence[Any] = ..., /) -> Cursor: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]], /) -> Any: ...


class SqlStore:
    """The session store over SQL; subclasses open the database and give transactions.

    A subclass sets ``path`` (what error lines name: a file, or a URL without its
    password) and implements `_transaction` (a write transaction, committed on
    return, rolled back on an exception, a unique-key clash turned into
    `StoreError`), `_reading` (a connection to read with) and `close`.
    """

    path: str
    #: True when the store can only be read (a read-only data folder)
    read_only: bool = False

    def __init__(self) -> None:
        #: Warnings about rows skipped by listings (a bad cell), for the front end to show
        self.skipped: list[str] = []

    # ------------------------------------------------------------ the backend's part

    def _transaction(self) -> AbstractContextManager[Db]:
        raise NotImplementedError

    def _reading(self) -> AbstractContextManager[Db]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the database."""
        raise NotImplementedError

    #: How a damaged row is to be repaired, in the error lines (the backend's tool).
    repair_hint = "fix or delete that row, or re-import the session"

    def __enter__(self) -> SqlStore:
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
                f"INSERT INTO sessions ({SESSION_COLUMNS}) VALUES"
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
                    dump(dict(meters or {})),
                    dump(sorted(facts)),
                    dump(dict(state or {})),
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
            write_exchange(db, session_id, turns, meters=meters, facts=facts, state=state)

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
                    (dump([dict(f) for f in items]), session_id, index),
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
                if db.execute("SELECT 1 AS one FROM sessions WHERE id = ?", (sid,)).fetchone()
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
                _insert(db, record)
        return ids

    def delete_session(self, session_id: str) -> None:
        """Remove a session and its turns."""
        with self._transaction() as db:
            self._require(db, session_id)
            db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    # ------------------------------------------------------------ reading

    def resolve_id(self, prefix: str, *, trainee: str | None = None) -> str:
        """The full id of the session whose id starts with ``prefix`` (at least 4
        characters); with ``trainee``, only among that trainee's sessions."""
        given = prefix.strip()
        prefix = given.lower()
        owner, args = ("", ()) if trainee is None else (" AND trainee = ?", (trainee,))
        with self._reading() as db:
            # exact first, as given: a row stored before ids were checked stays reachable
            for candidate in dict.fromkeys((given, prefix)):
                exact = db.execute(
                    f"SELECT id FROM sessions WHERE id = ?{owner}", (candidate, *args)
                ).fetchone()
                if exact:
                    return str(exact["id"])
            if len(prefix) < 4 or not all(c in "0123456789abcdef" for c in prefix):
                raise StoreError(f"no session {prefix!r}")
            rows = db.execute(
                f"SELECT id FROM sessions WHERE id LIKE ?{owner} LIMIT 2", (prefix + "%", *args)
            ).fetchall()
        if not rows:
            raise StoreError(f"no session {prefix!r}")
        if len(rows) > 1:
            raise StoreError(f"session id {prefix!r} is ambiguous; give more characters")
        return str(rows[0]["id"])

    def load(self, session_id: str) -> SessionRecord:
        """A whole session with its turns (``session_id`` may be a unique prefix)."""
        sid = self.resolve_id(session_id)
        with self._reading() as db:
            row = db.execute(
                f"SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?", (sid,)
            ).fetchone()
            turn_rows = db.execute(
                "SELECT idx, speaker, text, node, intent, score, findings, meters, at, moves"
                " FROM turns WHERE session_id = ? ORDER BY idx",
                (sid,),
            ).fetchall()
        if row is None:  # deleted between the two reads
            raise StoreError(f"no session {sid!r}")
        turns = []
        for r in turn_rows:
            try:
                turns.append(turn_from_row(r))
            except BadRow as exc:  # the rest of the call is still worth showing
                self.skipped.append(
                    f"{self.path}: skipped turn {r['idx']!r} of session {sid!r}: {exc}"
                    f" — {self.repair_hint}"
                )
        try:
            return replace(session_from_row(row, len(turn_rows)), turns=tuple(turns))
        except BadRow as exc:
            raise StoreError(
                f"{self.path}: session {sid!r} is damaged: {exc} — {self.repair_hint}"
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
            f"SELECT {', '.join('s.' + c.strip() for c in SESSION_COLUMNS.split(','))},"
            " (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id) AS turn_count"
            " FROM sessions s"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY s.started_at DESC, s.id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._reading() as db:
            rows = db.execute(sql, args).fetchall()
        sessions = []
        for row in rows:
            try:
                sessions.append(session_from_row(row, int(row["turn_count"])))
            except BadRow as exc:
                self.skipped.append(
                    f"{self.path}: skipped session {row['id']!r}: {exc} — {self.repair_hint}"
                )
        return sessions

    def trainees(self) -> list[str]:
        """Every trainee name with at least one session, sorted."""
        with self._reading() as db:
            rows = db.execute("SELECT DISTINCT trainee FROM sessions ORDER BY trainee").fetchall()
        return [str(r["trainee"]) for r in rows]

    # ------------------------------------------------------------ settings

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        """One of the trainee's settings (name, language, mode, theme…)."""
        with self._reading() as db:
            row = db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return str(row["value"]) if row else default

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
        with self._reading() as db:
            rows = db.execute("SELECT key, value FROM settings ORDER BY key").fetchall()
        return {str(r["key"]): str(r["value"]) for r in rows}

    # ------------------------------------------------------------ classes

    def create_class(self, name: str) -> str:
        """Create a class (its name checked and trimmed); StoreError when it exists."""
        name = check_name(name, "class")
        with self._transaction() as db:
            if db.execute("SELECT 1 AS one FROM classes WHERE name = ?", (name,)).fetchone():
                raise StoreError(f"class {name!r} already exists")
            db.execute("INSERT INTO classes (name, created_at) VALUES (?, ?)", (name, now()))
        return name

    def classes(self) -> list[tuple[str, int, int]]:
        """Every class: (name, members, assignments), by name."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT c.name,"
                " (SELECT COUNT(*) FROM members m WHERE m.class_name = c.name) AS members,"
                " (SELECT COUNT(*) FROM assignments a WHERE a.class_name = c.name) AS work"
                " FROM classes c ORDER BY c.name"
            ).fetchall()
        return [(str(r["name"]), int(r["members"]), int(r["work"])) for r in rows]

    def add_member(self, class_name: str, name: str, role: Role = "trainee") -> str:
        """Add ``name`` to a class (or give them a new token) and return their token.

        The token is shown only here; the store keeps its digest (`token_digest`), so
        a new token replaces the old one, which stops working.
        """
        name = check_name(name, role)
        if role not in ROLES:
            raise StoreError(f"unknown role {role!r} (trainee or instructor)")
        token = new_token()
        with self._transaction() as db:
            self._require_class(db, class_name)
            db.execute("DELETE FROM members WHERE class_name = ? AND name = ?", (class_name, name))
            db.execute(
                "INSERT INTO members (class_name, name, role, token_digest, joined_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (class_name, name, role, token_digest(token), now()),
            )
        return token

    def members(self, class_name: str) -> list[Member]:
        """A class's members, instructors first, then by name."""
        with self._reading() as db:
            self._require_class(db, class_name)
            rows = db.execute(
                "SELECT class_name, name, role, joined_at FROM members WHERE class_name = ?"
                " ORDER BY CASE role WHEN 'instructor' THEN 0 ELSE 1 END, name",
                (class_name,),
            ).fetchall()
        return [_member(r) for r in rows]

    def member_for_token(self, token: str) -> Member | None:
        """Who a sign-in token belongs to, or None (a wrong or replaced token)."""
        with self._reading() as db:
            row = db.execute(
                "SELECT class_name, name, role, joined_at FROM members WHERE token_digest = ?",
                (token_digest(token),),
            ).fetchone()
        return _member(row) if row else None

    def create_assignment(
        self, class_name: str, scenario_id: str, *, due: str | None, pass_mark: int | None
    ) -> Assignment:
        """Assign a scenario to a class; returns the assignment (id: 8 hex digits)."""
        if pass_mark is not None and not 0 <= pass_mark <= 100:
            raise StoreError(f"pass mark {pass_mark} is outside 0..100")
        assignment = Assignment(
            uuid.uuid4().hex[:8], class_name, scenario_id, due, pass_mark, now()
        )
        with self._transaction() as db:
            self._require_class(db, class_name)
            db.execute(
                "INSERT INTO assignments (id, class_name, scenario_id, due, pass_mark,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    assignment.id,
                    class_name,
                    scenario_id,
                    due,
                    pass_mark,
                    assignment.created_at,
                ),
            )
        return assignment

    def assignments(self, class_name: str) -> list[Assignment]:
        """A class's assignments, oldest first."""
        with self._reading() as db:
            self._require_class(db, class_name)
            rows = db.execute(
                "SELECT id, class_name, scenario_id, due, pass_mark, created_at"
                " FROM assignments WHERE class_name = ? ORDER BY created_at, id",
                (class_name,),
            ).fetchall()
        return [
            Assignment(
                str(r["id"]),
                str(r["class_name"]),
                str(r["scenario_id"]),
                None if r["due"] is None else str(r["due"]),
                None if r["pass_mark"] is None else int(r["pass_mark"]),
                str(r["created_at"]),
            )
            for r in rows
        ]

    @staticmethod
    def _require_class(db: Db, name: str) -> None:
        if not db.execute("SELECT 1 AS one FROM classes WHERE name = ?", (name,)).fetchone():
            raise StoreError(f"no class {name!r} (create it with: trainer class create NAME)")

    @staticmethod
    def _require(db: Db, session_id: str) -> None:
        if not db.execute("SELECT 1 AS one FROM sessions WHERE id = ?", (session_id,)).fetchone():
            raise StoreError(f"no session {session_id!r}")


#: The methods every backend runs under its error policy (`trainer.records.dberrors`).
GUARDED_METHODS = (
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
    "create_class",
    "classes",
    "add_member",
    "members",
    "member_for_token",
    "create_assignment",
    "assignments",
)

#: The classroom's tables (the same in both backends' schema steps).
CLASSROOM_SCHEMA = """
    CREATE TABLE classes (
        name TEXT PRIMARY KEY,
        created_at TEXT NOT NULL
    );
    CREATE TABLE members (
        class_name TEXT NOT NULL REFERENCES classes (name) ON DELETE CASCADE,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('trainee', 'instructor')),
        token_digest TEXT NOT NULL UNIQUE,
        joined_at TEXT NOT NULL,
        PRIMARY KEY (class_name, name)
    );
    CREATE TABLE assignments (
        id TEXT PRIMARY KEY,
        class_name TEXT NOT NULL REFERENCES classes (name) ON DELETE CASCADE,
        scenario_id TEXT NOT NULL,
        due TEXT,
        pass_mark INTEGER,
        created_at TEXT NOT NULL
    );
    CREATE INDEX assignments_class ON assignments (class_name, created_at)
"""


def _member(row: Row) -> Member:
    return Member(str(row["class_name"]), str(row["name"]), row["role"], str(row["joined_at"]))


def write_exchange(
    db: Db,
    session_id: str,
    turns: Sequence[TurnRecord],
    *,
    meters: Mapping[str, int],
    facts: Sequence[str],
    state: Mapping[str, Any],
) -> None:
    """Insert an exchange's turns and the session's new state (in the caller's transaction)."""
    db.executemany(TURN_INSERT, [turn_row(session_id, t, t.at or now()) for t in turns])
    db.execute(
        "UPDATE sessions SET meters = ?, facts = ?, state = ? WHERE id = ?",
        (dump(dict(meters)), dump(sorted(facts)), dump(dict(state)), session_id),
    )


def _insert(db: Db, record: SessionRecord) -> None:
    """Insert a whole session and its turns (inside the caller's transaction)."""
    db.execute(
        f"INSERT INTO sessions ({SESSION_COLUMNS}) VALUES"
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
            dump(record.meters),
            dump(list(record.facts)),
            record.status,
            dump(record.state),
        ),
    )
    db.executemany(
        TURN_INSERT,
        [turn_row(record.id, t, t.at or record.started_at) for t in record.turns],
    )


def split_statements(script: str) -> Iterator[str]:
    """The statements of a migration step (no ``;`` inside a statement)."""
    for statement in script.split(";"):
        if statement.strip():
            yield statement


def turn_row(session_id: str, turn: TurnRecord, at: str) -> tuple[Any, ...]:
    """The ``turns`` columns of one stored line, in the order of `TURN_INSERT`."""
    return (
        session_id,
        turn.index,
        turn.speaker,
        turn.text,
        turn.node,
        turn.intent,
        turn.score,
        dump(list(turn.findings)),
        dump(dict(turn.meters)),
        at,
        dump(list(turn.moves)),
    )


def dump(value: Any) -> str:
    """A value as the JSON text stored in a cell."""
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


def turn_from_row(r: Row) -> TurnRecord:
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


def session_from_row(row: Row, turn_count: int) -> SessionRecord:
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
