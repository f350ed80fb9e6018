"""Rebuild the context of every line of a stored call: who was on the line, verified or
not, which facts held, the clock time.

A stored session keeps its lines, their recognised intents, findings and
meters, but not the grader's context of each line. Scorecards, ``trainer
regrade`` and ``trainer export`` need it. The engine is deterministic under its
seed, so the most faithful way to get it back is to *replay* the call: rebuild
the session with the same scenario, seed, mode, call time and starting
meters, and feed it the stored agent lines with a grader that returns the
stored findings (so reactions and ``breach_*`` exits happen exactly as they
did). Before each line we read ``session.context()``, the very context the
grader saw.

When replay is impossible (the scenario changed since the call and the path
no longer fits) the contexts are reconstructed from the stored nodes and
intents instead, and the result is marked ``exact=False``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time as dtime
from typing import TYPE_CHECKING

from trainer.grading.findings import CallContext, Finding
from trainer.scenarios.model import GOOD_OUTCOMES
from trainer.scoring.detectors import CallView, TurnView
from trainer.vocab import Party

if TYPE_CHECKING:
    from trainer.engine.session import Session
    from trainer.records import SessionRecord, TurnRecord
    from trainer.scenarios.loader import ContentSet
    from trainer.scenarios.model import Scenario


@dataclass(frozen=True)
class LineContext:
    """The context of one stored line: the grader's context (agent lines) and the facts
    and party after it."""

    index: int
    ctx: CallContext
    facts: frozenset[str]


@dataclass(frozen=True)
class Replay:
    """Contexts of every stored line, by turn index; ``exact`` when replayed by the engine."""

    lines: dict[int, LineContext]
    exact: bool


def stored_findings(turn: TurnRecord) -> tuple[Finding, ...]:
    """The findings stored with a turn, as `Finding` objects."""
    from trainer.engine.events import finding_from_json

    return tuple(sorted(finding_from_json(f) for f in turn.findings))


class _StoredGrader:
    """A grader that answers with the findings stored for the line being replayed."""

    def __init__(self) -> None:
        self.next: tuple[Finding, ...] = ()

    def check(self, text: str, ctx: CallContext) -> Sequence[Finding]:
        return self.next


def call_time(record: SessionRecord, scenario: Scenario) -> dtime | None:
    """The local clock time the call was graded at (the briefing's unless overridden)."""
    raw = record.state.get("call_time") or scenario.briefing.call_time
    try:
        hours, minutes = str(raw).split(":")
        return dtime(int(hours), int(minutes))
    except ValueError:
        return None


def replay(record: SessionRecord, scenario: Scenario, content: ContentSet | None) -> Replay:
    """Contexts of every line of ``record``: replayed exactly when possible, else rebuilt."""
    exact = _replay(record, scenario, content)
    if exact is not None:
        return Replay(exact, True)
    return Replay(_rebuild(record, scenario), False)


def _replay(
    record: SessionRecord, scenario: Scenario, content: ContentSet | None
) -> dict[int, LineContext] | None:
    from trainer.engine.session import EngineError, Session

    grader = _StoredGrader()
    first = record.turns[0] if record.turns else None
    meters = dict(first.meters) if first is not None and first.speaker == "customer" else None
    if meters and any(name not in scenario.meters for name in meters):
        meters = None
    try:
        session = Session.new(
            scenario,
            content,
            seed=record.seed,
            mode="guided" if record.mode == "guided" else "free",
            grader=grader,
            call_time=record.state.get("call_time"),
            from_node=record.state.get("from_node"),
            meters=meters,
        )
        session.start()
        lines: dict[int, LineContext] = {}
        for turn in record.turns:
            if turn.speaker == "customer":
                lines[turn.index] = LineContext(turn.index, _customer_ctx(session), session.facts)
                continue
            if session.finished or session.node != turn.node:
                return None
            ctx = session.context()
            grader.next = stored_findings(turn)
            if record.guided_turn(turn.index):
                texts = [option.text for option in session.options()]
                if turn.text not in texts:
                    return None
                session.choose(texts.index(turn.text))
            else:
                session.say(turn.text)
            said = [t for t in session.turns if t.speaker == "agent"][-1]
            if said.intent != turn.intent:
                return None
            lines[turn.index] = LineContext(turn.index, ctx, session.facts)
    except (EngineError, KeyError, ValueError):
        return None
    if record.ending_id is not None and session.node != record.ending_id:
        return None
    return lines


def _customer_ctx(session: Session) -> CallContext:
    party = session.party
    return CallContext(
        speaker="customer",
        party=party,
        verified="verifies_identity" in session.facts,
        turn=session.agent_turns,
        time=session.call_time,
    )


def _rebuild(record: SessionRecord, scenario: Scenario) -> dict[int, LineContext]:
    """Approximate contexts from the stored nodes, intents and findings."""
    party: Party = scenario.party
    facts: set[str] = set()
    history: list[str] = []
    clock = call_time(record, scenario)
    lines: dict[int, LineContext] = {}
    turns = list(record.turns)
    for position, turn in enumerate(turns):
        node = scenario.nodes.get(turn.node)
        if node is not None and node.party is not None:
            party = node.party
        verified = "verifies_identity" in facts
        if turn.speaker == "customer":
            ctx = CallContext("customer", party, verified, len(history), clock)
            lines[turn.index] = LineContext(turn.index, ctx, frozenset(facts))
            continue
        ctx = CallContext("agent", party, verified, len(history) + 1, clock, history=tuple(history))
        history.append(turn.text)
        later = turns[position + 1] if position + 1 < len(turns) else None
        dest = later.node if later is not None else (record.ending_id or turn.node)
        if node is not None and turn.intent is not None:
            moves = [mv for mv in node.moves if mv.intent == turn.intent]
            chosen = next((mv for mv in moves if mv.goto == dest), None)
            if chosen is None and dest in scenario.endings and moves:
                chosen = moves[0]  # the move fired, then an exit ended the call
            if chosen is not None:
                facts.update(chosen.establishes)
        for finding in stored_findings(turn):
            if finding.severity != "review":
                facts.update((f"breach_{finding.category}", f"breach_{finding.severity}"))
        lines[turn.index] = LineContext(turn.index, ctx, frozenset(facts))
    return lines


def call_view(
    record: SessionRecord,
    scenario: Scenario,
    content: ContentSet | None,
    *,
    findings: Mapping[int, Sequence[Finding]] | None = None,
    contexts: Replay | None = None,
) -> CallView:
    """The finished call as detectors see it.

    ``findings`` replaces the stored findings of some turns (turn index →
    findings), as ``trainer regrade`` does with a new rulebook.
    """
    contexts = contexts or replay(record, scenario, content)
    views: list[TurnView] = []
    ordinal = 0
    for turn in record.turns:
        line = contexts.lines.get(turn.index)
        ctx = line.ctx if line is not None else CallContext()
        if turn.speaker == "agent":
            ordinal += 1
        own = findings.get(turn.index) if findings is not None else None
        views.append(
            TurnView(
                index=turn.index,
                speaker=turn.speaker,
                text=turn.text,
                node=turn.node,
                intent=turn.intent,
                moves=tuple(turn.moves),
                findings=tuple(own) if own is not None else stored_findings(turn),
                party=ctx.party,
                verified=ctx.verified,
                facts=line.facts if line is not None else frozenset(),
                ordinal=ordinal if turn.speaker == "agent" else 0,
                at=turn.at,
            )
        )
    ending = scenario.endings.get(record.ending_id or "")
    outcome = record.outcome or (ending.outcome if ending is not None else None)
    return CallView(
        scenario=scenario,
        turns=tuple(views),
        ending_id=record.ending_id,
        outcome=outcome,
        good_ending=outcome in GOOD_OUTCOMES,
        exact=contexts.exact,
    )
