"""Classes, their members and assignments, and a store seen through one trainee's eyes.

A class has members (trainees and instructors), each with a personal sign-in token
that is shown once, when it is issued, and stored only as its SHA-256 digest: the
token is 128 random bits, so a digest without salt or stretching cannot be reversed,
and a copy of the database signs nobody in. An assignment gives a class one scenario
with an optional due date and pass mark.

`TraineeStore` wraps a store for one signed-in trainee: it implements the
`trainer.records.SessionStore` protocol (so the engine, scoring and services use it
unchanged) and lets that trainee create, read and write only their own sessions and
settings. Another trainee's session is "no session", the same answer as an id that
does not exist, so ids cannot be probed either.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from trainer.records.types import SessionRecord, Status, StoreError, TurnRecord

if TYPE_CHECKING:
    from trainer.records.sqlbase import SqlStore

Role = Literal["trainee", "instructor"]
ROLES: tuple[str, ...] = ("trainee", "instructor")
#: The longest class or trainee name (it is shown in tables and on the dashboard).
MAX_NAME = 64


@dataclass(frozen=True, slots=True)
class Member:
    """A trainee or instructor of a class."""

    class_name: str
    name: str
    role: Role
    joined_at: str


@dataclass(frozen=True, slots=True)
class Assignment:
    """A scenario a class must practise, by ``due`` (ISO date or None), passing at
    ``pass_mark`` (0-100; None: the scorecard's own pass mark)."""

    id: str
    class_name: str
    scenario_id: str
    due: str | None
    pass_mark: int | None
    created_at: str


def new_token() -> str:
    """A fresh sign-in token: 128 random bits as 32 hex digits (never starting with
    ``-``, which a command line would read as an option; easy to read out and type)."""
    return secrets.token_hex(16)


def token_digest(token: str) -> str:
    """What is stored for a token (see the module docstring for why a plain digest)."""
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def check_name(value: str, what: str) -> str:
    """A class or member name: 1 to `MAX_NAME` printable characters, trimmed."""
    name = value.strip()
    if not name:
        raise StoreError(f"a {what} name cannot be empty")
    if len(name) > MAX_NAME:
        raise StoreError(f"{what} name {name[:20]!r}… is longer than {MAX_NAME} characters")
    if any(not ch.isprintable() for ch in name):
        raise StoreError(f"{what} name {name!r} holds control characters")
    return name


class TraineeStore:
    """``store`` as ``trainee`` may use it: their own sessions and settings only."""

    def __init__(self, store: SqlStore, trainee: str) -> None:
        self.store = store
        self.trainee = trainee
        self.path = store.path
        self.read_only = store.read_only
        self.skipped = store.skipped
        self._own: set[str] = set()

    def _mine(self, session_id: str) -> str:
        """The full id of one of this trainee's sessions, else "no session"."""
        if session_id in self._own:
            return session_id
        try:
            sid = self.store.resolve_id(session_id, trainee=self.trainee)
        except StoreError:
            raise StoreError(f"no session {session_id.strip().lower()[:32]!r}") from None
        self._own.add(sid)
        return sid

    # ---------------------------------------------------------------- writing
    def create_session(self, **fields: Any) -> str:
        """Start a session of this trainee (whatever ``trainee`` the caller passed)."""
        fields["trainee"] = self.trainee
        sid = self.store.create_session(**fields)
        self._own.add(sid)
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
        """Write an exchange of one of this trainee's sessions."""
        self.store.append_turns(
            self._mine(session_id), turns, meters=meters, facts=facts, state=state
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
        """End one of this trainee's sessions."""
        self.store.finish(
            self._mine(session_id),
            ending_id=ending_id,
            outcome=outcome,
            status=status,
            finished_at=finished_at,
        )

    def abandon(self, session_id: str) -> None:
        """Give up one of this trainee's sessions."""
        self.finish(session_id, ending_id=None, outcome=None, status="abandoned")

    def set_rulebook(self, session_id: str, rulebook_id: str, version: str) -> None:
        """Record the rulebook of one of this trainee's sessions."""
        self.store.set_rulebook(self._mine(session_id), rulebook_id, version)

    def update_findings(
        self, session_id: str, findings: Mapping[int, Sequence[Mapping[str, Any]]]
    ) -> None:
        """Replace findings in one of this trainee's sessions."""
        self.store.update_findings(self._mine(session_id), findings)

    # ---------------------------------------------------------------- reading
    def resolve_id(self, prefix: str) -> str:
        """The full id of this trainee's session starting with ``prefix``."""
        return self._mine(prefix)

    def load(self, session_id: str) -> SessionRecord:
        """One of this trainee's sessions, with its turns."""
        return self.store.load(self._mine(session_id))

    def list_sessions(
        self,
        *,
        trainee: str | None = None,
        scenario_id: str | None = None,
        status: Status | None = None,
        since: str | None = None,
        limit: int | None = None,
    ) -> list[SessionRecord]:
        """This trainee's sessions (asking for another trainee's gives none)."""
        if trainee is not None and trainee != self.trainee:
            return []
        return self.store.list_sessions(
            trainee=self.trainee, scenario_id=scenario_id, status=status, since=since, limit=limit
        )

    def trainees(self) -> list[str]:
        """Only this trainee."""
        return [self.trainee]

    # ---------------------------------------------------------------- settings
    def _key(self, key: str) -> str:
        return f"trainee:{self.trainee}:{key}"

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        """One of this trainee's settings (kept apart from everyone else's)."""
        return self.store.get_setting(self._key(key), default)

    def set_setting(self, key: str, value: str) -> None:
        """Save one of this trainee's settings."""
        self.store.set_setting(self._key(key), value)

    def settings(self) -> dict[str, str]:
        """This trainee's settings."""
        prefix = self._key("")
        return {
            k.removeprefix(prefix): v
            for k, v in self.store.settings().items()
            if k.startswith(prefix)
        }

    def import_records(self, records: Sequence[SessionRecord], **_: Any) -> list[str]:
        """Refused: a trainee cannot write sessions in bulk (an instructor imports)."""
        raise StoreError("a signed-in trainee cannot import sessions")

    def close(self) -> None:
        """Close the store underneath."""
        self.store.close()

    def __enter__(self) -> TraineeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
