"""Value objects of the grader: the call context, citations and findings.

These are plain frozen dataclasses with no heavy imports, so the engine, the
store and the report writers can use them without compiling a rulebook.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import total_ordering
from typing import Any, Literal

# The vocabularies live in `trainer.vocab`; re-exported here for the grader's API.
from trainer.vocab import CATEGORIES as CATEGORY_CODES
from trainer.vocab import SEVERITIES, SEVERITY_RANK, Party, Severity, Speaker, category_names

__all__ = [
    "CATEGORY_CODES",
    "SEVERITIES",
    "SEVERITY_RANK",
    "CallContext",
    "Citation",
    "Finding",
    "Party",
    "Severity",
    "Speaker",
    "TurnFinding",
    "category_names",
]


@dataclass(frozen=True, slots=True)
class CallContext:
    """What the grader needs to know about the moment an utterance is said.

    ``time`` is the local time of the call; ``history`` holds the earlier agent
    utterances of the same call (some rules look for a statement made before).
    """

    speaker: Speaker = "agent"
    party: Party = "debtor"
    verified: bool = True
    turn: int = 1
    time: _dt.datetime | _dt.time | None = None
    consent_to_late_call: bool = False
    history: tuple[str, ...] = ()

    @property
    def verified_debtor(self) -> bool:
        """True when the verified debtor is on the line: debt details may be stated."""
        return self.party == "debtor" and self.verified

    def clock(self) -> _dt.time | None:
        """The time of day of the call, or None when unknown."""
        if self.time is None:
            return None
        if isinstance(self.time, _dt.datetime):
            return self.time.time()
        return self.time


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a rule comes from: instrument, article and whether it was checked."""

    instrument: str
    article: str = ""
    status: Literal["verified", "verify"] = "verify"
    url: str = ""

    def __str__(self) -> str:
        text = f"{self.instrument} {self.article}".strip()
        return text if self.status == "verified" else f"{text} (to verify)"

    def to_json(self) -> dict[str, str]:
        """JSON form used in reports."""
        data = {"instrument": self.instrument, "article": self.article, "status": self.status}
        if self.url:
            data["url"] = self.url
        return data


@total_ordering
@dataclass(frozen=True, slots=True, eq=True)
class Finding:
    """One rule broken by one span of an utterance.

    ``start``/``end`` are offsets into the original text (``text[start:end]`` is
    ``match``). Findings sort by position, then rule id.
    """

    rule: str
    category: str
    severity: Severity
    start: int
    end: int
    match: str
    message: str
    suggestion: str
    citations: tuple[Citation, ...] = ()
    #: False for a finding only the learned stage supports: coaching shown in the
    #: debrief and open to review, never a breach that ends a call.
    confident: bool = True

    def _key(self) -> tuple[int, int, str, str]:
        return (self.start, self.end, self.rule, self.match)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Finding):
            return NotImplemented
        return self._key() < other._key()

    @property
    def rank(self) -> int:
        """Seriousness of the severity (3 critical … 0 review)."""
        return SEVERITY_RANK[self.severity]

    def to_json(self) -> dict[str, Any]:
        """JSON form: the fields, with ``span`` as ``[start, end]``."""
        return {
            "rule": self.rule,
            "category": self.category,
            "severity": self.severity,
            "span": [self.start, self.end],
            "match": self.match,
            "message": self.message,
            "suggestion": self.suggestion,
            "citations": [c.to_json() for c in self.citations],
            **({} if self.confident else {"confident": False}),
        }


@dataclass(frozen=True, slots=True)
class TurnFinding:
    """A finding of a call: the stored turn it was found in, that turn's line, the finding.

    Debriefs, reports, regrades and the app's screens all show findings in their
    turn; they share this one type, so a field added to `Finding` reaches them all.
    """

    turn: int
    text: str
    finding: Finding


def by_rule(findings: Sequence[TurnFinding]) -> list[tuple[TurnFinding, tuple[Finding, ...]]]:
    """Findings as a reader wants them: one entry per rule per line (its first finding),
    with every finding of that rule in that line (all the words it flagged), in order.

    The grader reports each stretch of words it flags (a line can disclose the debt
    twice); a debrief that repeated the same rule, why and better wording for each would
    read as several mistakes.
    """
    groups: dict[tuple[int, str], list[TurnFinding]] = {}
    for found in findings:
        groups.setdefault((found.turn, found.finding.rule), []).append(found)
    return [(items[0], tuple(item.finding for item in items)) for items in groups.values()]
