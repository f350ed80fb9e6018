"""One call: a `transitions` machine over a scenario, live grading and persona state.

A `Session` owns exactly one ``transitions.Machine`` (never one per turn). Its
states are the scenario's nodes and endings plus `BEGIN`, a pre-call state:
``on_enter`` does not fire for a machine's initial state, so the call starts in
`BEGIN` and ``start()`` triggers into the first node. The machine's triggers:

* one per intent a node expects (``move:<intent>``), with the move's ``when``
  as a named, pure condition — several moves may share an intent with
  different conditions; ``transitions`` takes the first whose condition holds,
  i.e. the order written in the scenario;
* ``fallback`` for nodes whose fallback has a ``goto``;
* ``exit:<ending>`` from every node, fired by ``exits:`` and the turn limit;
* ``begin`` from `BEGIN` into the start node (or ``from_node``).

One agent turn (`say` / `choose`): recognise the move, grade the line in the
call's context, apply the grader's consequences (``reactions`` by severity and
``breach_*`` facts), fire the move (its effects and ``establishes``), check
``exits`` in order and the turn limit, then pick and fill the debtor's reply.
Everything random is drawn from ``random.Random(f"{seed}:{turn}")``, so a call
is deterministic under its seed and a resumed call continues exactly as the
uninterrupted one would have.

With a `trainer.records.Store` each exchange is committed before the call
returns; `Session.resume` rebuilds the call from the stored node, meters,
facts and turns (machines are never pickled).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as dtime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from transitions import Machine, State

from trainer.engine import replies, understand
from trainer.engine.events import (
    EndingEvent,
    Event,
    FindingEvent,
    Hint,
    MeterEvent,
    RecognitionEvent,
    Turn,
    TurnEvent,
    finding_from_json,
    finding_to_json,
)
from trainer.engine.introductions import introduced
from trainer.engine.recognise import THRESHOLD, Recogniser, Scored, clear, recogniser_for
from trainer.grading.findings import CallContext, Finding
from trainer.records import StoreUnreachable
from trainer.scenarios import model as m
from trainer.vocab import Party

if TYPE_CHECKING:
    from trainer.records import SessionRecord, TurnRecord
    from trainer.records import SessionStore as Store
    from trainer.scenarios.loader import ContentSet

Mode = Literal["free", "guided"]
BEGIN = "(begin)"
#: Said by the persona when nothing was recognised and the node has no fallback lines.
CONFUSED = {
    "zh-CN": ("不好意思,您的意思是?", "啊?您说什么?我没听明白。"),
    "en-US": ("Sorry, what do you mean?", "I'm not sure I follow. What is this about?"),
}
#: Said after a move the customer did not wait for, before the question stands again.
ACKNOWLEDGE = {
    "zh-CN": ("嗯,好。", "哦,知道了。", "嗯。"),
    "en-US": ("Okay. ", "Uh-huh. ", "Okay, sure. "),
}
#: Said when the line makes a move already made in the call (a fact told again, a question
#: asked again): neutral about who said it.
ALREADY = {
    "zh-CN": ("这个刚才已经说过了。", "刚才不是说过了吗?", "这个咱们刚才说过了。"),
    "en-US": (
        "We've been over that. ",
        "That was covered already. ",
        "We already went through that. ",
    ),
}
#: Said when the line is understood but is not what the customer is waiting for,
#: before the customer says again what they wait for.
NOT_NOW = {
    "zh-CN": ("这个先放一放。", "等一下。", "先别说这个。"),
    "en-US": ("Hold on. ", "Wait a second. ", "Let's not get ahead of ourselves. "),
}
#: Stages a node may be left without its move when the agent clearly moves the call on
#: (asking the reason or showing empathy is the agent's to miss, not the customer's to
#: insist on); the scorecard still misses the step.
SKIPPABLE_STAGES = frozenset({"reason"})
#: How many such nodes one line may leave behind.
MAX_SKIP = 2
#: A clause (or a few) of a line makes a move when it scores at least this.
PIECE_THRESHOLD = 0.35
#: A clause scoring within this of the move just made for that move belongs to it.
ABSORB_MARGIN = 0.1
#: A further move taken from the same line needs at least this score (a new sentence),
#: or `CHAIN_IN_SENTENCE` when it continues the sentence of the move before.
CHAIN_THRESHOLD = 0.5
CHAIN_IN_SENTENCE = 0.8
#: A single clause inside a sentence is an ``anywhere`` move only at this score.
STRONG = 0.8
#: A line scoring this high for a move nobody expects now was understood (not a miss).
UNDERSTOOD = 0.45
#: What a genuine miss may cost at most on any meter (the node's fallback may say more).
MISS_COST = 3
#: The call stage a fact belongs to, so a stage whose move was made inside a node of
#: another stage (the amount said at the verified node) still counts as done.
STAGE_OF_FACT = {
    "identifies_self": "opening",
    "verifies_identity": "verification",
    "discloses_debt": "purpose",
    "states_amount": "purpose",
    "asks_reason": "reason",
    "offers_option": "negotiation",
    "gives_channel": "negotiation",
    "states_consequences": "negotiation",
    "secures_promise": "promise",
    "reads_back": "promise",
    "closes_politely": "close",
}
#: At most this many moves are taken from one line, plus `MAX_PASSES` pass-throughs.
MAX_MOVES = 4
MAX_PASSES = 3
_QUALITY_RANK = {"best": 0, "acceptable": 1, "poor": 2}


class EngineError(Exception):
    """A call cannot do what was asked (not started, finished, bad scenario or choice)."""


class Grader(Protocol):
    """What the engine needs from a rulebook: ``check(text, ctx) -> findings``."""

    def check(self, text: str, ctx: CallContext) -> Sequence[Finding]: ...


def scenario_hash(scenario: m.Scenario) -> str:
    """sha256 of the scenario's canonical JSON: tells whether a stored call's tree changed."""
    data = json.dumps(
        scenario.model_dump(mode="json", warnings=False),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def check_scenario(scenario: m.Scenario) -> list[str]:
    """Problems that would break a machine built from ``scenario`` (dangling ids…).

    The loader's lint reports these with positions; the engine re-checks so a
    scenario built in code fails at build time, not mid-call.
    """
    nodes, endings = set(scenario.nodes), set(scenario.endings)
    problems = [f"'{n}' is both a node and an ending" for n in sorted(nodes & endings)]
    targets = nodes | endings
    if scenario.start not in nodes:
        problems.append(f"start node '{scenario.start}' does not exist")
    for node_id, node in scenario.nodes.items():
        for move in node.moves:
            if move.goto not in targets:
                problems.append(
                    f"node '{node_id}': move '{move.intent}' goes to unknown '{move.goto}'"
                )
        if node.fallback and node.fallback.goto and node.fallback.goto not in targets:
            problems.append(f"node '{node_id}': fallback goes to unknown '{node.fallback.goto}'")
    for ex in scenario.exits:
        if ex.ending not in endings:
            problems.append(f"exit '{ex.when.source}' names unknown ending '{ex.ending}'")
    if scenario.limits.on_limit not in endings:
        problems.append(f"limits.on_limit names unknown ending '{scenario.limits.on_limit}'")
    return problems


def parse_time(value: str | dtime | datetime | None) -> dtime | datetime | None:
    """A call time from ``HH:MM`` text, a time or a datetime (None stays None)."""
    if value is None or isinstance(value, dtime | datetime):
        return value
    try:
        hours, minutes = str(value).strip().split(":")
        return dtime(int(hours), int(minutes))
    except ValueError:
        raise EngineError(f"call time {value!r} is not HH:MM") from None


class _Call:
    """The machine's model: the current node (``node``, set by transitions)."""

    node: str


class _LeanMachine(Machine):
    """A `Machine` that does not add ``is_node_<state>`` helpers to the model.

    The engine never uses them, and on a 200-node tree they were one bound
    partial per state per session. It also keeps the shared `State` objects
    untouched (the base class may attach ``on_enter_<state>`` model methods).
    """

    def _add_model_to_state(self, state: Any, model: Any) -> None:
        return None


_STATES: dict[int, tuple[m.Scenario, list[State]]] = {}


def _states_for(scenario: m.Scenario) -> list[State]:
    """Immutable, callback-free `State` objects for a scenario, built once and shared."""
    cached = _STATES.get(id(scenario))
    if cached is not None and cached[0] is scenario:
        return cached[1]
    states = [State(BEGIN)] + [State(n) for n in scenario.nodes]
    states += [State(e, final=True) for e in scenario.endings]
    if len(_STATES) >= 64:
        _STATES.pop(next(iter(_STATES)))
    _STATES[id(scenario)] = (scenario, states)
    return states


class _When:
    """A move's ``when`` condition as a named, pure callable for transitions."""

    __slots__ = ("__name__", "condition", "session")

    def __init__(self, name: str, condition: m.Condition, session: Session) -> None:
        self.__name__ = name
        self.condition = condition
        self.session = session

    def __call__(self, event: Any) -> bool:
        return self.condition.holds(self.session._meters, self.session._facts)


class _Took:
    """Transition callback that notes which move fired (its effects are applied after)."""

    __slots__ = ("index", "move", "session")

    def __init__(self, session: Session, move: m.Move, index: int) -> None:
        self.session = session
        self.move = move
        self.index = index

    def __call__(self, event: Any) -> None:
        self.session._fired = (self.index, self.move)


@dataclass(frozen=True, slots=True)
class _Step:
    """A move to take now: its intent, score and closest intent; ``skip`` passes the
    node without the move being made (an ``anywhere`` move the agent left out)."""

    intent: str
    score: float
    closest: str | None
    skip: bool = False


class _Reader(Protocol):
    """How a turn learns which moves the agent's line makes (free text or a guided pick)."""

    score: float

    def next_move(self, expected: Sequence[str]) -> _Step | None:
        """The next move the line makes among ``expected`` (None: no more)."""
        ...

    def refuse(self) -> None:
        """The move just proposed could not be taken here (its condition is false)."""
        ...

    def heard(self) -> str | None:
        """The closest intent of the whole library (for debriefs), if any."""
        ...

    def recorded(self) -> str | None:
        """The intent recorded for the line when no move was taken."""
        ...

    def anywhere_moves(self) -> list[str]:
        """``anywhere`` moves made in the parts of the line no move used, in order."""
        ...

    def understood_elsewhere(self, besides: frozenset[str] = frozenset()) -> str | None:
        """The move the line clearly makes that is simply not expected now, if any
        (leaving out the intents in ``besides``)."""
        ...

    def also_said(self) -> list[str]:
        """Further moves the line clearly made that no node took (recorded, not acted on)."""
        ...

    def ends_with(self, intents: frozenset[str]) -> str | None:
        """The move among ``intents`` that the line's last clauses clearly make, if any."""
        ...

    def soften(self, again: bool) -> bool:
        """Whether a miss costs less than the node's fallback says (free text only);
        ``again`` when the line before was a miss at the same node."""
        ...


class _Chosen:
    """A guided pick: exactly the option's intent, once."""

    def __init__(self, intent: str) -> None:
        self.intent = intent
        self.score = 1.0
        self._given = False

    def next_move(self, expected: Sequence[str]) -> _Step | None:
        if self._given or self.intent not in expected:
            return None
        self._given = True
        return _Step(self.intent, 1.0, self.intent)

    def refuse(self) -> None:
        return None

    def heard(self) -> str | None:
        return self.intent

    def recorded(self) -> str | None:
        return self.intent

    def anywhere_moves(self) -> list[str]:
        return []

    def understood_elsewhere(self, besides: frozenset[str] = frozenset()) -> str | None:
        return None

    def also_said(self) -> list[str]:
        return []

    def ends_with(self, intents: frozenset[str]) -> str | None:
        return None

    def soften(self, again: bool) -> bool:
        return False


#: A move said at the start of a line goes first when the longest reading of the line
#: (a move said at its end) beats it by at most this much.
EARLY_MARGIN = 0.25


class _FreeLine:
    """A typed line: its clauses, scored once each, taken move by move (see `Session.say`)."""

    def __init__(self, session: Session, text: str) -> None:
        self.session = session
        self.text = text
        parts = understand.clauses(text)
        self.pieces = understand.pieces(text, parts)
        self.clause_count = len(parts)
        self._scored: dict[str, Scored] = {}
        self.used: set[int] = set()
        self.refused: set[tuple[str, str]] = set()
        self.score = 0.0
        self._proposed: tuple[str, str] | None = None
        #: The line pinned the promise and asked to confirm it: the read-back is due next.
        self._read_back_next = False
        self._first = True
        self.last: str | None = None  # the move taken last from this line
        self.frontier = -1  # the last clause of the moves taken so far

    def _of(self, piece: understand.Piece) -> Scored:
        found = self._scored.get(piece.text)
        if found is None:
            found = self._scored[piece.text] = self.session.recogniser.scored(piece.text)
        return found

    def next_move(self, expected: Sequence[str]) -> _Step | None:
        node = self.session.node
        wanted = [i for i in expected if (node, i) not in self.refused]
        if not wanted:
            return None
        found: list[tuple[understand.Piece, str, float]] = []
        best_seen = 0.0
        for piece in self.pieces:
            if piece.overlaps(self.used) or not understand.substantial(piece.text):
                continue
            if piece.first <= self.frontier:
                continue  # a further move comes after the clauses of the one before
            intent, value, runner_up = self._of(piece).best(wanted)
            best_seen = max(best_seen, value)
            # a second move in the same line needs stronger evidence than the first
            if not self.used:
                floor = PIECE_THRESHOLD
            else:
                floor = CHAIN_THRESHOLD if piece.new_sentence else CHAIN_IN_SENTENCE
            if intent is None or value < floor or not clear(value, runner_up):
                continue
            # a clause that fits the move just made as well is the rest of that move
            # ("…about your card ending 4471; the balance is $1,284.50"), not a new one
            if self.last is not None and (
                intent == self.last  # the same move said on: one move, not two
                or (
                    piece.first == piece.last
                    and self._of(piece).score(self.last) >= value - ABSORB_MARGIN
                )
            ):
                self.used |= piece.clauses()
                continue
            found.append((piece, intent, value))
        if found:
            start, here, best, (piece, intent, value) = self._first_said(found)
            later = [f for f in found if f[1] != intent and f[0].first > piece.last]
            if intent in self.session.closing and later:
                # thanks first, then a question ("Thank you so much. Is there a time he's
                # usually at his desk?"): the line goes on, so it is no goodbye yet
                self.used |= piece.clauses()
                found = later
                start, here, best, (piece, intent, value) = self._first_said(found)
            if piece.first > start:
                # the move the long piece reads as is said at its end: a move said at
                # the start ("Hi, this is Dana with Crestline, … Is this Mr. Brooks?")
                # comes first, unless it is only a courtesy (an anywhere move such as
                # an apology), which is recorded anyway and must not steer the call
                early = [
                    self._shortest(found, p, i)
                    for p, i, v in here
                    if i != intent and i not in self.session.anywhere and v >= best - EARLY_MARGIN
                ]
                early = [f for f in early if f[0].last < piece.first]
                if early:
                    piece, intent, value = max(early, key=lambda f: (f[2], -f[0].last))
            return self._claim(piece.clauses(), intent, value)
        if not self.used:  # nothing taken yet: the whole line, as one move
            whole = self.session.recogniser.recognise(self.text, wanted)
            best_seen = max(best_seen, whole.score)
            if whole.intent is not None:
                self.score = whole.score
                return self._claim(set(range(self.clause_count)), whole.intent, whole.score)
        if self._first:
            self.score, self._first = best_seen, False
        return self._skip_ahead(wanted) or self._in_context(wanted)

    def _first_said(
        self, found: list[tuple[understand.Piece, str, float]]
    ) -> tuple[
        int, list[tuple[understand.Piece, str, float]], float, tuple[understand.Piece, str, float]
    ]:
        """The move said first: the earliest clause that makes one, of the pieces starting
        there the one that scores best, then the shortest piece inside it that makes the
        same move (so "工号1024,这通电话会录音,请问是…吗?" gives the question only its own
        clause and leaves the recording notice for later). Returns the start clause, the
        pieces starting there, the best score among them, and the chosen (piece, intent,
        score)."""
        start = min(piece.first for piece, _, _ in found)
        here = [f for f in found if f[0].first == start]
        chosen, intent, best = max(here, key=lambda f: (f[2], -f[0].last))
        return start, here, best, self._shortest(found, chosen, intent)

    @staticmethod
    def _shortest(
        found: list[tuple[understand.Piece, str, float]], outer: understand.Piece, intent: str
    ) -> tuple[understand.Piece, str, float]:
        """The shortest found piece inside ``outer`` that makes ``intent``."""
        inside = [f for f in found if f[1] == intent and f[0].clauses() <= outer.clauses()]
        return min(inside, key=lambda f: (f[0].last - f[0].first, f[0].first))

    def _claim(self, clauses: set[int], intent: str, value: float) -> _Step:
        if self._first:
            self.score, self._first = value, False
        if intent == "ask_promise" and not self._read_back_next:
            # a line that pins the promise with its amount and date and asks to confirm it
            # ("So: $1,284.50 on the 15th through the app. Correct?") is its read-back too
            locale = self.session.scenario.locale
            self._read_back_next = (
                all(understand.promise_content(self.text, locale))
                and understand.confirms(self.text, locale)
                and not understand.asks_open(self.text, locale)
            )
        self.used |= clauses
        self.last = intent
        self.frontier = max(self.frontier, max(clauses, default=-1))
        self._proposed = (self.session.node, intent)
        return _Step(intent, value, intent)

    def _skip_ahead(self, wanted: Sequence[str]) -> _Step | None:
        """Pass a node that waits only for ``anywhere`` moves when the line makes a move
        of the node after it: such moves never block a call (a missing recording notice
        costs the trainee on the scorecard, not a stuck customer)."""
        session = self.session
        if not all(intent in session.anywhere for intent in wanted):
            return None
        node = session.scenario.nodes.get(session.node)
        if node is None:
            return None
        for move in node.moves:
            if move.intent not in wanted or (
                move.when is not None and not move.when.holds(session._meters, session._facts)
            ):
                continue
            ahead_node = session.scenario.nodes.get(move.goto)
            if ahead_node is None:
                return None
            ahead = tuple(dict.fromkeys(mv.intent for mv in ahead_node.moves))
            for piece in self._unused():
                if not understand.substantial(piece.text):
                    continue
                intent, value, runner_up = self._of(piece).best(ahead)
                if intent is not None and value >= PIECE_THRESHOLD and clear(value, runner_up):
                    self._proposed = (session.node, move.intent)
                    return _Step(move.intent, 0.0, None, skip=True)
            return None
        return None

    def _in_context(self, wanted: Sequence[str]) -> _Step | None:
        """A yes to the customer's question, or a read-back known by its amount and date."""
        locale = self.session.scenario.locale
        if self._read_back_next and "read_back_promise" in wanted:
            # the promise was pinned and said back for confirmation in one line ("那我
            # 确认一下:今天App全额还6,380元,对吗?"): it is the read-back too
            self._read_back_next = False
            return self._claim(set(self.used), "read_back_promise", THRESHOLD)
        if self.used:
            return None
        money, date = understand.promise_content(self.text, locale)
        if money and date:
            # an amount and a date said back: the read-back when one is due, else it
            # pins the promise ("这周五25号之前,App还945元,对吧?")
            # (taking ask_promise notes whether the line also asks to confirm: `_claim`)
            for intent in ("read_back_promise", "ask_promise"):
                if intent in wanted:
                    return self._take(intent, upto=self._last_promise_clause(locale))
        if (
            "ask_promise" in wanted
            and understand.is_agreement(self.text, locale)
            and understand.asks(self.session._last_customer())
        ):
            return self._take("ask_promise")
        return None

    def _take(self, intent: str, upto: int | None = None) -> _Step:
        """Take ``intent`` for the line's clauses up to ``upto`` (all when None), so
        what follows a read-back ("…对吧?谢谢您,再见") can still make its own move."""
        last = self.clause_count - 1 if upto is None else upto
        return self._claim(set(range(last + 1)), intent, THRESHOLD)

    def _last_promise_clause(self, locale: str) -> int:
        """The last clause that names an amount or a date, with the rest of its sentence."""
        single = sorted((p for p in self.pieces if p.first == p.last), key=lambda p: p.first)
        last = 0
        for piece in single:
            if any(understand.promise_content(piece.text, locale)):
                last = piece.first
        while last < len(single) - 1 and not single[last].ends_sentence:
            last += 1
        return last

    def refuse(self) -> None:
        if self._proposed is not None:
            self.refused.add(self._proposed)

    def _unused(self) -> list[understand.Piece]:
        return [p for p in self.pieces if not p.overlaps(self.used)]

    def heard(self) -> str | None:
        best, best_value = None, 0.0
        for piece in self.pieces:
            intent, value = self._of(piece).closest()
            if intent is not None and value > best_value:
                best, best_value = intent, value
        return best

    def recorded(self) -> str | None:
        return None

    def anywhere_moves(self) -> list[str]:
        """``anywhere`` moves in the parts of the line no move used: clearly
        (`UNDERSTOOD`) in any piece of a line that made no move; once the line made
        one, only in whole sentences, or in a single clause that leaves no doubt
        (`STRONG`: "这通电话会录音,")."""
        anywhere = sorted(self.session.anywhere)
        made: list[str] = []
        taken: set[int] = set(self.used)
        for piece in self._unused():
            if not understand.substantial(piece.text):
                continue
            if self.last is None:
                if piece.overlaps(taken):
                    continue
                floor = UNDERSTOOD
            elif piece.new_sentence and piece.ends_sentence:
                floor = UNDERSTOOD
            elif piece.first == piece.last:
                floor = STRONG
            else:
                continue
            intent, value, runner_up = self._of(piece).best(anywhere)
            if intent is not None and value >= floor and clear(value, runner_up):
                if self.last is None:
                    taken |= piece.clauses()
                if intent not in made:
                    made.append(intent)
        return made

    def also_said(self) -> list[str]:
        """Whole sentences after the moves taken that clearly (`STRONG`) make another
        move, one the call did not wait for ("…工号5521。请问是吴女士本人吗?" once the
        greeting moved the call on): the trainee said it, so the transcript and the
        scorecard see it, but the call does not act on it."""
        if self.last is None:
            return []
        said: list[str] = []
        for piece in self._unused():
            if piece.first <= self.frontier or not (piece.new_sentence and piece.ends_sentence):
                continue
            if not understand.substantial(piece.text):
                continue
            intent, value = self._of(piece).closest()
            if intent is not None and value >= STRONG and intent not in said:
                said.append(intent)
        return said

    def understood_elsewhere(self, besides: frozenset[str] = frozenset()) -> str | None:
        best, best_value = None, UNDERSTOOD
        for piece in self._unused():
            if not understand.substantial(piece.text):
                continue
            intent, value = self._of(piece).closest()
            if intent is not None and intent not in besides and value >= best_value:
                best, best_value = intent, value
        return best

    def ends_with(self, intents: frozenset[str]) -> str | None:
        last = self.clause_count - 1
        for piece in self.pieces:
            if piece.last != last or piece.overlaps(self.used):
                continue
            intent, value = self._of(piece).closest()
            if intent in intents and value >= STRONG:
                return intent
        return None

    def soften(self, again: bool) -> bool:
        """A first miss at a node costs little (the simulator may simply have failed to
        place a good line; the trainee rephrases); a miss right after a miss at the same
        node costs what the node's fallback says."""
        return not again


_SENTENCE = re.compile(r"[^。!?!?…]+(?:[。!?!?]|…+)*")
_EN_SENTENCE = re.compile(r"(?<=[.!?…])\s+")


def _statements(text: str, locale: str) -> str:
    """What a customer line tells, without its questions: the sentences of ``text``
    that do not end in a question mark (the answer to an earlier move of the line,
    before the reply to the last one)."""
    english = locale.startswith("en")
    parts = _EN_SENTENCE.split(text) if english else _SENTENCE.findall(text)
    kept = [
        part.strip()
        for part in parts
        if part.strip() and not part.rstrip().endswith(("?", "?", '?"', "?'"))
    ]
    return (" " if english else "").join(kept)


def _join(first: str, second: str, locale: str) -> str:
    """Two customer utterances as one line (a space between them in English)."""
    if not second:
        return first
    return f"{first} {second}" if locale.startswith("en") else f"{first}{second}"


def _only_target(node: m.Node) -> str | None:
    """The node or ending every move of ``node`` leads to, when there is one."""
    targets = {move.goto for move in node.moves}
    return next(iter(targets)) if len(targets) == 1 else None


def _reprompt(node: m.Node) -> tuple[m.Line, ...]:
    """What the customer says again while waiting at ``node``: its fallback, else its
    first words."""
    return node.fallback.say if node.fallback is not None else node.say


def _softened(effects: Mapping[str, int]) -> dict[str, int]:
    """A miss of the simulator's own costs little: at most `MISS_COST` of any meter."""
    return {name: max(-MISS_COST, min(MISS_COST, delta)) for name, delta in effects.items()}


class Session:
    """One simulated call. Build with `Session.new` or `Session.resume`."""

    def __init__(
        self,
        scenario: m.Scenario,
        content: ContentSet | None,
        *,
        seed: int = 0,
        mode: Mode = "free",
        grader: Grader | None = None,
        store: Store | None = None,
        trainee: str = "",
        call_time: str | dtime | datetime | None = None,
        from_node: str | None = None,
        meters: Mapping[str, int] | None = None,
        recogniser: Recogniser | None = None,
    ) -> None:
        problems = check_scenario(scenario)
        if from_node is not None and from_node not in scenario.nodes:
            problems.append(
                f"--from node '{from_node}' does not exist (nodes: {', '.join(scenario.nodes)})"
            )
        for name in meters or {}:
            if name not in scenario.meters:
                problems.append(f"unknown meter '{name}' (meters: {', '.join(scenario.meters)})")
        if mode not in ("free", "guided"):
            problems.append(f"mode must be free or guided, not {mode!r}")
        if problems:
            raise EngineError(f"scenario '{scenario.id}': " + "; ".join(problems))
        self.scenario = scenario
        self.content = content
        self.seed = int(seed)
        self.mode: Mode = mode
        self.grader = grader
        self.store = store
        self.trainee = trainee
        self.from_node = from_node
        self.id: str | None = None
        self.call_time = (
            parse_time(call_time)
            if call_time is not None
            else parse_time(scenario.briefing.call_time)
        )
        self.intents: dict[str, m.Intent] = (
            content.intents_for(scenario) if content is not None else dict(scenario.intents)
        )
        self.recogniser = recogniser or recogniser_for(self.intents)
        self.placeholders = scenario.briefing.placeholders()
        self._bounds: dict[str, m.Meter] = {
            name: meter if isinstance(meter, m.Meter) else m.Meter.model_validate(meter)
            for name, meter in scenario.meters.items()
        }  # a defaulted ``meters:`` holds plain dicts (pydantic does not validate defaults)
        self._meters: dict[str, int] = {k: v.start for k, v in self._bounds.items()}
        for name, value in (meters or {}).items():
            self._meters[name] = self._clamp(name, int(value))
        self._facts: set[str] = set()
        self._used: set[str] = set()
        #: ``anywhere`` moves said where no node expected them (their nodes pass later).
        self._said: set[str] = set()
        #: call stages in which the agent made a move (passed-through nodes included)
        self._stages_done: set[str] = set()
        #: Agent turns picked from the guided options (the rest were typed): a call may
        #: switch modes (F3), and a replay must take each line the way it was made.
        self._guided_turns: list[int] = []
        self._last_missed: str | None = None  # the node of the last miss, if the last line was one
        self._party: Party = scenario.party
        self._turns: list[Turn] = []
        self._history: list[str] = []
        self._agent_turns = 0
        self._fired: tuple[int, m.Move] | None = None
        #: The move taken by the last agent turn (its index in the node's ``moves``), if any.
        self.last_move: tuple[int, m.Move] | None = None
        #: True when the last agent turn took the node's fallback (nothing recognised).
        self.last_fallback = False
        self._started = False
        self._call = _Call()
        self.machine = self._build_machine()

    # ------------------------------------------------------------ construction

    @classmethod
    def new(
        cls,
        scenario: m.Scenario,
        content: ContentSet | None = None,
        *,
        seed: int = 0,
        mode: Mode = "free",
        grader: Grader | None = None,
        store: Store | None = None,
        trainee: str = "",
        call_time: str | dtime | datetime | None = None,
        from_node: str | None = None,
        meters: Mapping[str, int] | None = None,
    ) -> Session:
        """A fresh call, not yet started (call `start`)."""
        return cls(
            scenario,
            content,
            seed=seed,
            mode=mode,
            grader=grader,
            store=store,
            trainee=trainee,
            call_time=call_time,
            from_node=from_node,
            meters=meters,
        )

    @classmethod
    def resume(
        cls,
        store: Store,
        session_id: str,
        content: ContentSet,
        grader: Grader | None = None,
        *,
        scenario: m.Scenario | None = None,
    ) -> Session:
        """Rebuild a stored call at its last completed exchange.

        The scenario is looked up in ``content`` by the stored id (or given). The
        stored node, meters, facts, once-only lines and transcript are restored
        directly; nothing is re-graded. ``session.stale`` is True when the
        scenario changed since the call was recorded.
        """
        record = store.load(session_id)
        if record.turn_count > len(record.turns):
            # a damaged turn row was left out (the store warns): new turns would collide
            raise EngineError(
                f"session {record.id}: {record.turn_count - len(record.turns)} stored turn(s)"
                " are damaged, so the call cannot be resumed — its debrief and history"
                " still show the rest; fix or delete the row (sqlite3), or re-import the session"
            )
        scenario = scenario or content.scenarios.get(record.scenario_id)
        if scenario is None:
            raise EngineError(f"session {record.id}: scenario '{record.scenario_id}' not found")
        state = record.state
        node = str(state.get("node") or "")
        if node and node != BEGIN and node not in scenario.nodes and node not in scenario.endings:
            raise EngineError(
                f"session {record.id}: node '{node}' no longer exists in scenario '{scenario.id}'"
            )
        mode: Mode = "guided" if record.mode == "guided" else "free"
        session = cls(
            scenario,
            content,
            seed=record.seed,
            mode=mode,
            grader=grader,
            store=store,
            trainee=record.trainee,
            call_time=state.get("call_time"),
            from_node=state.get("from_node"),
        )
        session.id = record.id
        session.stale = bool(record.scenario_hash) and record.scenario_hash != scenario_hash(
            scenario
        )
        session._restore(record)
        return session

    stale = False

    def _restore(self, record: SessionRecord) -> None:
        state = record.state
        self._meters = {str(k): int(v) for k, v in record.meters.items()} or self._meters
        self._facts = set(record.facts)
        self._used = set(state.get("used") or ())
        self._said = set(state.get("said") or ())
        self._stages_done = {str(s) for s in state.get("stages_done") or ()}
        self._guided_turns = [int(i) for i in state.get("guided_turns") or ()]
        party = state.get("party")
        if party in ("debtor", "third_party", "unknown"):
            self._party = party
        self._turns = [_turn_from_record(t) for t in record.turns]
        self._history = [t.text for t in self._turns if t.speaker == "agent"]
        for said in self._history:
            self._introduce(said)
        self._agent_turns = len(self._history)
        node = str(state.get("node") or BEGIN)
        self.machine.set_state(node, model=self._call)
        self._wire(node)
        self._started = node != BEGIN

    def _build_machine(self) -> Machine:
        """The session's machine: every node and ending as a state, wired lazily.

        States are shared, immutable `State` objects cached per scenario; a
        node's transitions (one per move, plus its fallback) are added the first
        time the call enters it, and an ``exit:<ending>`` transition only when an
        exit fires. A call touches a handful of nodes, so a session on a
        200-node tree stays a few kilobytes instead of a full copy of the graph.
        """
        machine = _LeanMachine(
            model=self._call,
            states=_states_for(self.scenario),
            initial=BEGIN,
            auto_transitions=False,
            send_event=True,
            model_attribute="node",
            ignore_invalid_triggers=False,
        )
        machine.add_transition("begin", BEGIN, self.from_node or self.scenario.start)
        self._wired: set[str] = set()
        return machine

    def _wire(self, node_id: str) -> None:
        """Add the transitions of ``node_id`` (its moves and fallback) to the machine once."""
        node = self.scenario.nodes.get(node_id)
        if node is None or node_id in self._wired:
            return
        self._wired.add(node_id)
        for index, move in enumerate(node.moves):
            conditions: list[str | Callable[..., bool | None]] = []
            if move.when is not None:
                conditions.append(_When(f"when_{node_id}_{index}", move.when, self))
            self.machine.add_transition(
                f"move:{move.intent}",
                node_id,
                move.goto,
                conditions=conditions,
                after=_Took(self, move, index),
            )
        if node.fallback is not None and node.fallback.goto:
            self.machine.add_transition("fallback", node_id, node.fallback.goto)

    def _fire(self, trigger: str) -> bool:
        """Trigger an event on the machine and wire the node it lands on."""
        source = self.scenario.nodes.get(self.node)
        moved = bool(self._call.trigger(trigger))  # type: ignore[attr-defined]
        if moved and source is not None and trigger.startswith("move:"):
            self._stages_done.add(source.stage)
            fired = self._fired
            if fired is not None:
                facts = fired[1].establishes or ()
                self._stages_done.update(STAGE_OF_FACT[f] for f in facts if f in STAGE_OF_FACT)
        self._wire(self.node)
        return moved

    def _exit_to(self, ending: str) -> None:
        """Leave the current node for ``ending`` (an ``exits:`` rule or the turn limit)."""
        trigger = f"exit:{ending}"
        if not self.machine.get_transitions(trigger, source=self.node, dest=ending):
            self.machine.add_transition(trigger, self.node, ending)
        self._fire(trigger)

    # ------------------------------------------------------------ read-only state

    @property
    def node(self) -> str:
        """The current node or ending id (`BEGIN` before `start`)."""
        return self._call.node

    @property
    def meters(self) -> dict[str, int]:
        """The persona's meters now (a copy)."""
        return dict(self._meters)

    @property
    def facts(self) -> frozenset[str]:
        """Facts established so far (moves' ``establishes`` and ``breach_*``)."""
        return frozenset(self._facts)

    @property
    def turns(self) -> list[Turn]:
        """The transcript so far (a copy)."""
        return list(self._turns)

    @property
    def finished(self) -> bool:
        """True once the call reached an ending."""
        return self.node in self.scenario.endings

    @property
    def ending(self) -> tuple[str, m.Ending] | None:
        """The ending reached (id and model), or None while the call goes on."""
        if self.finished:
            return self.node, self.scenario.endings[self.node]
        return None

    @property
    def stage(self) -> str:
        """The call stage of the current node (``close`` at an ending), for progress bars."""
        if self.node in self.scenario.nodes:
            return self.scenario.nodes[self.node].stage
        return "close" if self.finished else "opening"

    @property
    def stages_done(self) -> frozenset[str]:
        """The call stages in which the agent made a move, including nodes a line with
        several moves passed through (the progress bar ticks them)."""
        return frozenset(self._stages_done)

    @property
    def party(self) -> Party:
        """Who is on the line now (debtor, third_party, unknown)."""
        return self._party

    @property
    def agent_turns(self) -> int:
        """How many agent lines were said."""
        return self._agent_turns

    def options(self) -> tuple[m.Option, ...]:
        """The current node's guided-mode lines, placeholders filled.

        Order: the authored options shuffled with ``Random(f"{seed}:{node}:options")``,
        so the best line is not always first, yet the same seed always gives the
        same numbering (golden transcripts and scripts rely on it).
        """
        node = self.scenario.nodes.get(self.node)
        if node is None or not node.options:
            return ()
        order = list(range(len(node.options)))
        random.Random(f"{self.seed}:{self.node}:options").shuffle(order)
        return tuple(
            node.options[i].model_copy(
                update={"text": replies.render(node.options[i].text, self.placeholders)}
            )
            for i in order
        )

    def expected(self) -> tuple[str, ...]:
        """Intent ids the current node expects, in move order, without repeats."""
        node = self.scenario.nodes.get(self.node)
        if node is None:
            return ()
        return tuple(dict.fromkeys(move.intent for move in node.moves))

    def hint(self) -> Hint | None:
        """The best line for the current node and why (None at an ending).

        The node's best guided option when it has one; else the approved wording
        for the first move that may be taken now; else that intent's first example.
        """
        node = self.scenario.nodes.get(self.node)
        if node is None:
            return None
        if node.options:
            best = min(enumerate(node.options), key=lambda p: (_QUALITY_RANK[p[1].quality], p[0]))
            option = best[1]
            return Hint(replies.render(option.text, self.placeholders), option.why, option.intent)
        for move in node.moves:
            if move.when is not None and not move.when.holds(self._meters, self._facts):
                continue
            wording = (
                self.content.wording.get(self.scenario.locale, {})
                if self.content is not None
                else {}
            ).get(move.intent)
            if wording is not None:
                return Hint(
                    replies.render(wording.text, self.placeholders), wording.why, move.intent
                )
            intent = self.intents.get(move.intent)
            if intent is not None:
                return Hint(
                    replies.render(intent.examples[0], self.placeholders),
                    intent.description,
                    move.intent,
                )
        return None

    # ------------------------------------------------------------ the call

    def start(self) -> list[Event]:
        """Connect the call: the persona's opening line at the start (or ``from``) node."""
        if self._started:
            raise EngineError("the call has already started")
        if self.store is not None and self.id is None:
            self.id = self.store.create_session(
                scenario_id=self.scenario.id,
                trainee=self.trainee,
                scenario_hash=scenario_hash(self.scenario),
                locale=self.scenario.locale,
                seed=self.seed,
                mode=self.mode,
                rulebook_id=str(getattr(self.grader, "id", "")),
                rulebook_version=str(getattr(self.grader, "version", "")),
                meters=self._meters,
                facts=sorted(self._facts),
                state=self._state(),
            )
        self._started = True
        self._fire("begin")
        self._enter_party(self.node)
        rng = self._rng()
        node = self.scenario.nodes[self.node]
        line = replies.pick(node.say, self.node, self._meters, self._facts, self._used, rng)
        events: list[Event] = []
        new = [self._customer(line, events)] if line is not None else []
        self._commit(new)
        return events

    def say(self, text: str) -> list[Event]:
        """The agent says ``text`` (free mode): understand the whole line, grade, react, advance.

        A line may make several moves: it is cut into clauses
        (`trainer.engine.understand.pieces`) and, node after node, the clause that
        best makes a move the current node expects is taken, until no clause
        makes one (at most `MAX_MOVES`). Moves marked ``anywhere`` (recording
        notice, empathy…) establish their facts wherever they are said, and a node
        that exists only for such a move already made is passed through. A short
        yes to the customer's own question, and a read-back recognised by its
        amount and date, are understood in context.
        """
        self._require_live()
        if not text.strip():
            raise EngineError("say something: the line is empty")
        return self._turn(text, _FreeLine(self, text))

    def choose(self, index: int) -> list[Event]:
        """The agent picks ``options()[index]`` (guided mode, 0-based).

        The option's intent is recorded as said even when the node has no move
        for it (a poor option may be off-script): then nothing moves, the
        fallback (or confusion) follows, and grading and ``exits:`` still apply.
        """
        self._require_live()
        options = self.options()
        if not options:
            raise EngineError(f"node '{self.node}' has no options to choose from")
        if not 0 <= index < len(options):
            raise EngineError(f"choice {index + 1} is not between 1 and {len(options)}")
        option = options[index]
        return self._turn(option.text, _Chosen(option.intent))

    def _require_live(self) -> None:
        if not self._started:
            raise EngineError("the call has not started: call start() first")
        if self.finished:
            raise EngineError("the call has ended")

    def _turn(self, text: str, reader: _Reader) -> list[Event]:
        """One agent turn; see the module docstring for the order of steps."""
        node_id = self.node
        node = self.scenario.nodes[node_id]
        rng = self._rng()
        before = dict(self._meters)
        events: list[Event] = [TurnEvent("agent", text, node_id)]
        findings = self._grade(text)
        self._agent_turns += 1
        self._history.append(text)
        self._introduce(text)
        self._react(findings)
        reply_lines: Sequence[m.Line] = ()
        key = node_id
        taken: list[tuple[int, m.Move]] = []
        answers: list[tuple[str, tuple[m.Line, ...]]] = []  # the customer's answer to each move
        made: list[str] = []  # every move of the line, in order
        first: tuple[str | None, float, str | None] | None = None  # the first move taken
        skipped = 0
        for _ in range(MAX_MOVES + MAX_PASSES):
            if self.finished or len(taken) + skipped >= MAX_MOVES + MAX_PASSES:
                break
            step = reader.next_move(self.expected())
            passing = False  # a pass-through: the node is left, the customer's answer kept
            if step is None:
                step = self._pass_through()
                passing = step is not None
            if step is None and not taken:
                step = self._leave_reason_steps(reader)
            if step is None:
                break
            at = self.node
            self._fired = None
            if not self._fire(f"move:{step.intent}") or self._fired is None:
                reader.refuse()
                continue
            index, move = self._fired
            if step.skip:
                skipped += 1
                continue
            self._apply(move.effects)
            self._facts.update(move.establishes)
            taken.append((index, move))
            made.append(step.intent)
            if not passing:
                answers.append(
                    (f"{at}>{index}", move.reply)
                    if move.reply
                    else (self.node, self._say_of(self.node))
                )
            if first is None:
                first = (step.intent, step.score, step.closest)
            forced = self._forced_ending()
            if forced is not None:
                break
        heard = reader.heard()
        for extra in reader.anywhere_moves():
            if extra not in made:
                made.append(extra)
                self._said.add(extra)
                self._facts.update(self._facts_of(extra))
        made.extend(extra for extra in reader.also_said() if extra not in made)
        moved = bool(taken)
        recognised, score, closest = (
            first if first is not None else (reader.recorded(), reader.score, heard)
        )
        events.append(RecognitionEvent(recognised, round(score, 4), closest))
        events.extend(FindingEvent(f) for f in findings)
        before_reply = ""
        if moved:
            if answers:
                # The customer answers every move of the line, the last one in full:
                # what they told in reply to the earlier moves (not their questions).
                for earlier_key, earlier in answers[:-1]:
                    picked = replies.pick(
                        earlier, earlier_key, self._meters, self._facts, self._used, rng
                    )
                    if picked is not None:
                        before_reply += _statements(picked.text, self.scenario.locale)
                key, reply_lines = answers[-1]
            else:
                reply_lines, key = self._say_of(self.node), self.node
        elif (farewell := self._farewell(node)) is not None:
            # At the close, a line that is not the close move lets the customer go:
            # the outcome already agreed stands; only the close itself is not credited.
            self._exit_to(farewell)
            reply_lines, key = self._say_of(farewell), farewell
        elif node.stage != "close" and (bye := reader.ends_with(self.closing)) is not None:
            # The agent ends the call before its goal: the customer lets them go, and the
            # call ends as when the turns run out (nothing more agreed).
            made.append(bye)
            agreed = self._agreed_ending()
            self._exit_to(agreed)
            reply_lines, key = self._say_of(agreed), agreed
        elif made:  # only moves said out of order: acknowledged, the question stands
            reply_lines, key = self._acknowledge(node, rng), f"{node_id}:ack"
        elif (elsewhere := reader.understood_elsewhere()) is not None:
            made.append(elsewhere)  # understood and recorded: said, just not now
            reply_lines, key = self._not_now(node, elsewhere, rng), f"{node_id}:not-now"
        else:
            fallback = node.fallback
            if fallback is not None:
                effects = fallback.effects
                again = self._last_missed == node_id
                self._apply(_softened(effects) if reader.soften(again) else effects)
                self._last_missed = node_id
                reply_lines, key = self._fresh(fallback.say), f"{node_id}:fallback"
                if fallback.goto:
                    self._fire("fallback")
            else:
                reply_lines, key = (), node_id
        self.last_move = taken[0] if taken else None
        self.last_fallback = not moved and not made
        if not self.last_fallback:
            self._last_missed = None
        forced = self._forced_ending()
        if forced is not None:
            self._exit_to(forced)
            reply_lines, key = self._say_of(forced), forced
        self._enter_party(self.node)
        agent = Turn(
            len(self._turns),
            "agent",
            text,
            node_id,
            recognised,
            round(score, 4),
            tuple(findings),
            dict(self._meters),
            _now(),
            closest,
            tuple(made),
        )
        self._turns.append(agent)
        if isinstance(reader, _Chosen):
            self._guided_turns.append(agent.index)
        events.extend(
            MeterEvent(name, before.get(name, 0), value)
            for name, value in self._meters.items()
            if before.get(name) != value
        )
        line = replies.pick(reply_lines, key, self._meters, self._facts, self._used, rng)
        if line is None and not moved and forced is None:
            line = self._confused(rng)
        if before_reply and forced is None:
            joined = _join(
                before_reply, line.text if line is not None else "", self.scenario.locale
            )
            line = m.Line(text=joined)
        new = [agent]
        if line is not None:
            new.append(self._customer(line, events))
        if self.finished:
            ending_id, ending = self.ending  # type: ignore[misc]
            events.append(EndingEvent(ending_id, ending.outcome, ending.good))
        self._commit(new)
        return events

    # ------------------------------------------------------------ understanding pieces

    @functools.cached_property
    def anywhere(self) -> frozenset[str]:
        """Intents the agent may say at any point (library ``anywhere: true`` + scenario);
        fixed for the session, so computed once rather than on every turn."""
        return frozenset(
            [i for i, intent in self.intents.items() if intent.anywhere]
            + list(self.scenario.anywhere)
        )

    def modes_used(self) -> list[str]:
        """``["free"]``, ``["guided"]`` or both: how the agent's lines were made so far
        (the starting mode when no line was said yet)."""
        agent = [t.index for t in self._turns if t.speaker == "agent"]
        if not agent:
            return [self.mode]
        guided = set(self._guided_turns)
        used = {"guided" if index in guided else "free" for index in agent}
        return sorted(used)

    def _introduce(self, text: str) -> None:
        """Take the name, staff number or call-back number the agent gave for their own,
        so the customer repeats what the trainee said, not the briefing's values."""
        given = introduced(text, self.scenario.locale)
        if given:
            self.placeholders = {**self.placeholders, **given}

    @functools.cached_property
    def closing(self) -> frozenset[str]:
        """Intents that end a call (library ``ends_call: true``: the goodbye)."""
        return frozenset(i for i, intent in self.intents.items() if intent.ends_call)

    def _facts_of(self, intent: str) -> set[str]:
        """What saying ``intent`` establishes anywhere in this scenario (its moves' facts)."""
        facts: set[str] = set()
        for node in self.scenario.nodes.values():
            for move in node.moves:
                if move.intent == intent:
                    facts.update(move.establishes)
        return facts

    def _pass_through(self) -> _Step | None:
        """The move of a node that exists only for an ``anywhere`` move already made.

        A node passes when every move it expects is the same intent, that intent
        was said earlier where no node expected it, and what the move establishes
        is already established: its purpose is met, so it is not asked again.
        """
        expected = self.expected()
        if len(expected) != 1 or expected[0] not in self._said:
            return None
        node = self.scenario.nodes.get(self.node)
        if node is None:
            return None
        wanted = {fact for move in node.moves for fact in move.establishes}
        if not wanted or not wanted <= self._facts:
            return None
        return _Step(expected[0], 1.0, expected[0])

    def _farewell(self, node: m.Node) -> str | None:
        """The ending a closing node leads to, when the customer may simply hang up.

        A node of the ``close`` stage whose every move goes to the same ending only
        waits for a goodbye: what the call achieved is settled. If the agent says
        something else there, the customer says goodbye and the call ends there all
        the same, without the close's facts (the scorecard still misses the close).
        """
        if node.stage != "close" or self.finished:
            return None
        target = _only_target(node)
        return target if target in self.scenario.endings else None

    def _agreed_ending(self) -> str:
        """Where a goodbye before the close leaves the call.

        When all that is left is the read-back and the goodbye (the customer has
        promised and the node waits for the promise to be read back), the outcome
        agreed stands: the good ending those moves lead to. Otherwise nothing more
        was agreed: the turn-limit ending (``limits.on_limit``).
        """
        left = self.closing | {"read_back_promise"}
        here = self.node
        for _ in range(3):
            node = self.scenario.nodes.get(here)
            if node is None:
                break
            target = _only_target(node)
            if target is None or any(move.intent not in left for move in node.moves):
                break
            here = target
            ending = self.scenario.endings.get(here)
            if ending is not None:
                return here if ending.good else self.scenario.limits.on_limit
        return self.scenario.limits.on_limit

    def _acknowledge(self, node: m.Node, rng: random.Random) -> tuple[m.Line, ...]:
        """A short acknowledgement, then the node's question again (no patience lost)."""
        acks = ACKNOWLEDGE.get(self.scenario.locale, ACKNOWLEDGE["en-US"])
        ack = acks[rng.randrange(len(acks))]
        return tuple(
            line.model_copy(update={"text": f"{ack}{line.text}"})
            for line in self._fresh(_reprompt(node))
        )

    def _not_now(self, node: m.Node, intent: str, rng: random.Random) -> tuple[m.Line, ...]:
        """Understood, but not what the customer is waiting for: say so and say again
        what they are waiting for (no patience lost). A move already made in the call
        gets "you already said that" rather than "not now"."""
        done = any(
            turn.speaker == "agent" and (intent in turn.moves or turn.intent == intent)
            for turn in self._turns
        )
        table = ALREADY if done else NOT_NOW
        openers = table.get(self.scenario.locale, table["en-US"])
        last = self._last_customer()
        choices = [text for text in openers if not last.startswith(text.strip())] or list(openers)
        opener = choices[rng.randrange(len(choices))]
        prompts = _reprompt(node)
        waiting = (
            tuple(line for line in prompts if replies.render(line.text, self.placeholders) != last)
            or prompts
        )
        return tuple(line.model_copy(update={"text": f"{opener}{line.text}"}) for line in waiting)

    def _leave_reason_steps(self, reader: _Reader) -> _Step | None:
        """Leave reason-stage nodes behind when the line clearly makes a move a later node
        expects (the agent went straight to the payment): the customer goes along.

        (The reader's own `_FreeLine._skip_ahead` passes a node that waits only for
        ``anywhere`` moves within the line's moves; this one runs when the line took
        no move at all.)

        Only nodes of `SKIPPABLE_STAGES`, at most `MAX_SKIP` of them, left by a move with
        no condition; the skipped moves are not made (no facts, no effects), so the
        scorecard still misses them. Returns the move to take at the node reached.
        """
        intent = reader.understood_elsewhere(self.anywhere)
        if intent is None:
            return None
        path = self._path_to(intent)
        if not path:
            return None
        for via in path:
            self._fired = None
            self._fire(f"move:{via}")
        return reader.next_move(self.expected()) or _Step(intent, UNDERSTOOD, intent)

    def _path_to(self, intent: str) -> list[str] | None:
        """The moves that lead from here, through skippable nodes only, to a node that
        expects ``intent`` (shortest first); None when there is none."""
        nodes = self.scenario.nodes
        queue: list[tuple[str, list[str]]] = [(self.node, [])]
        seen = {self.node}
        while queue:
            here, path = queue.pop(0)
            node = nodes.get(here)
            if node is None or node.stage not in SKIPPABLE_STAGES or len(path) >= MAX_SKIP:
                continue
            for move in node.moves:
                if move.goto in seen or move.goto not in nodes:
                    continue
                same = [other for other in node.moves if other.intent == move.intent]
                if len({other.goto for other in same}) != 1 or any(o.when for o in same):
                    continue
                seen.add(move.goto)
                route = [*path, move.intent]
                if intent in (later.intent for later in nodes[move.goto].moves):
                    return route
                queue.append((move.goto, route))
        return None

    def _fresh(self, lines: Sequence[m.Line]) -> tuple[m.Line, ...]:
        """``lines`` without the one the customer just said (never the same line twice)."""
        last = self._last_customer()
        kept = tuple(line for line in lines if replies.render(line.text, self.placeholders) != last)
        if kept:
            return kept
        clarify = CONFUSED.get(self.scenario.locale, CONFUSED["en-US"])
        return tuple(m.Line(text=text) for text in clarify if text != last)

    def _last_customer(self) -> str:
        for turn in reversed(self._turns):
            if turn.speaker == "customer":
                return turn.text
        return ""

    # ------------------------------------------------------------ turn pieces

    def context(self) -> CallContext:
        """The grader's view of this moment of the call (before the agent's line)."""
        verified = "verifies_identity" in self._facts
        return CallContext(
            speaker="agent",
            # whoever answered the verification questions is the debtor
            party="debtor" if verified else self._party,
            verified=verified,
            turn=self._agent_turns + 1,
            time=self.call_time,
            history=tuple(self._history),
        )

    def _grade(self, text: str) -> list[Finding]:
        if self.grader is None:
            return []
        return sorted(self.grader.check(text, self.context()))

    def _react(self, findings: Sequence[Finding]) -> None:
        """Grave findings have consequences: meters per severity (once per severity per
        turn), ``breach_<severity>`` facts (not for review) and ``breach_<category>`` facts
        for major and critical findings only: a minor slip of tone is coached and costs
        points, but does not trip an ``exits:`` rule written for a real breach."""
        reactions = self.scenario.reactions
        sure = [f for f in findings if f.confident]  # the learned stage alone only coaches
        for severity in dict.fromkeys(f.severity for f in sure):
            self._apply(getattr(reactions, severity, {}) or {})
        for finding in sure:
            if finding.severity != "review":
                self._facts.add(f"breach_{finding.severity}")
                if finding.severity != "minor":
                    self._facts.add(f"breach_{finding.category}")

    def _apply(self, effects: Mapping[str, int]) -> None:
        for name, delta in effects.items():
            self._meters[name] = self._clamp(name, self._meters.get(name, 0) + delta)

    def _clamp(self, name: str, value: int) -> int:
        meter = self._bounds.get(name)
        low, high = (meter.min, meter.max) if meter is not None else (0, 100)
        return max(low, min(high, value))

    def _forced_ending(self) -> str | None:
        """The ending an ``exits:`` condition or the turn limit forces now, if any."""
        if self.finished:
            return None
        for ex in self.scenario.exits:
            if ex.when.holds(self._meters, self._facts):
                return ex.ending
        if self._agent_turns >= self.scenario.limits.max_turns:
            return self.scenario.limits.on_limit
        return None

    def _say_of(self, target: str) -> tuple[m.Line, ...]:
        if target in self.scenario.nodes:
            return self.scenario.nodes[target].say
        return self.scenario.endings[target].say

    def _enter_party(self, target: str) -> None:
        node = self.scenario.nodes.get(target)
        if node is not None and node.party is not None:
            self._party = node.party

    def _confused(self, rng: random.Random) -> m.Line:
        lines = CONFUSED.get(self.scenario.locale, CONFUSED["en-US"])
        return m.Line(text=lines[rng.randrange(len(lines))])

    def _customer(self, line: m.Line, events: list[Event]) -> Turn:
        text = replies.render(line.text, self.placeholders)
        turn = Turn(
            len(self._turns), "customer", text, self.node, meters=dict(self._meters), at=_now()
        )
        self._turns.append(turn)
        events.append(TurnEvent("customer", text, self.node))
        return turn

    def _rng(self) -> random.Random:
        return random.Random(f"{self.seed}:{len(self._turns)}")

    def _state(self) -> dict[str, Any]:
        call_time = self.call_time
        return {
            "node": getattr(self._call, "node", BEGIN),
            "party": self._party,
            "used": sorted(self._used),
            "said": sorted(self._said),
            "stages_done": sorted(self._stages_done),
            "guided_turns": list(self._guided_turns),
            "modes": self.modes_used(),
            "from_node": self.from_node,
            "call_time": call_time.strftime("%H:%M") if call_time is not None else None,
        }

    def _commit(self, turns: Sequence[Turn]) -> None:
        """Write the exchange and the new state in one transaction (durable on return)."""
        if self.store is None or self.id is None:
            return
        try:
            self.store.append_turns(
                self.id,
                [_turn_to_record(t) for t in turns],
                meters=self._meters,
                facts=sorted(self._facts),
                state=self._state(),
            )
        except StoreUnreachable:
            # the exchange was kept in the store's journal: keep the call's end after it,
            # so a replay finishes the call too; then report the one line
            if self.finished:
                with contextlib.suppress(StoreUnreachable):
                    self._store_ending()
            raise
        if self.finished:
            self._store_ending()

    def _store_ending(self) -> None:
        assert self.store is not None and self.id is not None
        ending_id, ending = self.ending  # type: ignore[misc]
        self.store.finish(self.id, ending_id=ending_id, outcome=ending.outcome)

    # ------------------------------------------------------------ summaries

    def to_json(self) -> dict[str, Any]:
        """The ``trainer play --format json`` shape of the call so far."""
        ending = self.ending
        return {
            "scenario": self.scenario.id,
            "seed": self.seed,
            "mode": self.mode,
            "turns": [
                {
                    "speaker": t.speaker,
                    "text": t.text,
                    "node": t.node,
                    "intent": t.intent,
                    "findings": [finding_to_json(f) for f in t.findings],
                }
                for t in self._turns
            ],
            "meters": dict(self._meters),
            "ending": {"id": ending[0], "outcome": ending[1].outcome} if ending else None,
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _turn_to_record(turn: Turn) -> TurnRecord:
    from trainer.records import TurnRecord

    return TurnRecord(
        index=turn.index,
        speaker=turn.speaker,
        text=turn.text,
        node=turn.node,
        intent=turn.intent,
        score=turn.score,
        findings=tuple(finding_to_json(f) for f in turn.findings),
        meters=dict(turn.meters),
        at=turn.at,
        moves=turn.moves,
    )


def _turn_from_record(record: TurnRecord) -> Turn:
    return Turn(
        record.index,
        record.speaker,
        record.text,
        record.node,
        record.intent,
        record.score,
        tuple(finding_from_json(f) for f in record.findings),
        dict(record.meters),
        record.at,
        moves=tuple(record.moves),
    )


#: The recognition threshold, re-exported for callers that tune or display it.
RECOGNITION_THRESHOLD = THRESHOLD
