"""Score a finished call against its scorecard and build the debrief.

::

    from trainer.scoring.scorecard import build_debrief
    debrief = build_debrief(record, scenario, content)   # record: trainer.records.SessionRecord
    debrief.score, debrief.passed, debrief.checks, debrief.missed_moves

How a score is made (docs/scorecards.md has the details):

* each applicable check (its ``only_if`` holds) is met or missed by its
  detector; the score starts as the met share of the weights, 0–100;
* every finding of a penalised severity takes points off (``penalties``,
  by default 10 per major and 3 per minor finding), and so does every poor guided
  choice that did not already cost points through a finding (``poor_choice``, 5);
* a finding of a ``hard_fail`` severity (``critical``) fails the call whatever
  the score — a compliance breach is not averaged away;
* the pass mark is the scenario's ``pass_mark`` when it sets one, else the
  scorecard's, else 70.

Yes/no checks with the turn that proves them, rather than broad ratings,
because a trainee (and an instructor) must be able to see what earned the
score. The debrief is a plain frozen dataclass; the CLI and the TUI render it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from trainer.grading.findings import Finding, TurnFinding
from trainer.scoring.detectors import CallView, Compiled, best_path, compile_detect
from trainer.scoring.model import Scorecard, cards_in, resolve
from trainer.scoring.replay import Replay, call_view
from trainer.vocab import SEVERITY_RANK

if TYPE_CHECKING:
    from trainer.records import SessionRecord
    from trainer.scenarios.loader import ContentSet
    from trainer.scenarios.model import Scenario

__all__ = [
    "CheckResult",
    "Debrief",
    "PoorChoice",
    "best_path",
    "build_debrief",
    "finding_json",
    "score_session",
    "scorecard_for",
]

DEFAULT_PASS_MARK = 70


@dataclass(frozen=True)
class CheckResult:
    """One check of the scorecard: met or missed, and the turn that proves (or breaks) it.

    ``turn`` is the stored turn index, ``evidence`` that turn's text, ``why``
    the scorecard's explanation of the check and ``detail`` what the detector
    found.
    """

    id: str
    title: str
    weight: int
    met: bool
    turn: int | None
    evidence: str
    why: str
    detail: str = ""
    #: What was missing, for the trainee in the call's language (when the detector says).
    note: str = ""


@dataclass(frozen=True)
class PoorChoice:
    """A line that is one of its node's ``poor`` guided options (chosen, or typed word for
    word): the turn, the line and the scenario's explanation of why it is poor."""

    turn: int
    text: str
    why: str
    points: int = 0


@dataclass(frozen=True)
class Debrief:
    """Everything the trainee and the instructor see after a call."""

    session_id: str
    scenario_id: str
    trainee: str
    ending_id: str | None
    outcome: str | None
    good_ending: bool
    score: int
    pass_mark: int
    passed: bool
    hard_fail: bool
    checks: tuple[CheckResult, ...]
    findings: tuple[TurnFinding, ...]
    missed_moves: tuple[str, ...]
    duration_seconds: float
    scorecard_id: str = ""
    scenario_title: str = ""
    locale: str = ""
    started_at: str = ""
    rulebook_id: str = ""
    rulebook_version: str = ""
    penalty: int = 0
    exact: bool = True
    #: False for a call that was interrupted: the debrief covers what was said so far,
    #: and an unfinished call never passes.
    finished: bool = True
    #: Poor guided choices that cost points (``penalty`` includes them).
    poor_choices: tuple[PoorChoice, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form (``trainer debrief --format json``)."""
        data = asdict(self)
        data["checks"] = [asdict(c) for c in self.checks]
        data["findings"] = [finding_json(f) for f in self.findings]
        data["missed_moves"] = list(self.missed_moves)
        data["poor_choices"] = [asdict(p) for p in self.poor_choices]
        return data


# ---------------------------------------------------------------- choosing a scorecard


def scorecard_for(scenario: Scenario, content: ContentSet | None) -> Scorecard:
    """The scorecard a scenario is graded with: the one it names, else the one for its
    locale and stage (content's own first, then the shipped ones).

    Raises LookupError when there is none, or when it is broken.
    """
    cards = cards_in(content)
    by_id: dict[str, Scorecard] = {}
    for card in cards:
        by_id.setdefault(card.id, card)
    if scenario.scorecard is not None:
        named = by_id.get(scenario.scorecard)
        if named is None:
            raise LookupError(
                f"scenario '{scenario.id}' names unknown scorecard '{scenario.scorecard}'"
            )
        return resolve(named, by_id)
    for card in by_id.values():
        if card.locale == scenario.locale and scenario.stage in card.stages:
            return resolve(card, by_id)
    raise LookupError(f"no scorecard for {scenario.locale} {scenario.stage}")


_COMPILED: dict[int, tuple[Scorecard, list[tuple[Any, Compiled, Compiled | None]]]] = {}


def _compiled(card: Scorecard) -> list[tuple[Any, Compiled, Compiled | None]]:
    cached = _COMPILED.get(id(card))
    if cached is not None and cached[0] is card:
        return cached[1]
    out = []
    for check in card.checks:
        detect, problems = compile_detect(check.detect)
        only = None
        if check.only_if is not None:
            only, more = compile_detect(check.only_if)
            problems += more
        if detect is None or problems:
            first = problems[0]
            raise LookupError(
                f"scorecard '{card.id}' check '{check.id}': {first[2]} (run 'trainer validate')"
            )
        out.append((check, detect, only))
    if len(_COMPILED) > 64:
        _COMPILED.clear()
    _COMPILED[id(card)] = (card, out)
    return out


# ---------------------------------------------------------------- scoring


def build_debrief(
    record: SessionRecord,
    scenario: Scenario,
    content: ContentSet | None,
    *,
    findings: Mapping[int, Sequence[Finding]] | None = None,
    scorecard: Scorecard | None = None,
    contexts: Replay | None = None,
) -> Debrief:
    """Score a stored session and build its debrief.

    ``findings`` replaces the stored findings of some turns (turn index →
    findings; ``trainer regrade`` passes a new rulebook's); ``scorecard``
    replaces the scenario's. Raises LookupError when there is no scorecard.
    """
    card = scorecard or scorecard_for(scenario, content)
    call = call_view(record, scenario, content, findings=findings, contexts=contexts)
    results: list[CheckResult] = []
    for check, detect, only in _compiled(card):
        if only is not None and not only(call).met:
            continue
        verdict = detect(call)
        turn = verdict.turn
        results.append(
            CheckResult(
                id=check.id,
                title=check.title,
                weight=check.weight,
                met=verdict.met,
                turn=turn.index if turn is not None else None,
                evidence=turn.text if turn is not None else "",
                why=check.why,
                detail=verdict.detail,
                note="" if verdict.met else verdict.note,
            )
        )
    debrief_findings = _findings(call)
    total = sum(r.weight for r in results)
    earned = sum(r.weight for r in results if r.met)
    base = 100.0 * earned / total if total else 100.0
    penalties: dict[str, int] = {str(k): v for k, v in card.penalties.items()}
    penalty = sum(penalties.get(f.finding.severity, 0) for f in debrief_findings)
    poor = tuple(
        replace(p, points=card.poor_choice)
        for p in poor_choices(call, scenario, penalised=set(penalties))
    )
    penalty += sum(p.points for p in poor)
    score = max(0, min(100, round(base - penalty)))
    hard_fail = any(f.finding.severity in card.hard_fail for f in debrief_findings)
    pass_mark = _pass_mark(scenario, card)
    return Debrief(
        session_id=record.id,
        scenario_id=scenario.id,
        trainee=record.trainee,
        ending_id=record.ending_id,
        outcome=call.outcome,
        good_ending=call.good_ending,
        score=score,
        pass_mark=pass_mark,
        passed=record.finished and not hard_fail and score >= pass_mark,
        hard_fail=hard_fail,
        checks=tuple(results),
        findings=debrief_findings,
        missed_moves=missed_moves(call, scenario, content),
        duration_seconds=duration(record),
        scorecard_id=card.id,
        scenario_title=scenario.title,
        locale=scenario.locale,
        started_at=record.started_at,
        rulebook_id=record.rulebook_id,
        rulebook_version=record.rulebook_version,
        penalty=penalty,
        exact=call.exact,
        finished=record.finished,
        poor_choices=poor,
    )


#: Alias of `build_debrief` (the name ``trainer test`` also looks for).
score_session = build_debrief


def _pass_mark(scenario: Scenario, card: Scorecard) -> int:
    if "pass_mark" in scenario.model_fields_set:
        return scenario.pass_mark
    if card.pass_mark is not None:
        return card.pass_mark
    return scenario.pass_mark if scenario.pass_mark is not None else DEFAULT_PASS_MARK


def _findings(call: CallView) -> tuple[TurnFinding, ...]:
    return tuple(
        TurnFinding(turn.index, turn.text, f)
        for turn in call.agent
        for f in sorted(turn.findings, key=lambda f: (-SEVERITY_RANK.get(f.severity, 0), f))
    )


def finding_json(found: TurnFinding) -> dict[str, Any]:
    """A debrief finding as JSON: the turn and its line, the finding without its span,
    citations as text (the shape ``trainer debrief --format json`` has always had)."""
    f = found.finding
    return {
        "turn": found.turn,
        "text": found.text,
        "rule": f.rule,
        "category": f.category,
        "severity": f.severity,
        "match": f.match,
        "message": f.message,
        "suggestion": f.suggestion,
        "citations": [str(c) for c in f.citations],
    }


# ---------------------------------------------------------------- best path, duration


def missed_moves(
    call: CallView, scenario: Scenario, content: ContentSet | None = None
) -> tuple[str, ...]:
    """Best-path moves the trainee never made, as ``what the move is — best line``, named
    in the scenario's language (the intent library's description; the intent id only when
    it has none).

    A move counts as made when any move of any line made it (a line can make several),
    or when every fact the best path's move establishes was established anyway (the
    recording notice said in words the recogniser missed is not a missed move).
    """
    from trainer.engine.replies import render

    values = scenario.briefing.placeholders()
    made = {move for t in call.agent for move in t.made()}
    facts = call.agent[-1].facts if call.agent else frozenset()
    library = content.intents.get(scenario.locale, {}) if content is not None else {}
    described = {**library, **scenario.intents}
    out: list[str] = []
    seen: set[str] = set()
    for node_id, intent, line in best_path(scenario):
        if intent in made or intent in seen:
            continue
        node = scenario.nodes[node_id]
        gives = {f for mv in node.moves if mv.intent == intent for f in mv.establishes}
        if gives and gives <= facts:
            continue
        seen.add(intent)
        found = described.get(intent)
        name = found.description.strip().rstrip("。.") if found and found.description else intent
        out.append(f"{_unfold(name)} — {_unfold(render(line, values))}")
    return tuple(out)


def poor_choices(
    call: CallView, scenario: Scenario, *, penalised: Collection[str] = ("major", "minor")
) -> tuple[PoorChoice, ...]:
    """Agent lines that are one of their node's ``poor`` options, word for word (spacing
    aside), and that did not already cost points through a finding of a ``penalised``
    severity (or fail the call): a poor line is counted once."""
    from trainer.engine.replies import render

    values = scenario.briefing.placeholders()
    out: list[PoorChoice] = []
    for turn in call.agent:
        node = scenario.nodes.get(turn.node)
        if node is None or any(
            f.severity in penalised or f.severity == "critical" for f in turn.findings
        ):
            continue
        said = "".join(turn.text.split())
        for option in node.options:
            if option.quality == "poor" and "".join(render(option.text, values).split()) == said:
                out.append(PoorChoice(turn.index, turn.text, _unfold(option.why)))
                break
    return tuple(out)


_SPACE_BETWEEN_CJK = re.compile(
    r"(?<=[\u2e80-\u9fff\uff00-\uffef])\s+(?=[\u2e80-\u9fff\uff00-\uffef])"
)


def _unfold(text: str) -> str:
    """Authored text on one line: runs of whitespace become one space, and none is left
    between two Chinese characters (a YAML folded scalar joins its lines with a space,
    which Chinese never has)."""
    return _SPACE_BETWEEN_CJK.sub("", " ".join(text.split()))


def duration(record: SessionRecord) -> float:
    """Seconds from the first to the last turn's timestamp (0 when unknown)."""
    stamps: list[datetime] = []
    for turn in record.turns:
        try:
            stamps.append(datetime.fromisoformat(turn.at))
        except (TypeError, ValueError):
            continue
    if len(stamps) < 2:
        return 0.0
    return max(0.0, (max(stamps) - min(stamps)).total_seconds())
