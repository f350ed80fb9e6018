"""``trainer audit``: grade transcripts, scripts and scenario files with a rulebook.

Inputs, by extension (or by content when the extension says nothing):

* transcript JSONL (``.jsonl``/``.ndjson``): one record per line with ``id``,
  ``call_id``, ``turn``, ``speaker``, ``text`` and optional context ``party``,
  ``verified``, ``time`` (ISO 8601), ``lang``; unknown fields are ignored;
* the same columns as CSV (``.csv``);
* plain text (``.txt``): one agent utterance per line;
* content YAML: every best/acceptable guided option of a scenario (in the
  context its node is reached in) and every text of a ``kind: wording`` library;
* directories, recursively.

Only agent turns are graded. ``ctx.turn`` is the agent's own turn number within
the call (1 = the agent's first utterance), which is what first-turn rules mean.
Without ``--rules`` each input is graded by the rulebook of its own locale (see
`trainer.grading.books`): a record's ``lang``, a content file's ``locale:``.
A malformed record is reported with its file and line and the rest of the file
is still audited. Large JSONL and text files are split into chunks at call
boundaries for ``--jobs``.
"""

from __future__ import annotations

import csv
import json
import json.scanner
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar

from trainer.audit import reading
from trainer.audit.reading import BadBytes
from trainer.diagnostics import Diagnostic
from trainer.grading.books import BookSet
from trainer.grading.findings import CallContext, Finding
from trainer.grading.rulebook import MAX_GRADED
from trainer.paths import LEDGER_NAME
from trainer.vocab import PARTIES as _PARTIES

if TYPE_CHECKING:
    from trainer.grading.rulebook import Rulebook

JSONL_SUFFIXES = (".jsonl", ".ndjson")
CSV_SUFFIXES = (".csv",)
TEXT_SUFFIXES = (".txt", ".text")
YAML_SUFFIXES = (".yaml", ".yml")
KNOWN_SUFFIXES = JSONL_SUFFIXES + CSV_SUFFIXES + TEXT_SUFFIXES + YAML_SUFFIXES
CHUNK_BYTES = 4 * 1024 * 1024
#: Remembered (text, context) results per file; cleared when full.
MEMO_SIZE = 50_000
#: Agent utterances graded together (`Rulebook.check_many`): enough for the learned
#: stage's compiled sums to pay off, few enough to keep memory small.
BATCH = 1024
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}
_HAS_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")


@dataclass(frozen=True, slots=True)
class Hit:
    """A finding located in an input: which record, file, line and column."""

    record: str
    call_id: str | None
    turn: int | None
    file: str
    line: int
    column: int
    finding: Finding

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of one entry of ``findings`` in ``--format json``."""
        data: dict[str, Any] = {
            "record": self.record,
            "call_id": self.call_id,
            "turn": self.turn,
            "file": self.file,
            "line": self.line,
            "column": self.column,
        }
        data.update(self.finding.to_json())
        return data


@dataclass
class AuditResult:
    """Everything an audit produced: hits, input errors and counts.

    With a ``sink`` (a report being written, `trainer.audit.formats.ReportWriter`)
    hits are handed to it as they are found, in input order, and not kept here:
    memory stays flat however large the input.
    """

    hits: list[Hit] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    #: warnings that are not input errors: the ungraded tail of a very long line (K653)
    notices: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    records: int = 0
    audited: int = 0
    skipped: int = 0
    sink: Callable[[list[Hit]], None] | None = None

    def deliver(self) -> None:
        """Hand the hits found so far to the sink (when there is one)."""
        if self.sink is not None and self.hits:
            self.sink(self.hits)
            self.hits = []

    def merge(self, other: AuditResult) -> None:
        """Add another partial result (from a chunk or a worker)."""
        self.hits.extend(other.hits)
        self.deliver()
        self.errors.extend(other.errors)
        self.notices.extend(other.notices)
        self.records += other.records
        self.audited += other.audited
        self.skipped += other.skipped


@dataclass(frozen=True)
class Unit:
    """A piece of work: a file (or a byte range of one) of a given input kind."""

    path: str
    display: str
    kind: str
    start: int = 0
    end: int = -1
    first_line: int = 1
    #: the locale of a plain-text file (picked from its script), else None
    locale: str | None = None


# ---------------------------------------------------------------- discovery


def discover(paths: Iterable[str]) -> tuple[list[tuple[Path, str]], list[Diagnostic]]:
    """Input files under ``paths`` with their display names; missing paths are errors."""
    found: list[tuple[Path, str]] = []
    errors: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for sub in sorted(path.rglob("*")):
                if sub.name == LEDGER_NAME:
                    continue  # a content folder's approvals ledger, not a transcript
                if sub.is_file() and sub.suffix.lower() in KNOWN_SUFFIXES:
                    found.append((sub, str(sub)))
        elif path.is_file() or raw == "-":
            found.append((path, raw))
        else:
            errors.append(Diagnostic(raw, 1, 1, "K650", "no such file or folder", "check the path"))
    return found, errors


def sniff(path: Path) -> str:
    """The input kind of a file: jsonl, csv, text or yaml (by extension, else content).

    Standard input (``-``) is sniffed by its first line without consuming it: JSON
    records are audited as JSONL (each with its own ``lang``), anything else as text.
    """
    if str(path) == "-":
        return _sniff_stdin()
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in YAML_SUFFIXES:
        return "yaml"
    if suffix in TEXT_SUFFIXES:
        return "text"
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).decode("utf-8", errors="replace")
    except OSError:
        return "text"
    first = next((line.strip() for line in head.splitlines() if line.strip()), "")
    if first.startswith("{"):
        return "jsonl"
    if first.startswith("kind:") or "\nkind:" in head:
        return "yaml"
    if "," in first and "text" in [c.strip().lower() for c in first.split(",")]:
        return "csv"
    return "text"


def _sniff_stdin() -> str:
    import sys

    buffer = getattr(sys.stdin, "buffer", None)
    peek = getattr(buffer, "peek", None)
    head = peek(4096)[:4096].decode("utf-8", errors="replace") if callable(peek) else ""
    first = next((line.strip() for line in head.splitlines() if line.strip()), "")
    return "jsonl" if first.startswith("{") else "text"


def plan(files: list[tuple[Path, str]], jobs: int) -> list[Unit]:
    """Split the inputs into units of work; big JSONL/text files become several chunks."""
    units: list[Unit] = []
    for path, display in files:
        kind = sniff(path)
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        locale = text_locale(path) if kind == "text" else None
        if jobs > 1 and kind in ("jsonl", "text") and size > CHUNK_BYTES:
            units.extend(_chunks(path, display, kind, size, jobs, locale))
        else:
            units.append(Unit(str(path), display, kind, locale=locale))
    return units


def text_locale(path: Path, probe: int = 65536) -> str:
    """The locale of a plain-text script: en-US when its start has no Chinese character."""
    if str(path) == "-":
        return "zh-CN"
    try:
        with path.open("rb") as handle:
            head = handle.read(probe).decode("utf-8", errors="ignore")
    except OSError:
        return "zh-CN"
    return "zh-CN" if _HAS_CJK.search(head) or not head.strip() else "en-US"


def _chunks(
    path: Path, display: str, kind: str, size: int, jobs: int, locale: str | None = None
) -> list[Unit]:
    """Byte ranges of a big file, cut at line starts (and, for JSONL, call boundaries)."""
    pieces = max(jobs * 4, size // (16 * CHUNK_BYTES) + 1)
    step = max(CHUNK_BYTES // 4, size // pieces)
    cuts = [0]
    with path.open("rb") as handle:
        while cuts[-1] + step < size:
            handle.seek(cuts[-1] + step)
            handle.readline()
            position = handle.tell()
            if kind == "jsonl":
                position = _call_boundary(handle, position)
            if position >= size:
                break
            cuts.append(position)
        handle.seek(0)
        units: list[Unit] = []
        line = 1
        previous = 0
        for i, cut in enumerate(cuts):
            end = cuts[i + 1] if i + 1 < len(cuts) else size
            handle.seek(previous)
            line += handle.read(cut - previous).count(b"\n")
            previous = cut
            units.append(Unit(str(path), display, kind, cut, end, line, locale))
    return units


def _call_boundary(handle: IO[bytes], position: int) -> int:
    """Move ``position`` forward past lines of the same call as the line before it."""

    def call_of(raw: bytes) -> object:
        try:
            value = json.loads(raw)
        except ValueError:
            return object()
        return value.get("call_id") if isinstance(value, dict) else object()

    handle.seek(max(0, position - 1))
    # the line just before ``position``: walk back to its start
    back = max(0, position - 65536)
    handle.seek(back)
    before = handle.read(position - back)
    last = before.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    current = call_of(last)
    if current is None:
        return position
    handle.seek(position)
    while True:
        raw = handle.readline()
        if not raw or call_of(raw) != current:
            return position
        position += len(raw)


# ---------------------------------------------------------------- running


class Auditor:
    """Runs rulebooks over records, keeping per-call turn numbers and history.

    Each record is graded by the fixed book, or (without ``--rules``) by the
    book of its ``lang``. Earlier utterances of a call are kept only for books
    with rules that look back (``absent:``); otherwise contexts are shared.
    """

    #: Shared by every auditor of the process (a worker audits many chunks):
    #: contexts are plain values, and remembered results depend only on the
    #: text, the (shared) context object and the book. Transcripts repeat
    #: scripted lines (greetings, the recording notice, the close) word for
    #: word; a shared context object stands for the same grading situation, so
    #: the same text in it gets the same findings. Contexts with call history
    #: are never shared and never remembered.
    _contexts: ClassVar[dict[tuple[Any, ...], CallContext]] = {}
    _memo: ClassVar[dict[tuple[str, int, int], tuple[Finding, ...]]] = {}
    _books: ClassVar[dict[int, Rulebook]] = {}

    def __init__(self, books: BookSet) -> None:
        self.books = books
        self.fixed = books.get() if books.fixed is not None else None
        #: per call: the agent's turns so far and (for books that look back) what it said
        self.calls = CallMemory()
        self._looks_back: dict[str, bool] = {}
        #: agent utterances waiting to be graded in one batch, in input order
        self.queue: list[_Queued] = []

    def submit(self, item: _Queued) -> None:
        """Queue an utterance; a full queue is graded and its hits reported."""
        self.queue.append(item)
        if len(self.queue) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Grade the queued utterances (a batch per rulebook) and report them in order.

        Results are remembered as `check` remembers them; an utterance already
        graded in the same shared context is not graded again.
        """
        queue, self.queue = self.queue, []
        if not queue:
            return
        memo = self._memo
        results: list[tuple[Finding, ...] | None] = [None] * len(queue)
        todo: dict[int, list[int]] = {}
        keys: list[tuple[str, int, int] | None] = [None] * len(queue)
        for i, item in enumerate(queue):
            book, text, ctx = item[0], item[1], item[2]
            if not ctx.history:
                keys[i] = (text, id(ctx), id(book))
                found = memo.get(keys[i])  # type: ignore[arg-type]
                if found is not None:
                    results[i] = found
                    continue
            todo.setdefault(id(book), []).append(i)
        for indices in todo.values():
            book = queue[indices[0]][0]
            if id(book) not in self._books:
                self._books[id(book)] = book  # kept alive: its id stays unique in the keys
            graded = book.check_many([(queue[i][1], queue[i][2]) for i in indices])
            for i, found in zip(indices, graded, strict=True):
                results[i] = found
                remembered = keys[i]
                if remembered is not None and MEMO_SIZE:
                    if len(memo) >= MEMO_SIZE:
                        memo.clear()
                    memo[remembered] = found
        reported: dict[int, AuditResult] = {}
        for item, found in zip(queue, results, strict=True):
            assert found is not None
            _report(item, found)
            reported[id(item[3])] = item[3]
        for result in reported.values():
            result.deliver()

    def book_for(self, lang: object) -> Rulebook:
        """The rulebook for a record with this ``lang`` value."""
        return self.fixed if self.fixed is not None else self.books.for_lang(lang)

    def looks_back(self, book: Rulebook) -> bool:
        """True when some rule of ``book`` needs the earlier turns of the call."""
        flag = self._looks_back.get(book.id)
        if flag is None:
            flag = any(rule.absent is not None for rule in book.rules)
            self._looks_back[book.id] = flag
        return flag

    def context(
        self,
        call: str | None,
        turn: int | None,
        party: str,
        verified: bool,
        when: datetime | None,
        history_needed: bool = False,
    ) -> CallContext:
        """The context of the next agent utterance of ``call``."""
        if call is not None:
            ordinal = self.calls.next_turn(call)
        else:
            ordinal = turn if turn and turn > 0 else 1
        history: tuple[str, ...] = ()
        if history_needed and call is not None:
            history = self.calls.said(call)
        if history:
            return CallContext("agent", party, verified, ordinal, when, False, history)  # type: ignore[arg-type]
        # Rules only distinguish the first agent turn from later ones and read the
        # clock time of the call, so contexts are shared: later turns use turn=2 and
        # ``time`` is the local time of day (to the minute) the record gives.
        key = (party, verified, ordinal == 1, when)
        ctx = self._contexts.get(key)
        if ctx is None:
            clock = when.time().replace(second=0, microsecond=0, tzinfo=None) if when else None
            ctx = CallContext("agent", party, verified, min(ordinal, 2), clock)  # type: ignore[arg-type]
            if len(self._contexts) >= 100_000:
                # forget contexts and the results remembered for them together,
                # so no remembered result outlives the context object it names
                # (the queue is graded first: its results name contexts of now)
                self.flush()
                self._contexts.clear()
                self._memo.clear()
            self._contexts[key] = ctx
        return ctx

    def said(self, call: str | None, text: str) -> None:
        """Remember an agent utterance for later turns of the same call."""
        if call is not None:
            self.calls.add(call, text)


class CallMemory:
    """What the audit remembers of each call: the agent's turn count and earlier lines.

    A transcript file can hold millions of calls, so only the `KEEP` calls seen
    most recently stay in memory; older ones move to a temporary SQLite table on
    disk and come back if their call continues later in the input (transcripts
    are mostly grouped by call, so that is rare). Nothing is forgotten: turn
    numbers and history are those of a memory without limit, and memory stays
    flat whatever the number of calls.
    """

    KEEP = 20_000

    def __init__(self) -> None:
        #: call → [turns, earlier lines]; insertion order is recency (oldest first)
        self._recent: dict[str, list[Any]] = {}
        self._disk: Any = None  # sqlite3.Connection once a call has been moved out

    def _state(self, call: str) -> list[Any]:
        recent = self._recent
        state = recent.pop(call, None)
        if state is None:
            state = self._restore(call) if self._disk is not None else [0, []]
            if len(recent) >= self.KEEP:
                self._move_out()
        recent[call] = state  # now the most recent
        return state

    def next_turn(self, call: str) -> int:
        """Count one more agent turn of ``call``; its number (1 = the first)."""
        state = self._state(call)
        state[0] += 1
        return int(state[0])

    def said(self, call: str) -> tuple[str, ...]:
        """The agent's earlier lines in ``call`` that `add` recorded."""
        return tuple(self._state(call)[1])

    def add(self, call: str, text: str) -> None:
        """Record an agent line of ``call`` for its later turns."""
        self._state(call)[1].append(text)

    def _move_out(self) -> None:
        """Move the oldest tenth of the calls in memory to disk."""
        import sqlite3

        if self._disk is None:
            self._disk = sqlite3.connect("")  # a private temporary database on disk
            self._disk.execute(
                "CREATE TABLE calls (call TEXT PRIMARY KEY, turns INTEGER, said TEXT)"
            )
        recent = self._recent
        oldest = list(islice(recent, max(1, self.KEEP // 10)))
        rows = []
        for call in oldest:
            turns, said = recent.pop(call)
            rows.append((json.dumps(call), turns, json.dumps(said)))
        self._disk.executemany("INSERT OR REPLACE INTO calls VALUES (?, ?, ?)", rows)

    def _restore(self, call: str) -> list[Any]:
        """A call's state from disk (or a new one), taken out of the table."""
        key = json.dumps(call)
        row = self._disk.execute("SELECT turns, said FROM calls WHERE call = ?", (key,)).fetchone()
        if row is None:
            return [0, []]
        self._disk.execute("DELETE FROM calls WHERE call = ?", (key,))
        return [row[0], json.loads(row[1])]


def run_unit(
    books: BookSet, unit: Unit, sink: Callable[[list[Hit]], None] | None = None
) -> AuditResult:
    """Audit one unit of work (its hits go to ``sink`` as they are found, when given)."""
    result = AuditResult(sink=sink)
    try:
        if unit.kind == "jsonl":
            _run_jsonl(books, unit, result)
        elif unit.kind == "csv":
            _run_csv(books, unit, result)
        elif unit.kind == "yaml":
            result.merge(run_yaml(books, [unit]))
        else:
            _run_text(books, unit, result)
    except OSError as exc:
        result.errors.append(
            Diagnostic(
                unit.display,
                1,
                1,
                "K650",
                f"cannot read input: {exc.strerror or exc}",
                "check the path and permissions",
            )
        )
    except UnicodeDecodeError as exc:
        result.errors.append(
            Diagnostic(
                unit.display,
                1,
                1,
                "K650",
                f"input is not UTF-8 text ({exc.reason})",
                "save the file as UTF-8",
            )
        )
    return result


def _lines(unit: Unit, jsonl: bool = False) -> Iterator[tuple[int, str | BadBytes]]:
    """(line number, text or `BadBytes`) of the unit's byte range, read as a stream."""
    return reading.lines(unit.path, unit.start, unit.end, unit.first_line, jsonl)


def _unreadable(
    result: AuditResult, unit: Unit, line: int, message: str, hint: str, column: int = 1
) -> None:
    """Count a record that cannot be read and report it (K651); the rest of the file
    is still audited."""
    result.records += 1
    result.errors.append(Diagnostic(unit.display, line, column, "K651", message, hint))


def _not_utf8(result: AuditResult, unit: Unit, line: int, bad: BadBytes) -> None:
    """Report a line that is not UTF-8; the rest of the file is still audited."""
    _unreadable(result, unit, line, bad.message(), reading.HINT, column=bad.column)


def ungraded(
    result: AuditResult, file: str, line: int, column: int, record: str, text: str
) -> None:
    """Add a K653 notice when ``text`` is longer than the grader reads (`MAX_GRADED`).

    The grader reads only the first `MAX_GRADED` characters of a line (so one
    pasted book cannot stall an audit); the rest is named here so that nobody
    takes the line for clean. ``column`` is where the text starts on its input
    line (0 when unknown).
    """
    if len(text) <= MAX_GRADED:
        return
    result.notices.append(
        Diagnostic(
            file,
            line,
            column + MAX_GRADED if column > 0 else 1,
            "K653",
            f"record {record}: only the first {MAX_GRADED} characters were graded;"
            f" characters {MAX_GRADED + 1}-{len(text)} ({len(text) - MAX_GRADED} more)"
            " were not",
            f"split the utterance into lines of at most {MAX_GRADED} characters",
            "warning",
        )
    )


def _flag(value: Any, default: bool) -> bool | None:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return default if text == "" else False
    return None


_WHEN_CACHE: dict[str, tuple[datetime | None, bool]] = {}


def _when(value: Any) -> tuple[datetime | None, bool]:
    """Parse an ISO 8601 time (cached: transcripts repeat the same stamps a lot)."""
    if value is None or value == "":
        return None, True
    if not isinstance(value, str):
        return None, False
    cached = _WHEN_CACHE.get(value)
    if cached is not None:
        return cached
    try:
        parsed: tuple[datetime | None, bool] = (
            datetime.fromisoformat(value.strip().replace("Z", "+00:00")),
            True,
        )
    except ValueError:
        parsed = (None, False)
    if len(_WHEN_CACHE) < 100_000:
        _WHEN_CACHE[value] = parsed
    return parsed


def _bad(result: AuditResult, unit: Unit, line: int, message: str, hint: str) -> None:
    result.errors.append(Diagnostic(unit.display, line, 1, "K652", message, hint))


_HINTS = {
    "party": "use debtor, third_party or unknown",
    "verified": "use true or false",
    "time": "use ISO 8601, e.g. 2025-03-01T23:10:00",
    "turn": "use a whole number from 0 to 1000000",
    "lang": 'use a locale string such as "zh-CN" or "en-US"',
}
#: The largest turn number a record may give (calls have tens of turns).
MAX_TURN = 1_000_000


def _turn(value: Any) -> int | bool | None:
    """A record's ``turn`` as a whole number (None when empty), or False when it is not one.

    Strings and whole floats are accepted (CSV cells, ``3.0``); Infinity, NaN,
    ``1e400``, fractions, booleans, lists and numbers above `MAX_TURN` are not.
    """
    if value == "" or value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return False
    try:
        number = float(value) if isinstance(value, str) and not value.strip().isdigit() else value
        if isinstance(number, float):
            if not number.is_integer():
                return False
            number = int(number)
        number = int(number)
    except (ValueError, OverflowError):
        return False
    return number if 0 <= number <= MAX_TURN else False


def _record(
    auditor: Auditor,
    result: AuditResult,
    unit: Unit,
    line: int,
    rec: dict[str, Any],
    raw: str | None,
) -> None:
    """Validate one transcript record, grade it if it is an agent turn.

    Written for speed (it runs once per record): the common types are tested
    first and the helpers only run for unusual values.
    """
    result.records += 1
    get = rec.get
    text = get("text")
    if not isinstance(text, str):
        _bad(result, unit, line, "record has no 'text' string", 'add "text": "..."')
        return
    speaker = get("speaker") or "agent"
    if speaker != "agent":
        if speaker == "customer":
            result.skipped += 1
        else:
            _bad(result, unit, line, f"unknown speaker {speaker!r}", "use 'agent' or 'customer'")
        return
    party = get("party") or "debtor"
    value = get("verified")
    verified = value if value is True or value is False else _flag(value, True)
    stamp = get("time")
    when, ok = _when(stamp) if stamp is not None else (None, True)
    if party not in _PARTIES or verified is None or not ok:
        bad = "party" if party not in _PARTIES else "verified" if verified is None else "time"
        _bad(result, unit, line, f"bad value for '{bad}': {get(bad)!r}", _HINTS[bad])
        return
    call_raw = get("call_id")
    call = None if call_raw is None or call_raw == "" else str(call_raw)
    turn_raw = get("turn")
    if turn_raw is None or (turn_raw.__class__ is int and 0 <= turn_raw <= MAX_TURN):
        turn = turn_raw
    else:
        turn = _turn(turn_raw)
        if turn is False:
            _bad(result, unit, line, f"bad value for 'turn': {turn_raw!r}", _HINTS["turn"])
            return
    lang = get("lang")
    if lang is not None and not isinstance(lang, str):
        _bad(result, unit, line, f"bad value for 'lang': {lang!r}", _HINTS["lang"])
        return
    book = auditor.book_for(lang)
    looks_back = auditor.looks_back(book)
    ctx = auditor.context(call, turn, party, bool(verified), when, looks_back)
    result.audited += 1
    auditor.submit((book, text, ctx, result, unit, line, get("id"), raw, call, turn))
    if looks_back:
        auditor.said(call, text)


#: An agent utterance waiting in `Auditor.queue`: book, text, context, the result
#: it reports to, unit, line, the record's ``id``, raw line, call and turn.
_Queued = tuple[
    "Rulebook", str, CallContext, AuditResult, Unit, int, Any, "str | None", "str | None", Any
]


def _report(item: _Queued, findings: tuple[Finding, ...]) -> None:
    """Add a graded utterance's hits (and its K653 notice) to its result."""
    _, text, _, result, unit, line, rid, raw, call, turn = item
    if findings or len(text) > MAX_GRADED:
        record = str(rid) if rid not in (None, "") else f"{unit.display}:{line}"
        base = _text_column(raw, text)
        ungraded(result, unit.display, line, base, record, text)
        for finding in findings:
            column = base + finding.start if base else 1
            result.hits.append(Hit(record, call, turn, unit.display, line, column, finding))


def _text_column(raw: str | None, text: str) -> int:
    """1-based column of ``text`` inside the raw input line, or 0 when unknown."""
    if raw is None:
        return 0
    encoded = json.dumps(text, ensure_ascii=False)[1:-1]
    at = raw.find(encoded) if encoded == text else raw.find(text)
    return at + 1 if at >= 0 else 0


_SCAN = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def _parse(raw: str) -> Any:
    """One JSON value per line. The C scanner without ``json.loads``' extra passes;
    anything unusual (leading space, trailing data, bad JSON) goes to ``json.loads``,
    which parses it or raises the error with its column."""
    try:
        value, end = _SCAN(raw, 0)
    except (StopIteration, ValueError):
        return json.loads(raw)
    if end != len(raw) and raw[end:].strip():
        return json.loads(raw)
    return value


def _run_jsonl(books: BookSet, unit: Unit, result: AuditResult) -> None:
    auditor = Auditor(books)
    for line, raw in _lines(unit, jsonl=True):
        if isinstance(raw, BadBytes):
            _not_utf8(result, unit, line, raw)
            continue
        if not raw or raw.isspace():
            continue
        try:
            rec = _parse(raw)
        except ValueError as exc:
            msg = getattr(exc, "msg", str(exc))
            _unreadable(
                result,
                unit,
                line,
                f"malformed JSON record: {msg}",
                "one JSON object per line",
                column=getattr(exc, "colno", 1),
            )
            continue
        if not isinstance(rec, dict):
            _unreadable(
                result, unit, line, "record is not a JSON object", "one JSON object per line"
            )
            continue
        if reading.may_hold_surrogates(raw):
            rec = reading.clean_record(rec)
        _record(auditor, result, unit, line, rec, raw)
    auditor.flush()


def _run_csv(books: BookSet, unit: Unit, result: AuditResult) -> None:
    auditor = Auditor(books)
    bad: dict[int, BadBytes] = {}

    def decoded() -> Iterator[str]:
        """Lines as text for the csv reader; a line that is not UTF-8 is noted in ``bad``."""
        for number, raw in enumerate(reading.byte_lines(unit.path), 1):
            text = reading.decode(raw, first=number == 1)
            if isinstance(text, BadBytes):
                bad[number] = text
                text = raw.decode("utf-8", "replace")
            yield text

    reader = csv.DictReader(decoded())
    if reader.fieldnames is None or "text" not in [f.strip() for f in reader.fieldnames]:
        result.errors.append(
            Diagnostic(
                unit.display,
                1,
                1,
                "K651",
                "CSV has no 'text' column",
                "the header needs id,call_id,turn,speaker,text",
            )
        )
        return
    reader.fieldnames = [f.strip() for f in reader.fieldnames]
    start = 2
    try:
        for row in reader:
            line = start
            start = reader.line_num + 1
            broken = next((n for n in range(line, start) if n in bad), None)
            if broken is not None:
                _not_utf8(result, unit, broken, bad[broken])
                continue
            if None in row:
                _unreadable(
                    result,
                    unit,
                    line,
                    "row has more fields than the header",
                    "quote values that contain commas",
                )
                continue
            _record(auditor, result, unit, line, dict(row), None)
    except csv.Error as exc:
        auditor.flush()
        result.errors.append(
            Diagnostic(
                unit.display,
                reader.line_num,
                1,
                "K651",
                f"malformed CSV: {exc}",
                "check quoting",
            )
        )
    auditor.flush()


def _run_text(books: BookSet, unit: Unit, result: AuditResult) -> None:
    book = books.get(unit.locale)
    batch: list[tuple[str, CallContext]] = []
    for line, text in _lines(unit):
        if isinstance(text, BadBytes):
            _not_utf8(result, unit, line, text)
            continue
        if not text.strip():
            continue
        result.records += 1
        result.audited += 1
        ungraded(result, unit.display, line, 1, f"{unit.display}:{line}", text)
        batch.append((text, CallContext(turn=line)))
        if len(batch) >= BATCH:
            _text_hits(book, batch, unit, result)
            batch = []
    _text_hits(book, batch, unit, result)


def _text_hits(
    book: Rulebook, batch: list[tuple[str, CallContext]], unit: Unit, result: AuditResult
) -> None:
    """Grade a batch of script lines and report their hits (``ctx.turn`` is the line)."""
    for (_, ctx), findings in zip(batch, book.check_many(batch), strict=True):
        line = ctx.turn
        for finding in findings:
            result.hits.append(
                Hit(
                    f"{unit.display}:{line}",
                    None,
                    line,
                    unit.display,
                    line,
                    finding.start + 1,
                    finding,
                )
            )
    result.deliver()


def run_yaml(books: BookSet, units: list[Unit]) -> AuditResult:
    """Audit content YAML files together (variants need their bases, scenarios their libraries).

    Each line is graded by the book of its file's ``locale`` unless a book is fixed.
    """
    from trainer.audit.scripts import lines_of

    result = AuditResult()
    if not units:
        return result
    lines, errors = lines_of([Path(unit.path) for unit in units])
    result.errors.extend(errors)
    seen: set[tuple[str, int, str, int, int]] = set()
    for item in lines:
        result.records += 1
        result.audited += 1
        ungraded(result, item.file, item.line, max(item.column, 0), item.record, item.text)
        book = books.get(item.locale)
        for ctx in item.contexts:
            for finding in book.check(item.text, ctx):
                key = (item.file, item.line, finding.rule, finding.start, finding.end)
                if key in seen:
                    continue
                seen.add(key)
                result.hits.append(
                    Hit(
                        item.record,
                        item.call_id,
                        None,
                        item.file,
                        item.line,
                        item.column + finding.start if item.column > 0 else abs(item.column) or 1,
                        finding,
                    )
                )
    return result


# ---------------------------------------------------------------- parallel

_WORKER_BOOKS: BookSet | None = None


_PARENT = 0


def _worker_init(book_ref: str | None, parent: int = 0) -> None:
    """Set up a worker: tied to its parent (see `tie_to_parent`), rulebooks loaded."""
    global _WORKER_BOOKS, _PARENT
    _PARENT = parent
    if parent:
        tie_to_parent(parent)
    if _WORKER_BOOKS is None:
        from trainer.grading.rulebook import load_rulebook

        _WORKER_BOOKS = BookSet(load_rulebook(book_ref) if book_ref else None)


Packed = tuple[AuditResult, list[tuple[Any, ...]]]


def tie_to_parent(parent: int) -> None:
    """End this worker when the audit that started it dies (even by ``kill -9``).

    On Linux the kernel sends SIGKILL to the worker when its parent exits
    (``PR_SET_PDEATHSIG``). Everywhere, a daemon thread checks once a second that
    the parent is still there, and `_worker` checks before each unit.
    """
    import signal
    import sys
    import threading

    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    _orphaned()  # the parent may have died before the line above

    def watch() -> None:
        import time

        while True:
            time.sleep(1.0)
            _orphaned()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _orphaned() -> None:
    """Exit at once when this worker's parent is gone (it was re-parented)."""
    if _PARENT and os.getppid() != _PARENT:
        os._exit(1)


def _worker(unit: Unit) -> Packed:
    """Audit a unit in a worker; hits travel as small tuples (rule id, span, place)."""
    _orphaned()
    assert _WORKER_BOOKS is not None, "set before the pool starts (fork) or by _worker_init"
    result = run_unit(_WORKER_BOOKS, unit)
    hits = [
        (
            h.record,
            h.call_id,
            h.turn,
            h.file,
            h.line,
            h.column,
            h.finding.rule,
            h.finding.severity,
            h.finding.start,
            h.finding.end,
            h.finding.match,
        )
        for h in result.hits
    ]
    result.hits = []
    return result, hits


def _unpack(books: BookSet, packed: Packed) -> AuditResult:
    """Rebuild the findings of a worker's result from the compiled rulebooks."""
    result, rows = packed
    for record, call, turn, file, line, column, rid, severity, start, end, match in rows:
        rule = books.rule(rid)
        finding = Finding(
            rid,
            rule.category,
            severity,
            start,
            end,
            match,
            rule.message,
            rule.suggestion,
            rule.citations,
        )
        result.hits.append(Hit(record, call, turn, file, line, column, finding))
    return result


def audit(
    paths: Iterable[str],
    book: Rulebook | BookSet | None = None,
    book_ref: str | None = None,
    jobs: int | None = 1,
    sink: Callable[[list[Hit]], None] | None = None,
) -> AuditResult:
    """Audit every input under ``paths``; ``jobs`` > 1 uses processes.

    ``book`` is a `BookSet`, one `Rulebook` that grades everything (``book_ref``
    names it for workers that cannot fork), or None: each input's own locale.
    ``jobs=None`` picks the number of workers by the size of the input
    (`auto_jobs`). With a ``sink``, hits are handed to it in input order as they
    are found and the result keeps none (a report written as the audit goes).
    """
    books = book if isinstance(book, BookSet) else BookSet(book)
    if book_ref and books.fixed is not None:
        books.ref = book_ref
    files, errors = discover(paths)
    if jobs is None:
        jobs = auto_jobs(files)
    result = AuditResult(errors=list(errors), files=len(files), sink=sink)
    planned = plan(files, jobs)
    result.merge(run_yaml(books, [u for u in planned if u.kind == "yaml"]))
    units = [u for u in planned if u.kind != "yaml"]
    if jobs > 1 and len(units) > 1:
        import multiprocessing

        global _WORKER_BOOKS
        methods = multiprocessing.get_all_start_methods()
        if "fork" in methods:
            books.get()  # compile the default book once, before the workers fork
            for loaded in books.books():  # and its learned stage's batch matrix
                if loaded.classifier is not None:
                    loaded.classifier.prepare_batches()
            _WORKER_BOOKS = books
            context: Any = multiprocessing.get_context("fork")
            init_ref: str | None = None
        else:  # pragma: no cover - platforms without fork
            context = multiprocessing.get_context("spawn")
            init_ref = books.ref
        with context.Pool(
            min(jobs, len(units), os.cpu_count() or 1) or 1, _worker_init, (init_ref, os.getpid())
        ) as pool:
            for packed in pool.imap(_worker, units):
                result.merge(_unpack(books, packed))
    else:
        for unit in units:
            result.merge(run_unit(books, unit, sink))
    result.errors.sort()
    return result


#: Inputs at least this large are audited by one worker per available core when
#: ``--jobs`` is not given (below it, starting workers costs more than it saves).
AUTO_JOBS_BYTES = 8 * CHUNK_BYTES


def auto_jobs(files: list[tuple[Path, str]]) -> int:
    """Workers for an audit whose ``--jobs`` was not given: the cores this process
    may run on when the JSONL and text inputs reach `AUTO_JOBS_BYTES`, else one."""
    total = 0
    for path, _ in files:
        if path.suffix.lower() in KNOWN_SUFFIXES and path.suffix.lower() not in YAML_SUFFIXES:
            try:
                total += path.stat().st_size
            except OSError:
                continue
    if total < AUTO_JOBS_BYTES:
        return 1
    return available_cores()


def available_cores() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        return max(1, len(affinity(0)))
    return os.cpu_count() or 1
