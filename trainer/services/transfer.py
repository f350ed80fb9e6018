"""Export stored sessions as JSONL in the audit transcript format, and import them back.

One JSON object per line and per turn, with the fields ``trainer audit``
reads — ``id``, ``call_id``, ``turn``, ``speaker`` (agent|customer), ``text``,
``party``, ``verified``, ``time`` (ISO 8601 local time of the call), ``lang``
— so an exported session can be audited like any call-centre transcript, and
with the same context the live grader used (replayed from the session, see
`trainer.scoring.replay`). Extra fields that the audit ignores keep
everything needed to import the session again: ``node``, ``intent``,
``score``, ``findings``, ``meters``, ``at`` on every line and the session
header (``session``) on the first line of each call.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from trainer.audit import reading

if TYPE_CHECKING:
    from trainer.records import SessionRecord
    from trainer.scenarios.loader import ContentSet

FORMAT = "trainer-session/1"


class TransferError(Exception):
    """A malformed import file: the message names the file and line."""


def export_lines(record: SessionRecord, content: ContentSet | None) -> Iterator[dict[str, Any]]:
    """The JSONL records of one session, turn by turn."""
    from trainer.scoring.replay import call_time, replay

    scenario = content.scenarios.get(record.scenario_id) if content is not None else None
    contexts = replay(record, scenario, content).lines if scenario is not None else {}
    clock = call_time(record, scenario) if scenario is not None else None
    day = (record.started_at or "1970-01-01")[:10]
    header = record.to_json()
    header.pop("turns")
    header["format"] = FORMAT
    header["exact_context"] = scenario is not None
    for position, turn in enumerate(record.turns):
        line = contexts.get(turn.index)
        when = f"{day}T{clock.strftime('%H:%M')}:00" if clock is not None else None
        item: dict[str, Any] = {
            "id": f"{record.id}:{turn.index}",
            "call_id": record.id,
            "turn": turn.index,
            "speaker": turn.speaker,
            "text": turn.text,
            "party": line.ctx.party if line is not None else "debtor",
            "verified": line.ctx.verified if line is not None else False,
            "time": when,
            "lang": record.locale,
            "node": turn.node,
            "intent": turn.intent,
            "score": turn.score,
            "findings": list(turn.findings),
            "meters": dict(turn.meters),
            "at": turn.at,
            "moves": list(turn.moves),
        }
        if position == 0:
            item["session"] = header
        yield item


def write_jsonl(records: Iterable[SessionRecord], content: ContentSet | None, out: TextIO) -> int:
    """Write sessions as JSONL; returns how many lines were written."""
    count = 0
    for record in records:
        for item in export_lines(record, content):
            out.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    return count


@dataclass
class _Pending:
    header: dict[str, Any] | None
    turns: list[dict[str, Any]]
    line: int
    indices: set[int] = field(default_factory=set)


#: How a bad field's message ends: the way out, and that the import stored nothing.
_FIX = " — correct that field or export the session again; nothing was imported"

#: The longest number an import may hold, in characters (SQLite INTEGER has 19 digits).
_MAX_DIGITS = 40


class _BadNumber(ValueError):
    """A JSON number the store cannot hold; ``token`` is as written in the file."""

    def __init__(self, token: str, why: str) -> None:
        super().__init__(why)
        self.token = token


def _parse_constant(token: str) -> float:
    raise _BadNumber(token, f"{token} is not a number JSON allows (nor one a session can hold)")


def _parse_float(token: str) -> float:
    value = float(token)
    if len(token) > _MAX_DIGITS or not math.isfinite(value):
        raise _BadNumber(token, f"the number {token[:24]} is too large")
    return value


def _parse_int(token: str) -> int:
    if len(token) > _MAX_DIGITS:
        raise _BadNumber(token, f"the number {token[:24]}… has {len(token)} digits")
    return int(token)


def _decode(raw: bytes, where: str) -> str:
    """One line as text, or `TransferError` naming the first byte that is not UTF-8."""
    text = reading.decode(raw)
    if isinstance(text, reading.BadBytes):
        raise TransferError(
            f"{where}:{text.column}: not UTF-8 text (byte 0x{text.byte:02x}) — save the file"
            " as UTF-8 (a trainer export always is); nothing was imported"
        )
    return text


def _parse(text: str, where: str) -> Any:
    """One JSON record, or `TransferError` with the column of the problem."""
    try:
        return json.loads(
            text, parse_constant=_parse_constant, parse_float=_parse_float, parse_int=_parse_int
        )
    except json.JSONDecodeError as exc:
        raise TransferError(f"{where}:{exc.colno}: malformed JSON: {exc.msg}") from None
    except _BadNumber as exc:
        column = text.find(exc.token) + 1 or 1
        raise TransferError(f"{where}:{column}: {exc}; nothing was imported") from None
    except RecursionError:
        raise TransferError(
            f"{where}:1: the record nests too deeply; nothing was imported"
        ) from None


def read_jsonl(path: Path) -> list[SessionRecord]:
    """Sessions from an export file. Raises TransferError naming the file and line.

    Every field is checked here (`SessionRecord.from_json`, `TurnRecord.from_json`)
    before anything is stored: a byte that is not UTF-8, NaN or a number past 64 bits,
    a list where a time belongs or a lone surrogate is one line naming the file, the
    line and the field, and the import stores nothing.
    """
    from trainer.paths import regular_file_problem
    from trainer.records import SessionRecord, StoreError, TurnRecord

    calls: dict[str, _Pending] = {}
    problem = regular_file_problem(path)
    if problem is not None:
        raise TransferError(f"{path}: {problem}")
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise TransferError(f"{path}: cannot read: {exc.strerror}") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            where = f"{path}:{number}"
            text = _decode(
                raw[3:] if number == 1 and raw.startswith(b"\xef\xbb\xbf") else raw, where
            )
            if not text.strip():
                continue
            item = _parse(text, where)
            if not isinstance(item, dict):
                raise TransferError(f"{where}:1: a record must be a JSON object")
            call = item.get("call_id")
            if not isinstance(call, str) or not call:
                raise TransferError(f"{where}:1: record has no 'call_id'")
            pending = calls.setdefault(call, _Pending(None, [], number))
            if "session" in item:
                if not isinstance(item["session"], dict):
                    raise TransferError(f"{where}:1: 'session' must be a JSON object")
                pending.header = item["session"]
            turn = {
                "index": item.get("turn"),
                "speaker": item.get("speaker"),
                "text": item.get("text"),
                "node": item.get("node"),
                "intent": item.get("intent"),
                "score": item.get("score"),
                "findings": item.get("findings"),
                "meters": item.get("meters"),
                "at": item.get("at"),
                "moves": item.get("moves"),
            }
            try:
                index = TurnRecord.from_json(turn).index
            except StoreError as exc:
                raise TransferError(f"{where}:1: {exc}{_FIX}") from None
            if index in pending.indices:
                raise TransferError(
                    f"{where}:1: call '{call}' has turn {index} twice"
                    " — remove the repeated line; nothing was imported"
                )
            pending.turns.append(turn)
            pending.indices.add(index)
    records = []
    for call, pending in calls.items():
        if pending.header is None:
            raise TransferError(
                f"{path}:{pending.line}:1: call '{call}' has no session header"
                " (the 'session' field of its first line): not a trainer export"
            )
        data = dict(pending.header)
        data["id"] = call
        data["turns"] = sorted(pending.turns, key=lambda t: t["index"])
        try:
            records.append(SessionRecord.from_json(data))
        except StoreError as exc:
            raise TransferError(f"{path}:{pending.line}:1: {exc}{_FIX}") from None
    return records
