"""What the debrief screen shows, built from a stored session in one function.

`debrief_for` asks the scorecard (``trainer.scoring.scorecard.build_debrief``)
for the real debrief. When the scorecard is not available (not installed, or
the session's scenario is gone from the content) it still shows everything the
session itself knows: the ending, every finding with its better wording and
the transcript, with the score marked as not available. Screens only ever see
`DebriefView`, so the source can change without touching them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from trainer.scenarios.model import GOOD_OUTCOMES

if TYPE_CHECKING:
    from trainer.records import SessionRecord
    from trainer.scenarios.loader import ContentSet
    from trainer.scenarios.model import Scenario


@dataclass(frozen=True)
class CheckView:
    """One scorecard check: met or missed, and the turn and line that prove it."""

    id: str
    title: str
    met: bool
    turn: int | None
    evidence: str
    why: str
    weight: int = 0


@dataclass(frozen=True)
class FindingView:
    """One finding of the call with the line it was found in and the better wording."""

    turn: int
    text: str
    rule: str
    category: str
    severity: str
    match: str
    message: str
    suggestion: str
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class TurnView:
    """One line of the stored transcript with the findings found in it."""

    index: int
    speaker: str
    text: str
    intent: str | None
    findings: tuple[FindingView, ...]


@dataclass(frozen=True)
class DebriefView:
    """Everything the debrief screen shows about one call."""

    session_id: str
    scenario_id: str
    title: str
    trainee: str
    status: str
    ending_id: str | None
    outcome: str | None
    good_ending: bool
    score: int | None
    pass_mark: int
    passed: bool | None
    hard_fail: bool
    checks: tuple[CheckView, ...]
    findings: tuple[FindingView, ...]
    missed_moves: tuple[str, ...]
    duration_seconds: float
    turns: tuple[TurnView, ...]
    scored: bool

    def agent_turn(self, index: int | None) -> int | None:
        """The trainee's own turn number (1, 2, …) of the stored turn ``index``.

        Stored indexes count both speakers; a trainee thinks in their own lines.
        """
        if index is None:
            return None
        number = 0
        for turn in self.turns:
            if turn.speaker == "agent":
                number += 1
            if turn.index == index:
                return number if turn.speaker == "agent" else max(number, 1)
        return index


def debrief_for(
    record: SessionRecord, scenario: Scenario | None, content: ContentSet
) -> DebriefView:
    """The debrief of a stored session: the scorecard's when possible, else the session's own."""
    turns = _turns(record)
    title = scenario.title if scenario else record.scenario_id
    pass_mark = scenario.pass_mark if scenario else 0
    if scenario is not None and record.finished:
        debrief = _scorecard_debrief(record, scenario, content)
        if debrief is not None:
            return _from_debrief(debrief, record, title, turns)
    findings = tuple(f for turn in turns for f in turn.findings)
    hard_fail = any(f.severity == "critical" for f in findings)
    return DebriefView(
        session_id=record.id,
        scenario_id=record.scenario_id,
        title=title,
        trainee=record.trainee,
        status=record.status,
        ending_id=record.ending_id,
        outcome=record.outcome,
        good_ending=record.outcome in GOOD_OUTCOMES,
        score=None,
        pass_mark=pass_mark,
        passed=False if hard_fail else None,
        hard_fail=hard_fail,
        checks=(),
        findings=findings,
        missed_moves=(),
        duration_seconds=_duration(record),
        turns=turns,
        scored=False,
    )


def _scorecard_debrief(record: SessionRecord, scenario: Scenario, content: ContentSet) -> Any:
    """The scorecard's Debrief, or None when there is no scorecard to build it."""
    try:
        from trainer.scoring.scorecard import build_debrief
    except ImportError:
        return None
    try:
        return build_debrief(record, scenario, content)
    except LookupError:  # no scorecard for this stage/locale
        return None


def _from_debrief(
    debrief: Any, record: SessionRecord, title: str, turns: tuple[TurnView, ...]
) -> DebriefView:
    """Copy the scorecard's Debrief into the view, keeping the transcript's spans."""
    spans = {(f.turn, f.rule, f.match): (f.start, f.end) for t in turns for f in t.findings}
    findings = tuple(
        FindingView(
            turn=f.turn,
            text=f.text,
            rule=f.rule,
            category=f.category,
            severity=f.severity,
            match=f.match,
            message=f.message,
            suggestion=f.suggestion,
            start=spans.get((f.turn, f.rule, f.match), (None, None))[0],
            end=spans.get((f.turn, f.rule, f.match), (None, None))[1],
        )
        for f in debrief.findings
    )
    checks = tuple(
        CheckView(
            id=c.id,
            title=c.title,
            met=bool(c.met),
            turn=c.turn,
            evidence=c.evidence,
            why=c.why,
            weight=int(getattr(c, "weight", 0) or 0),
        )
        for c in debrief.checks
    )
    return DebriefView(
        session_id=record.id,
        scenario_id=record.scenario_id,
        title=title,
        trainee=record.trainee,
        status=record.status,
        ending_id=debrief.ending_id,
        outcome=debrief.outcome,
        good_ending=bool(debrief.good_ending),
        score=int(debrief.score),
        pass_mark=int(debrief.pass_mark),
        passed=bool(debrief.passed),
        hard_fail=bool(debrief.hard_fail),
        checks=checks,
        findings=findings,
        missed_moves=tuple(debrief.missed_moves),
        duration_seconds=float(debrief.duration_seconds),
        turns=turns,
        scored=True,
    )


def _turns(record: SessionRecord) -> tuple[TurnView, ...]:
    """The stored transcript with each turn's findings as views."""
    out = []
    for turn in record.turns:
        findings = tuple(
            FindingView(
                turn=turn.index,
                text=turn.text,
                rule=str(f.get("rule", "")),
                category=str(f.get("category", "")),
                severity=str(f.get("severity", "")),
                match=str(f.get("match", "")),
                message=str(f.get("message", "")),
                suggestion=str(f.get("suggestion", "")),
                start=_span(f)[0],
                end=_span(f)[1],
            )
            for f in turn.findings
        )
        out.append(
            TurnView(
                index=turn.index,
                speaker=turn.speaker,
                text=turn.text,
                intent=turn.intent,
                findings=findings,
            )
        )
    return tuple(out)


def _span(finding: dict[str, Any]) -> tuple[int | None, int | None]:
    span = finding.get("span")
    if isinstance(span, list | tuple) and len(span) == 2:
        return int(span[0]), int(span[1])
    if "start" in finding and "end" in finding:
        return int(finding["start"]), int(finding["end"])
    return None, None


def _duration(record: SessionRecord) -> float:
    """Seconds from the first to the last stored turn (0 when unknown)."""
    stamps = [t.at for t in record.turns if t.at]
    if len(stamps) < 2:
        return 0.0
    try:
        first, last = datetime.fromisoformat(stamps[0]), datetime.fromisoformat(stamps[-1])
    except ValueError:
        return 0.0
    return max(0.0, (last - first).total_seconds())
