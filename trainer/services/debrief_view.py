"""What the debrief screen shows, built from a stored session in one function.

`debrief_for` asks the scorecard (``trainer.scoring.scorecard.build_debrief``)
for the real debrief. When there is no scorecard for the call (none for its
stage, or the session's scenario is gone from the content) it still shows everything the
session itself knows: the ending, every finding with its better wording and
the transcript, with the score marked as not available. Screens only ever see
`DebriefView`, so the source can change without touching them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from trainer.engine.events import finding_from_json
from trainer.grading.findings import Finding, TurnFinding
from trainer.scenarios.model import GOOD_OUTCOMES
from trainer.scoring.render import trainee_numbers
from trainer.scoring.scorecard import CheckResult, Debrief, PoorChoice, build_debrief

if TYPE_CHECKING:
    from trainer.records import SessionRecord
    from trainer.scenarios.loader import ContentSet
    from trainer.scenarios.model import Scenario


@dataclass(frozen=True)
class TurnView:
    """One line of the stored transcript with the findings found in it."""

    index: int
    speaker: str
    text: str
    intent: str | None
    findings: tuple[Finding, ...]


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
    checks: tuple[CheckResult, ...]
    findings: tuple[TurnFinding, ...]
    missed_moves: tuple[str, ...]
    duration_seconds: float
    turns: tuple[TurnView, ...]
    scored: bool
    #: Lines that were one of their node's poor guided options, with the points they cost.
    poor_choices: tuple[PoorChoice, ...] = ()

    def agent_turn(self, index: int | None) -> int | None:
        """The trainee's own turn number (1, 2, …) of the stored turn ``index``.

        Stored indexes count both speakers; a trainee thinks in their own lines.
        """
        if index is None:
            return None
        return trainee_numbers(self.turns).get(index, index)


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
    findings = tuple(TurnFinding(turn.index, turn.text, f) for turn in turns for f in turn.findings)
    hard_fail = any(f.finding.severity == "critical" for f in findings)
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


def _scorecard_debrief(
    record: SessionRecord, scenario: Scenario, content: ContentSet
) -> Debrief | None:
    """The scorecard's Debrief, or None when there is no scorecard for the scenario."""
    try:
        return build_debrief(record, scenario, content)
    except LookupError:  # no scorecard for this stage/locale
        return None


def _from_debrief(
    debrief: Debrief, record: SessionRecord, title: str, turns: tuple[TurnView, ...]
) -> DebriefView:
    """The scorecard's Debrief as the view, with the stored transcript."""
    return DebriefView(
        session_id=record.id,
        scenario_id=record.scenario_id,
        title=title,
        trainee=record.trainee,
        status=record.status,
        ending_id=debrief.ending_id,
        outcome=debrief.outcome,
        good_ending=debrief.good_ending,
        score=debrief.score,
        pass_mark=debrief.pass_mark,
        passed=debrief.passed,
        hard_fail=debrief.hard_fail,
        checks=debrief.checks,
        findings=debrief.findings,
        missed_moves=debrief.missed_moves,
        duration_seconds=debrief.duration_seconds,
        turns=turns,
        scored=True,
        poor_choices=debrief.poor_choices,
    )


def _turns(record: SessionRecord) -> tuple[TurnView, ...]:
    """The stored transcript with each turn's findings."""
    return tuple(
        TurnView(
            index=turn.index,
            speaker=turn.speaker,
            text=turn.text,
            intent=turn.intent,
            findings=tuple(finding_from_json(f) for f in turn.findings),
        )
        for turn in record.turns
    )


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
