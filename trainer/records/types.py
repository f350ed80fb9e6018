"""What a stored call is, and what a session store must do: the store protocol.

Every layer that reads or writes sessions (the engine saving turns as they
happen, scoring, regrade, reports) works with these records and the
`SessionStore` protocol; the SQLite implementation (`trainer.records.sqlite`)
is chosen by the top of the package (the command line, the app, services), so
another backend can be added without touching the engine or the scorecards.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

Status = Literal["in_progress", "finished", "abandoned"]
STATUSES: tuple[str, ...] = ("in_progress", "finished", "abandoned")

#: A session id: lower-case hex, as the stores make them (12 digits) — never anything a
#: path, a shell or a terminal could read differently.
_SESSION_ID = re.compile(r"[0-9a-f]{8,32}")


def check_session_id(value: object) -> str:
    """``value`` if it is a valid session id, else `StoreError` saying what one looks like.

    Every id that comes from outside (an imported file, a command line) passes here
    before it is stored or used in a file name: ``../../tmp/x`` or ``Call-42`` would
    otherwise write outside the data folder or lock listings out.
    """
    if not isinstance(value, str) or not _SESSION_ID.fullmatch(value):
        shown = repr(value)[:40]
        raise StoreError(
            f"session id {shown} is not a trainer session id (8 to 32 lower-case hex digits)"
        )
    return value


class StoreError(Exception):
    """A problem with the session database (unknown id, newer schema, bad data)."""


def now() -> str:
    """The current time as an ISO 8601 UTC string with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class TurnRecord:
    """One stored line of a call. ``findings`` are the grader findings as JSON dicts."""

    index: int
    speaker: Literal["agent", "customer"]
    text: str
    node: str = ""
    intent: str | None = None
    score: float | None = None
    findings: tuple[dict[str, Any], ...] = ()
    meters: dict[str, int] = field(default_factory=dict)
    at: str = ""
    #: Every move the line made, in order (``intent`` is the first the call expected).
    moves: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form (used by export)."""
        return {
            "index": self.index,
            "speaker": self.speaker,
            "text": self.text,
            "node": self.node,
            "intent": self.intent,
            "score": self.score,
            "findings": list(self.findings),
            "meters": dict(self.meters),
            "at": self.at,
            "moves": list(self.moves),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TurnRecord:
        """Inverse of `to_json`; raises StoreError on a malformed turn."""
        try:
            speaker = data["speaker"]
            if speaker not in ("agent", "customer"):
                raise ValueError(f"speaker must be agent or customer, not {speaker!r}")
            return cls(
                index=int(data["index"]),
                speaker=speaker,
                text=str(data["text"]),
                node=str(data.get("node") or ""),
                intent=data.get("intent"),
                score=None if data.get("score") is None else float(data["score"]),
                findings=tuple(dict(f) for f in data.get("findings") or ()),
                meters={str(k): int(v) for k, v in (data.get("meters") or {}).items()},
                at=str(data.get("at") or ""),
                moves=tuple(str(x) for x in data.get("moves") or ()),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"bad turn record: {exc}") from None


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One stored call: its header, final or current state and (when loaded) its turns.

    ``state`` is the engine's resumable state (current node, party, once-only
    lines already used…); ``turn_count`` is filled in listings, where ``turns``
    is left empty to keep them cheap.
    """

    id: str
    trainee: str
    scenario_id: str
    scenario_hash: str
    locale: str
    seed: int
    mode: str
    started_at: str
    finished_at: str | None = None
    ending_id: str | None = None
    outcome: str | None = None
    rulebook_id: str = ""
    rulebook_version: str = ""
    meters: dict[str, int] = field(default_factory=dict)
    facts: tuple[str, ...] = ()
    status: Status = "in_progress"
    state: dict[str, Any] = field(default_factory=dict)
    turns: tuple[TurnRecord, ...] = ()
    turn_count: int = 0

    @property
    def finished(self) -> bool:
        """True once the call reached an ending."""
        return self.status == "finished"

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form, turns included (the export format)."""
        return {
            "id": self.id,
            "trainee": self.trainee,
            "scenario_id": self.scenario_id,
            "scenario_hash": self.scenario_hash,
            "locale": self.locale,
            "seed": self.seed,
            "mode": self.mode,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "ending_id": self.ending_id,
            "outcome": self.outcome,
            "rulebook_id": self.rulebook_id,
            "rulebook_version": self.rulebook_version,
            "meters": dict(self.meters),
            "facts": list(self.facts),
            "status": self.status,
            "state": dict(self.state),
            "turns": [t.to_json() for t in self.turns],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SessionRecord:
        """Inverse of `to_json`; raises StoreError on a malformed record."""
        try:
            status = data.get("status", "in_progress")
            if status not in STATUSES:
                raise ValueError(f"status must be one of {', '.join(STATUSES)}")
            turns = tuple(TurnRecord.from_json(t) for t in data.get("turns") or ())
            return cls(
                id=check_session_id(data["id"]),
                trainee=str(data.get("trainee") or ""),
                scenario_id=str(data["scenario_id"]),
                scenario_hash=str(data.get("scenario_hash") or ""),
                locale=str(data.get("locale") or ""),
                seed=int(data.get("seed") or 0),
                mode=str(data.get("mode") or "free"),
                started_at=str(data["started_at"]),
                finished_at=data.get("finished_at"),
                ending_id=data.get("ending_id"),
                outcome=data.get("outcome"),
                rulebook_id=str(data.get("rulebook_id") or ""),
                rulebook_version=str(data.get("rulebook_version") or ""),
                meters={str(k): int(v) for k, v in (data.get("meters") or {}).items()},
                facts=tuple(str(f) for f in data.get("facts") or ()),
                status=status,
                state=dict(data.get("state") or {}),
                turns=turns,
                turn_count=len(turns),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"bad session record: {exc}") from None


class SessionStore(Protocol):
    """What the engine, scoring and services need from a session store.

    Implementations commit each call of `append_turns` before returning, so a
    crash loses nothing that was shown to the trainee.
    """

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
        """Start a session and return its id."""
        ...

    def append_turns(
        self,
        session_id: str,
        turns: Sequence[TurnRecord],
        *,
        meters: Mapping[str, int],
        facts: Sequence[str],
        state: Mapping[str, Any],
    ) -> None:
        """Write one exchange and the session's new state, atomically."""
        ...

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
        ...

    def set_rulebook(self, session_id: str, rulebook_id: str, version: str) -> None:
        """Record which rulebook graded the session."""
        ...

    def update_findings(
        self, session_id: str, findings: Mapping[int, Sequence[Mapping[str, Any]]]
    ) -> None:
        """Replace the findings of some turns, atomically."""
        ...

    def load(self, session_id: str) -> SessionRecord:
        """A whole session with its turns (``session_id`` may be a unique prefix)."""
        ...

    def list_sessions(
        self,
        *,
        trainee: str | None = None,
        scenario_id: str | None = None,
        status: Status | None = None,
        since: str | None = None,
        limit: int | None = None,
    ) -> list[SessionRecord]:
        """Sessions, newest first, without turns."""
        ...
