"""Where each taught line stands against the ledger, and the entries a sign-off writes.

A line is ``approved`` when the ledger's latest approval of its id has its hash (or
when an approved line of the same group, e.g. an option of the same node, has it:
a line that only moved keeps its approval). It is ``changed`` when its id was
approved with other words, ``new`` when its id never was, and ``rules`` when its
words are approved but the grader now finds something else in them than it did at
signing (the rulebook or its learned model changed since). An approval whose line
is gone is ``removed``. Only ``approved`` needs nothing from a reviewer.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trainer.approvals.ledger import Entry, latest
from trainer.approvals.lines import TaughtLine
from trainer.approvals.text import normalise, word_diff
from trainer.diagnostics import Diagnostic
from trainer.grading.findings import Finding

if TYPE_CHECKING:
    from trainer.grading.books import BookSet

STATES = ("new", "changed", "rules", "removed", "approved")
PENDING = ("new", "changed", "rules")
#: Findings of these severities block a signature unless the reviewer overrides them.
BLOCKING = ("critical", "major")
#: Diagnostic code of each state in the approval gate.
CODES = {"new": "A901", "changed": "A902", "rules": "A903"}


@dataclass(frozen=True)
class LineStatus:
    """One line's standing: its state, the approval it is compared with, its findings now."""

    state: str
    id: str
    line: TaughtLine | None
    #: the approval it matches (approved, rules) or last had (changed, removed)
    entry: Entry | None
    #: what the grader finds in the line now (empty for removed lines)
    findings: tuple[Finding, ...] = ()

    @property
    def diff(self) -> str:
        """Word diff from the approved words to the current ones (changed lines)."""
        if self.state != "changed" or self.entry is None or self.line is None:
            return ""
        return word_diff(str(self.entry.data.get("text", "")), self.line.text)

    @property
    def signed_findings(self) -> list[dict[str, Any]]:
        """The findings recorded when the line was approved."""
        found = self.entry.data.get("findings", []) if self.entry else []
        return [f for f in found if isinstance(f, dict)]

    def finding_change(self) -> tuple[list[str], list[str]]:
        """Rule ids (with severity) found now but not at signing, and the reverse."""
        now = {_key_of(f.rule, f.severity) for f in self.findings}
        then = {_key_of(f.get("rule"), f.get("severity")) for f in self.signed_findings}
        return sorted(now - then), sorted(then - now)


def _key_of(rule: object, severity: object) -> str:
    return f"{rule} ({severity})"


def findings_of(line: TaughtLine, books: BookSet) -> tuple[Finding, ...]:
    """What the grader finds in the line in every context it is said in (one per rule)."""
    book = books.get(line.locale)
    found: dict[tuple[str, str], Finding] = {}
    for ctx in line.contexts:
        for finding in book.check(line.rendered, ctx):
            found.setdefault((finding.rule, finding.severity), finding)
    return tuple(sorted(found.values(), key=lambda f: (f.rank, f.rule)))


def review(
    lines: list[TaughtLine],
    entries: list[Entry],
    books: BookSet | None,
    in_scope: Callable[[str], bool] = lambda _id: True,
) -> list[LineStatus]:
    """The standing of every line and of every approval in scope whose line is gone.

    ``books`` grades the lines (for ``rules`` and the findings now); None skips grading.
    ``in_scope`` says whether an approved id belongs to the paths looked at (so a
    narrowed status does not call the rest of the content removed).
    """
    approvals = latest(entries)
    current = {line.id: line for line in lines}
    used: set[str] = set()
    matched: dict[str, Entry] = {}
    for line in lines:
        entry = approvals.get(line.id)
        if entry is not None and entry.hash == line.hash:
            matched[line.id] = entry
            used.add(line.id)
    spare: dict[tuple[str, str], list[Entry]] = {}
    for entry_id, entry in approvals.items():
        if entry_id not in used:
            group = str(entry.data.get("group", entry_id.rsplit("/", 1)[0]))
            spare.setdefault((group, entry.hash), []).append(entry)
    for line in lines:
        if line.id in matched:
            continue
        candidates = spare.get((line.group, line.hash))
        if candidates:  # the same words, approved at another place of the group: moved
            entry = candidates.pop(0)
            matched[line.id] = entry
            used.add(entry.id)
    out: list[LineStatus] = []
    for line in lines:
        findings = findings_of(line, books) if books is not None else ()
        entry = matched.get(line.id)
        if entry is None:
            state = "changed" if line.id in approvals else "new"
            out.append(LineStatus(state, line.id, line, approvals.get(line.id), findings))
            continue
        status = LineStatus("approved", line.id, line, entry, findings)
        if books is not None:
            gained, lost = status.finding_change()
            if gained or lost:
                status = LineStatus("rules", line.id, line, entry, findings)
        out.append(status)
    for entry_id, entry in approvals.items():
        if entry_id not in current and entry_id not in used and in_scope(entry_id):
            out.append(LineStatus("removed", entry_id, None, entry))
    return out


def gate(statuses: Iterable[LineStatus]) -> list[Diagnostic]:
    """One error at the line's file:line:col for each pending line a trainee can reach."""
    out: list[Diagnostic] = []
    for status in statuses:
        line = status.line
        if status.state not in PENDING or line is None or not line.reachable:
            continue
        out.append(
            Diagnostic(
                line.file,
                line.line,
                line.column,
                CODES[status.state],
                describe(status),
                "review it, then 'trainer approvals sign PATH --reviewer NAME'",
            )
        )
    return sorted(out)


def describe(status: LineStatus) -> str:
    """What is pending about a line, in one sentence."""
    what = {"option": "option", "wording": "wording", "objective": "objective"}.get(
        status.line.kind if status.line else "", "line"
    )
    if status.state == "new":
        return f"{what} not approved: {_short(status.line.text if status.line else '')}"
    if status.state == "changed":
        return f"{what} changed since its approval: {status.diff}"
    if status.state == "rules":
        gained, lost = status.finding_change()
        parts = []
        if gained:
            parts.append("now found " + ", ".join(gained))
        if lost:
            parts.append("no longer found " + ", ".join(lost))
        return f"{what} approved under other findings: {'; '.join(parts)}"
    if status.state == "removed":
        return "approved line removed"
    return "approved"


def _short(text: str, limit: int = 60) -> str:
    text = normalise(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Blocked(Exception):
    """Lines with serious findings that a reviewer did not override; ``lines`` holds them."""

    def __init__(self, lines: list[LineStatus]) -> None:
        self.lines = lines
        super().__init__(f"{len(lines)} line(s) with critical or major findings")


def sign_entries(
    statuses: Iterable[LineStatus],
    books: BookSet,
    *,
    reviewer: str,
    note: str = "",
    override: str | None = None,
    now: _dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Ledger entries (not yet chained) approving every pending line and withdrawing
    every removed one.

    Raises `Blocked` when a line to approve has a critical or major finding and no
    ``override`` reason was given; nothing is signed then.
    """
    pending = [s for s in statuses if s.state in (*PENDING, "removed")]
    blocked = [
        s
        for s in pending
        if s.state != "removed" and any(f.severity in BLOCKING for f in s.findings)
    ]
    if blocked and not override:
        raise Blocked(blocked)
    stamp = (now or _dt.datetime.now(_dt.UTC)).astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out: list[dict[str, Any]] = []
    for status in pending:
        common = {"id": status.id, "reviewer": reviewer, "time": stamp, "note": note}
        if status.state == "removed" or status.line is None:
            out.append({"action": "withdraw", **common})
            continue
        line = status.line
        book = books.get(line.locale)
        serious = any(f.severity in BLOCKING for f in status.findings)
        out.append(
            {
                "action": "approve",
                **common,
                "group": line.group,
                "hash": line.hash,
                "text": normalise(line.text),
                "rulebook": {"id": book.id, "version": str(book.version)},
                "findings": [
                    {"rule": f.rule, "category": f.category, "severity": f.severity}
                    for f in status.findings
                ],
                **({"override": override} if serious and override else {}),
            }
        )
    return out
