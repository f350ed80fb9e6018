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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

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


def read_jsonl(path: Path) -> list[SessionRecord]:
    """Sessions from an export file. Raises TransferError naming the file and line."""
    from trainer.paths import regular_file_problem
    from trainer.records import SessionRecord, StoreError

    calls: dict[str, _Pending] = {}
    problem = regular_file_problem(path)
    if problem is not None:
        raise TransferError(f"{path}: {problem}")
    try:
        handle = path.open(encoding="utf-8-sig")
    except OSError as exc:
        raise TransferError(f"{path}: cannot read: {exc.strerror}") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            where = f"{path}:{number}"
            try:
                item = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise TransferError(f"{where}:{exc.colno}: malformed JSON: {exc.msg}") from None
            if not isinstance(item, dict):
                raise TransferError(f"{where}:1: a record must be a JSON object")
            call = item.get("call_id")
            if not isinstance(call, str) or not call:
                raise TransferError(f"{where}:1: record has no 'call_id'")
            pending = calls.setdefault(call, _Pending(None, [], number))
            if isinstance(item.get("session"), dict):
                pending.header = item["session"]
            try:
                pending.turns.append(
                    {
                        "index": int(item["turn"]),
                        "speaker": item["speaker"],
                        "text": item["text"],
                        "node": item.get("node") or "",
                        "intent": item.get("intent"),
                        "score": item.get("score"),
                        "findings": item.get("findings") or [],
                        "meters": item.get("meters") or {},
                        "at": item.get("at") or "",
                        "moves": item.get("moves") or [],
                    }
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise TransferError(f"{where}:1: bad turn record ({exc})") from None
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
            raise TransferError(f"{path}:{pending.line}:1: {exc}") from None
    return records
