"""What a stored call is, and what a session store must do: the store protocol.

Every layer that reads or writes sessions (the engine saving turns as they
happen, scoring, regrade, reports) works with these records and the
`SessionStore` protocol; the SQLite implementation (`trainer.records.sqlite`)
is chosen by the top of the package (the command line, the app, services), so
another backend can be added without touching the engine or the scorecards.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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


class StoreUnreachable(StoreError):
    """The store's server could not be reached (down, network gone, connection refused).

    A store that keeps writes in a local journal raises it after keeping the write, so
    the caller may go on writing (later writes are kept after it, in order).
    """


#: The range of an SQLite INTEGER: a larger number cannot be stored.
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
#: How deeply a JSON value (findings, state) may nest in a record from outside.
_MAX_DEPTH = 32


def _json_value(value: object, where: str, depth: int = 0) -> None:
    """Refuse what a record from outside may hold but the store and the screens cannot:
    lone surrogates (not Unicode text), NaN or infinities, integers past 64 bits and
    deep nesting. Raises ValueError naming the field (``where``)."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"'{where}' nests deeper than {_MAX_DEPTH} levels")
    if isinstance(value, str):
        _text_value(value, where)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            raise ValueError(
                f"'{where}' holds a number too large to store ({len(str(value))} digits)"
            )
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"'{where}' holds {value}, not a finite number")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _json_value(key, f"{where} key", depth + 1)
            _json_value(item, f"{where}.{key}" if isinstance(key, str) else where, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _json_value(item, f"{where}[]", depth + 1)
    else:
        raise ValueError(f"'{where}' holds {type(value).__name__} data")


def _text_value(value: str, where: str) -> str:
    """``value`` if it is storable Unicode text (no lone surrogate), else ValueError."""
    for column, char in enumerate(value, start=1):
        if "\ud800" <= char <= "\udfff":
            raise ValueError(
                f"'{where}' holds a lone surrogate (U+{ord(char):04X} at character {column}),"
                " which is not Unicode text"
            )
    return value


def _text(data: Mapping[str, Any], key: str, default: str | None = "") -> str:
    """A text field: a string (absent or null gives ``default``; required when None)."""
    value = data.get(key) if default is not None else data[key]
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        raise ValueError(f"'{key}' must be text, not {_kind(value)}")
    return _text_value(value, key)


def _optional_text(data: Mapping[str, Any], key: str) -> str | None:
    """A text field that may be null or absent."""
    return None if data.get(key) is None else _text(data, key)


def _whole(value: object, key: str, low: int = _INT_MIN) -> int:
    """A whole number from ``low`` to the 64-bit limit (no bool, float or text)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"'{key}' must be a whole number, not {_kind(value)}")
    if not low <= value <= _INT_MAX:
        digits = str(value)
        shown = digits if len(digits) <= 24 else f"a {len(digits.lstrip('-'))}-digit number"
        raise ValueError(f"'{key}' is {shown}, outside {low}..{_INT_MAX}")
    return value


def _time(data: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    """An ISO 8601 date and time field, as text (null or empty when not ``required``)."""
    value = _text(data, key, default=None if required else "")
    if not value and not required:
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"'{key}' is {value[:40]!r}, not an ISO 8601 time such as 2026-03-01T09:30:00"
        ) from None
    return value


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A JSON object field (absent or null gives an empty one)."""
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"'{key}' must be a JSON object, not {_kind(value)}")
    _json_value(value, key)
    return value


def _sequence(data: Mapping[str, Any], key: str) -> list[Any]:
    """A JSON array field (absent or null gives an empty one)."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"'{key}' must be a JSON array, not {_kind(value)}")
    _json_value(value, key)
    return list(value)


def _meters(data: Mapping[str, Any]) -> dict[str, int]:
    """Meter name → whole number."""
    return {
        _text_value(str(k), "meters"): _whole(v, f"meters.{k}")
        for k, v in _mapping(data, "meters").items()
    }


def _kind(value: object) -> str:
    """How a JSON value is named in an error: ``a list``, ``a number``…"""
    names = {dict: "an object", list: "a list", bool: "true/false", str: "text"}
    if value is None:
        return "null"
    return names.get(type(value), f"a {type(value).__name__}")


_last_stamp: datetime | None = None
_stamp_lock = threading.Lock()


def now() -> str:
    """The current time as an ISO 8601 UTC string with milliseconds, strictly later than
    the last one this process made: two sessions started in the same millisecond still
    sort in the order they were started (listings are newest first by this stamp)."""
    global _last_stamp
    with _stamp_lock:
        current = datetime.now(UTC)
        stamp = current.replace(microsecond=current.microsecond // 1000 * 1000)
        if _last_stamp is not None and stamp <= _last_stamp:
            stamp = _last_stamp + timedelta(milliseconds=1)
        _last_stamp = stamp
    return stamp.isoformat(timespec="milliseconds")


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
                raise ValueError(f"speaker must be agent or customer, not {str(speaker)[:20]!r}")
            score = data.get("score")
            if score is not None:
                if isinstance(score, bool) or not isinstance(score, (int, float)):
                    raise ValueError(f"'score' must be a number, not {_kind(score)}")
                _json_value(score, "score")
            findings = _sequence(data, "findings")
            if not all(isinstance(f, Mapping) for f in findings):
                raise ValueError("'findings' must be a list of JSON objects")
            return cls(
                index=_whole(data["index"], "turn", low=0),
                speaker=speaker,
                text=_text(data, "text", default=None),
                node=_text(data, "node"),
                intent=_optional_text(data, "intent"),
                score=None if score is None else float(score),
                findings=tuple(dict(f) for f in findings),
                meters=_meters(data),
                at=_time(data, "at") or "",
                moves=tuple(
                    _text_value(x, "moves") if isinstance(x, str) else _bad_move(x)
                    for x in _sequence(data, "moves")
                ),
            )
        except KeyError as exc:
            raise StoreError(f"bad turn record: the field {exc} is missing") from None
        except (TypeError, ValueError) as exc:
            raise StoreError(f"bad turn record: {exc}") from None


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One stored call: its header, final or current state and (when loaded) its turns.

    ``state`` is the engine's resumable state (current node, party, once-only
    lines already used…); ``turn_count`` is the number of stored turn rows, filled in
    listings too, where ``turns`` is left empty to keep them cheap (a loaded session
    with fewer ``turns`` had damaged rows left out, and cannot be resumed).
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

    @property
    def mode_used(self) -> str:
        """How the lines were made: ``free``, ``guided``, or ``mixed`` when the trainee
        switched during the call (the stored ``mode`` is the one the call started in)."""
        modes = self.state.get("modes") if isinstance(self.state, dict) else None
        if isinstance(modes, list) and len(modes) > 1:
            return "mixed"
        if isinstance(modes, list) and modes in (["free"], ["guided"]):
            return str(modes[0])
        return self.mode

    def guided_turn(self, index: int) -> bool:
        """Whether the agent turn ``index`` was picked from the guided options."""
        picked = self.state.get("guided_turns") if isinstance(self.state, dict) else None
        if isinstance(picked, list):
            return index in picked
        return self.mode == "guided"

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
                trainee=_text(data, "trainee"),
                scenario_id=_text(data, "scenario_id", default=None),
                scenario_hash=_text(data, "scenario_hash"),
                locale=_text(data, "locale"),
                seed=_whole(data.get("seed") or 0, "seed"),
                mode=_text(data, "mode") or "free",
                started_at=_time(data, "started_at", required=True) or "",
                finished_at=_time(data, "finished_at"),
                ending_id=_optional_text(data, "ending_id"),
                outcome=_optional_text(data, "outcome"),
                rulebook_id=_text(data, "rulebook_id"),
                rulebook_version=_text(data, "rulebook_version"),
                meters=_meters(data),
                facts=tuple(
                    _text_value(f, "facts") if isinstance(f, str) else _bad_fact(f)
                    for f in _sequence(data, "facts")
                ),
                status=status,
                state=dict(_mapping(data, "state")),
                turns=turns,
                turn_count=len(turns),
            )
        except KeyError as exc:
            raise StoreError(f"bad session record: the field {exc} is missing") from None
        except (TypeError, ValueError) as exc:
            raise StoreError(f"bad session record: {exc}") from None


def _bad_move(value: object) -> str:
    raise ValueError(f"'moves' must be a list of texts, not hold {_kind(value)}")


def _bad_fact(value: object) -> str:
    raise ValueError(f"'facts' must be a list of texts, not hold {_kind(value)}")


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
