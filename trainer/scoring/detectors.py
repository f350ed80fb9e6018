"""Scorecard detectors: named, registered functions that decide one yes/no check.

A detector reads a finished call (`CallView`: every turn with who was on the
line, whether identity was verified, the facts established so far, the
findings) and returns a `Verdict`: met or missed, the turn that proves it (or
breaks it) and a one-line detail. Detectors are registered here by name with a
parameter model, so a scorecard that names an unknown detector or passes a bad
parameter is rejected at load time with a positioned C801/C802 diagnostic —
never a surprise while a debrief is built.

Registered detectors (parameters in brackets, see docs/scorecards.md):
``fact`` [fact, mode], ``fact_before`` [fact, before, within], ``intent``
[intent], ``text_matches`` [patterns, keywords, speaker, party, absent],
``amount_stated`` [field, to_verified], ``no_finding`` [severity, category],
``ending_outcome`` [outcomes, endings, good], ``third_party_no_disclosure``,
``callback_requested`` [keywords], ``courteous_close`` [within_last, keywords],
``best_path`` [share, stages], and the combinators ``any_of`` / ``all_of`` (a list of detectors).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from trainer.scenarios.model import Fact, Model, Outcome
from trainer.vocab import CallStage, Party, Severity

if TYPE_CHECKING:
    from trainer.grading.findings import Finding
    from trainer.scenarios.model import Scenario

SeverityName = Severity
#: A pseudo-fact for ``fact_before``: the first turn with any debt detail.
DEBT_DETAIL = "debt_detail"


# ---------------------------------------------------------------- the call as detectors see it


@dataclass(frozen=True)
class TurnView:
    """One line of a finished call in its context.

    ``index`` is the stored turn index (what debriefs cite); ``ordinal`` the
    agent's own turn number (1 = the agent's first line, 0 for customer
    lines). ``party``/``verified`` describe who was on the line when the line
    was said; ``facts`` are the facts established after it.
    """

    index: int
    speaker: Literal["agent", "customer"]
    text: str
    node: str
    intent: str | None
    findings: tuple[Finding, ...]
    party: Party
    verified: bool
    facts: frozenset[str]
    ordinal: int = 0
    at: str = ""
    #: Every move the line made (a line can make several); ``intent`` is the first.
    moves: tuple[str, ...] = ()

    def made(self) -> tuple[str, ...]:
        """The moves of the line: ``moves``, or ``intent`` for calls stored before them."""
        return self.moves or ((self.intent,) if self.intent else ())


@dataclass(frozen=True)
class CallView:
    """A finished call for the detectors: its turns, the scenario and the ending."""

    scenario: Scenario
    turns: tuple[TurnView, ...]
    ending_id: str | None
    outcome: str | None
    good_ending: bool
    exact: bool = True  # False when contexts were reconstructed approximately
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def agent(self) -> tuple[TurnView, ...]:
        """The agent's turns, in order."""
        cached = self._cache.get("agent")
        if cached is None:
            cached = tuple(t for t in self.turns if t.speaker == "agent")
            self._cache["agent"] = cached
        return cached

    def fact_turn(self, fact: str) -> TurnView | None:
        """The agent turn after which ``fact`` first holds (None: never).

        A fact established by a line that broke a major or critical rule does
        not count for a check (a channel "given" as a private account is no
        channel); use `tainted` to tell the trainee why.
        """
        if fact == DEBT_DETAIL:
            return self.debt_detail_turn()
        turn = next((t for t in self.agent if fact in t.facts), None)
        return None if turn is None or tainted(turn) else turn

    def tainted_fact_turn(self, fact: str) -> TurnView | None:
        """The turn that established ``fact`` with a line breaking a grave rule, if any."""
        turn = next((t for t in self.agent if fact in t.facts), None)
        return turn if turn is not None and tainted(turn) else None

    def debt_detail_turn(self) -> TurnView | None:
        """The first agent turn with any debt detail: a move that discloses the debt, the
        briefing's amount or card digits, or a third-party-disclosure finding."""
        if "debt" not in self._cache:
            self._cache["debt"] = next((t for t in self.agent if _has_debt_detail(self, t)), None)
        return self._cache["debt"]  # type: ignore[no-any-return]


def tainted(turn: TurnView) -> bool:
    """Whether a line broke a major or critical rule (its move does not earn a check)."""
    return any(f.severity in ("critical", "major") for f in turn.findings)


def _has_debt_detail(call: CallView, turn: TurnView) -> bool:
    if "discloses_debt" in turn.facts or "states_amount" in turn.facts:
        before = _facts_before(call, turn)
        if not {"discloses_debt", "states_amount"} <= before:
            return True
    if any(f.category == "third_party_disclosure" for f in turn.findings):
        return True
    briefing = call.scenario.briefing
    if briefing.card_last4 and briefing.card_last4 in turn.text:
        return True
    return any(_equal(a.value, briefing.amount_owed) for a in _amounts(turn.text))


def _facts_before(call: CallView, turn: TurnView) -> frozenset[str]:
    previous = [t for t in call.agent if t.index < turn.index]
    return previous[-1].facts if previous else frozenset()


@dataclass(frozen=True)
class Verdict:
    """A detector's answer: met or not, the proving (or breaking) turn and why."""

    met: bool
    turn: TurnView | None = None
    detail: str = ""


# ---------------------------------------------------------------- registry


class Params(Model):
    """Base of detector parameters: frozen, unknown keys rejected."""


@dataclass(frozen=True)
class Detector:
    """A registered detector: its name, parameter model and function."""

    name: str
    params: type[BaseModel]
    run: Callable[[CallView, Any], Verdict]
    doc: str


DETECTORS: dict[str, Detector] = {}


def detector(
    name: str, params: type[BaseModel]
) -> Callable[[Callable[..., Verdict]], Callable[..., Verdict]]:
    """Register ``fn(call, params) -> Verdict`` as detector ``name``."""

    def wrap(fn: Callable[..., Verdict]) -> Callable[..., Verdict]:
        DETECTORS[name] = Detector(name, params, fn, (fn.__doc__ or "").strip().split("\n")[0])
        return fn

    return wrap


@dataclass(frozen=True)
class Compiled:
    """A detector with validated parameters (and, for combinators, its children)."""

    detector: Detector
    params: BaseModel | None  # None for a combinator (any_of, all_of): it has children
    children: tuple[Compiled, ...] = ()

    def __call__(self, call: CallView) -> Verdict:
        if self.children:
            return _combine(self, call)
        return self.detector.run(call, self.params)


Problem = tuple[tuple[str | int, ...], str, str, str]  # (path, code, message, hint)


def compile_detect(raw: Any) -> tuple[Compiled | None, list[Problem]]:
    """Validate a ``{detector: params}`` mapping into a callable, or say what is wrong.

    Problems carry paths relative to the mapping, so the caller can point at
    the YAML line: C801 unknown detector, C802 bad parameters, C807 bad regex.
    """
    if not isinstance(raw, dict) or len(raw) != 1:
        return None, [
            (
                (),
                "C802",
                "write the detector as one 'name: {parameters}' mapping",
                f"detectors: {', '.join(sorted(DETECTORS))}",
            )
        ]
    ((name, params),) = raw.items()
    found = DETECTORS.get(str(name))
    if found is None:
        close = difflib.get_close_matches(str(name), list(DETECTORS), n=1)
        return None, [
            (
                (str(name),),
                "C801",
                f"unknown detector '{name}'",
                f"did you mean '{close[0]}'?"
                if close
                else f"detectors: {', '.join(sorted(DETECTORS))}",
            )
        ]
    if found.name in ("any_of", "all_of"):
        if not isinstance(params, list) or not params:
            return None, [
                (
                    (found.name,),
                    "C802",
                    f"'{found.name}' takes a list of detectors",
                    "write '- detector: {parameters}' items",
                )
            ]
        children: list[Compiled] = []
        problems: list[Problem] = []
        for i, item in enumerate(params):
            child, sub = compile_detect(item)
            problems += [((found.name, i, *path), code, msg, hint) for path, code, msg, hint in sub]
            if child is not None:
                children.append(child)
        if problems:
            return None, problems
        return Compiled(found, None, tuple(children)), []
    try:
        model = found.params.model_validate({} if params is None else params)
    except ValidationError as exc:
        return None, [_param_problem(found, err) for err in exc.errors(include_url=False)]
    return Compiled(found, model), []


def _param_problem(found: Detector, err: ErrorDetails) -> Problem:
    loc = tuple(part for part in err["loc"] if isinstance(part, str | int))
    path = (found.name, *loc)
    kind = err["type"]
    key = str(loc[-1]) if loc else ""
    allowed = ", ".join(found.params.model_fields) or "none"
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(key, list(found.params.model_fields), n=1)
        return (
            path,
            "C802",
            f"'{found.name}' has no parameter '{key}'",
            f"did you mean '{close[0]}'?" if close else f"parameters: {allowed}",
        )
    if kind == "missing":
        return (path[:-1], "C802", f"'{found.name}' needs parameter '{key}'", f"add '{key}:'")
    message = str(err["msg"]).removeprefix("Value error, ")
    code = "C807" if "regular expression" in message else "C802"
    got = err.get("input")
    shown = f" (got {got!r})" if isinstance(got, str | int | float | bool) else ""
    where = ".".join(str(p) for p in loc) or found.name
    return (
        path,
        code,
        f"'{found.name}' parameter '{where}': {message}{shown}",
        f"parameters: {allowed}",
    )


def _combine(compiled: Compiled, call: CallView) -> Verdict:
    verdicts = [child(call) for child in compiled.children]
    if compiled.detector.name == "any_of":
        met = [v for v in verdicts if v.met]
        if met:
            first = min(met, key=lambda v: v.turn.index if v.turn else 1 << 30)
            return Verdict(True, first.turn, first.detail)
        return Verdict(False, None, "; ".join(v.detail for v in verdicts if v.detail))
    missed = [v for v in verdicts if not v.met]
    if missed:
        return Verdict(False, missed[0].turn, missed[0].detail)
    last = max(verdicts, key=lambda v: v.turn.index if v.turn else -1)
    return Verdict(True, last.turn, "; ".join(v.detail for v in verdicts if v.detail))


# ---------------------------------------------------------------- helpers


def _names(value: str | Sequence[str]) -> tuple[str, ...]:
    names: tuple[str, ...] = (value,) if isinstance(value, str) else tuple(value)
    return names


@lru_cache(maxsize=4096)
def _norm(text: str) -> str:
    from trainer.grading.normalize import normalize

    return normalize(text).text


def _amounts(text: str) -> list[Any]:
    from trainer.grading.numbers import amounts

    return amounts(text)


def _equal(value: Decimal, target: float) -> bool:
    from trainer.grading.numbers import same_amount

    return same_amount(value, target)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _where(turn: TurnView) -> str:
    return f"turn {turn.index}"


#: Words that close a call courteously, and that ask for a call-back, by locale.
CLOSE_WORDS = {
    "zh-CN": ("再见", "谢谢", "感谢", "祝您", "打扰了", "辛苦"),
    "en-US": (
        "thank",
        "goodbye",
        "bye",
        "have a good",
        "have a great",
        "have a nice",
        "take care",
        "appreciate",
    ),
}
CALLBACK_WORDS = {
    "zh-CN": (
        "回电",
        "回个电话",
        "回电话",
        "回拨",
        "给我们打",
        "联系我们",
        "方便时联系",
        "转告",
        "打给我",
    ),
    "en-US": (
        "call me back",
        "call us back",
        "return my call",
        "return the call",
        "give me a call",
        "give us a call",
        "have him call",
        "have her call",
        "ask him to call",
        "ask her to call",
        "reach me at",
        "call back",
    ),
}


# ---------------------------------------------------------------- detectors


class FactParams(Params):
    """``fact``: facts that must be established (all, or any of them)."""

    fact: Fact | Literal["debt_detail"] | tuple[Fact | Literal["debt_detail"], ...]
    mode: Literal["all", "any"] = "all"


@detector("fact", FactParams)
def detect_fact(call: CallView, p: FactParams) -> Verdict:
    """The facts were established during the call (by recognised moves)."""
    names = _names(p.fact)
    turns = {name: call.fact_turn(name) for name in names}
    have = {name: t for name, t in turns.items() if t is not None}
    if p.mode == "any":
        if have:
            name, turn = min(have.items(), key=lambda item: item[1].index)
            return Verdict(True, turn, f"{name} at {_where(turn)}")
        return Verdict(False, _first_tainted(call, names), _missing(call, names))
    missing = [name for name in names if name not in have]
    if missing:
        return Verdict(False, _first_tainted(call, missing), _missing(call, missing))
    last = max(have.values(), key=lambda t: t.index)
    return Verdict(True, last, ", ".join(f"{n} at {_where(t)}" for n, t in have.items()))


def _first_tainted(call: CallView, names: Sequence[str]) -> TurnView | None:
    turns = [t for t in (call.tainted_fact_turn(n) for n in names) if t is not None]
    return min(turns, key=lambda t: t.index) if turns else None


def _missing(call: CallView, names: Sequence[str]) -> str:
    parts = []
    for name in names:
        bad = call.tainted_fact_turn(name)
        parts.append(
            f"{name} only by a line that broke a rule ({_where(bad)})"
            if bad
            else f"{name} never established"
        )
    return "; ".join(parts)


class FactBeforeParams(Params):
    """``fact_before``: ``fact`` established before every fact of ``before``."""

    fact: Fact
    before: tuple[Fact | Literal["debt_detail"], ...] = ("debt_detail",)
    within: int | None = Field(default=None, ge=1)

    @field_validator("before", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


@detector("fact_before", FactBeforeParams)
def detect_fact_before(call: CallView, p: FactBeforeParams) -> Verdict:
    """A fact established before others (identity verified before any debt detail…)."""
    first = call.fact_turn(p.fact)
    for name in p.before:
        other = call.fact_turn(name)
        if other is not None and (first is None or other.index <= first.index):
            label = "a debt detail" if name == DEBT_DETAIL else name
            return Verdict(False, other, f"{label} at {_where(other)} before {p.fact}")
    if first is None:
        return Verdict(False, None, f"{p.fact} never established")
    if p.within is not None and first.ordinal > p.within:
        return Verdict(
            False,
            first,
            f"{p.fact} only at the agent's line {first.ordinal} (expected within {p.within})",
        )
    return Verdict(True, first, f"{p.fact} at {_where(first)}")


class IntentParams(Params):
    """``intent``: the agent made one of these moves (recognised intents)."""

    intent: str | tuple[str, ...]
    party: Party | None = None


@detector("intent", IntentParams)
def detect_intent(call: CallView, p: IntentParams) -> Verdict:
    """The agent made one of the named moves."""
    names = set(_names(p.intent))
    for turn in call.agent:
        hit = next((move for move in turn.made() if move in names), None)
        if hit is not None and (p.party is None or turn.party == p.party) and not tainted(turn):
            return Verdict(True, turn, f"{hit} at {_where(turn)}")
    return Verdict(False, None, f"no move {' / '.join(sorted(names))}")


class TextParams(Params):
    """``text_matches``: regexes or keywords over normalised lines."""

    patterns: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    speaker: Literal["agent", "customer", "any"] = "agent"
    party: Party | None = None
    absent: bool = False

    @field_validator("patterns", "keywords", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"regular expression {pattern!r} does not compile: {exc}"
                ) from None
        return value

    @model_validator(mode="after")
    def _something(self) -> TextParams:
        if not self.patterns and not self.keywords:
            raise ValueError("give 'patterns' or 'keywords'")
        return self


@lru_cache(maxsize=512)
def _matcher(patterns: tuple[str, ...], keywords: tuple[str, ...]) -> re.Pattern[str]:
    parts = [f"(?:{p})" for p in patterns] + [re.escape(_norm(k)) for k in keywords if k]
    return re.compile("|".join(parts), re.IGNORECASE)


@detector("text_matches", TextParams)
def detect_text(call: CallView, p: TextParams) -> Verdict:
    """A line matching the patterns or keywords was said (or, with ``absent``, never)."""
    rx = _matcher(p.patterns, p.keywords)
    for turn in call.turns:
        if p.speaker != "any" and turn.speaker != p.speaker:
            continue
        if p.party is not None and turn.party != p.party:
            continue
        match = rx.search(_norm(turn.text))
        if match:
            said = f"'{match.group()}' at {_where(turn)}"
            return Verdict(
                not p.absent, turn, ("said " if not p.absent else "should not say ") + said
            )
    if p.absent:
        return Verdict(True, None, "not said")
    return Verdict(False, None, "no line matched")


class AmountParams(Params):
    """``amount_stated``: a briefing amount appears in an agent line."""

    field: Literal["amount_owed", "minimum_payment"] = "amount_owed"
    to_verified: bool = True


@detector("amount_stated", AmountParams)
def detect_amount(call: CallView, p: AmountParams) -> Verdict:
    """The briefing's amount was stated (Arabic or Chinese numerals), to the verified
    debtor unless ``to_verified: false``; when the line that states the debt names a
    different amount, the check is missed at that line."""
    target = float(getattr(call.scenario.briefing, p.field))
    said = [t for t in call.agent if not p.to_verified or (t.party == "debtor" and t.verified)]
    stating = next((t for t in said if "states_amount" in t.facts), None)
    if stating is not None and p.field == "amount_owed":
        found = _amounts(stating.text)
        money = [a for a in found if a.money]
        if money and not any(_equal(a.value, target) for a in found):
            wrong = ", ".join(a.text for a in money[:3])
            return Verdict(
                False,
                stating,
                f"stated {wrong} at {_where(stating)}; the briefing says {target:,.2f}",
            )
    for turn in said:
        if any(_equal(a.value, target) for a in _amounts(turn.text)):
            return Verdict(True, turn, f"{target:,.2f} stated at {_where(turn)}")
    return Verdict(False, None, f"{target:,.2f} never stated")


class FindingParams(Params):
    """``no_finding``: no finding of these severities (and categories)."""

    severity: SeverityName | tuple[SeverityName, ...] = ("critical",)
    category: str | tuple[str, ...] = ()

    @field_validator("category")
    @classmethod
    def _known(cls, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
        from trainer.vocab import CATEGORIES

        for name in _names(value):
            if name not in CATEGORIES:
                raise ValueError(f"unknown category '{name}' (categories: {', '.join(CATEGORIES)})")
        return value


@detector("no_finding", FindingParams)
def detect_no_finding(call: CallView, p: FindingParams) -> Verdict:
    """No agent line broke a rule of these severities (and categories)."""
    severities = set(_names(p.severity))
    categories = set(_names(p.category))
    for turn in call.agent:
        for finding in turn.findings:
            if finding.severity in severities and (
                not categories or finding.category in categories
            ):
                return Verdict(
                    False,
                    turn,
                    f"{finding.rule} ({finding.severity},"
                    f" {finding.category}) at {_where(turn)}: '{finding.match}'",
                )
    return Verdict(True, None, "no such finding")


class EndingParams(Params):
    """``ending_outcome``: the call ended with one of these outcomes / endings / a good one."""

    outcomes: tuple[Outcome, ...] = ()
    except_outcomes: tuple[Outcome, ...] = ()
    endings: tuple[str, ...] = ()
    good: bool | None = None

    @model_validator(mode="after")
    def _something(self) -> EndingParams:
        if not (self.outcomes or self.except_outcomes or self.endings) and self.good is None:
            raise ValueError("give 'outcomes', 'except_outcomes', 'endings' or 'good'")
        return self


@detector("ending_outcome", EndingParams)
def detect_ending(call: CallView, p: EndingParams) -> Verdict:
    """The ending reached is one of the wanted ones."""
    last = call.turns[-1] if call.turns else None
    ok = call.ending_id is not None and (
        (not p.outcomes or call.outcome in p.outcomes)
        and call.outcome not in p.except_outcomes
        and (not p.endings or call.ending_id in p.endings)
        and (p.good is None or call.good_ending == p.good)
    )
    return Verdict(
        ok, last, f"ended at {call.ending_id or '(no ending)'} ({call.outcome or 'unfinished'})"
    )


class NoParams(Params):
    """No parameters."""


@detector("third_party_no_disclosure", NoParams)
def detect_third_party(call: CallView, p: NoParams) -> Verdict:
    """Nothing about the debt was said to anyone but the verified debtor."""
    outsiders = [t for t in call.agent if not (t.party == "debtor" and t.verified)]
    for turn in outsiders:
        if _has_debt_detail(call, turn):
            return Verdict(
                False,
                turn,
                f"debt detail to the {turn.party.replace('_', ' ')} (unverified) at {_where(turn)}",
            )
    if not outsiders:
        return Verdict(True, None, "every line was said to the verified debtor")
    return Verdict(
        True,
        outsiders[-1],
        f"no debt detail in {len(outsiders)} line(s) to an unverified or third party",
    )


class KeywordParams(Params):
    """Optional keywords replacing the locale's default list."""

    keywords: tuple[str, ...] = ()


@detector("callback_requested", KeywordParams)
def detect_callback(call: CallView, p: KeywordParams) -> Verdict:
    """A call-back was requested (move ``request_callback`` or call-back wording)."""
    words = p.keywords or CALLBACK_WORDS.get(call.scenario.locale, ())
    for turn in call.agent:
        if (
            "requests_callback" in turn.facts
            or "request_callback" in turn.made()
            or any(_norm(w) in _norm(turn.text) for w in words)
        ):
            return Verdict(True, turn, f"call-back asked at {_where(turn)}")
    return Verdict(False, None, "no call-back request")


class CloseParams(Params):
    """``courteous_close``: how many of the last agent lines may hold the close."""

    within_last: int = Field(default=2, ge=1)
    keywords: tuple[str, ...] = ()


@detector("courteous_close", CloseParams)
def detect_close(call: CallView, p: CloseParams) -> Verdict:
    """The agent closed politely (thanks, good-bye) and without a rude last word."""
    last = call.agent[-p.within_last :]
    words = p.keywords or CLOSE_WORDS.get(call.scenario.locale, ())
    for turn in last:
        if any(f.category in ("abuse", "threat") for f in turn.findings):
            return Verdict(False, turn, f"the close broke a rule at {_where(turn)}")
    for turn in reversed(last):
        if (
            "close_politely" in turn.made()
            or (
                "closes_politely" in turn.facts
                and "closes_politely" not in _facts_before(call, turn)
            )
            or any(_norm(w) in _norm(turn.text) for w in words)
        ):
            return Verdict(True, turn, f"courteous close at {_where(turn)}")
    return Verdict(False, last[-1] if last else None, "no courteous close")


def best_path(scenario: Scenario) -> list[tuple[str, str, str]]:
    """The best path through a scenario: ``(node, intent, best line as written)`` from the
    start, following each node's ``best`` option, until an ending (or a node without one)."""
    path: list[tuple[str, str, str]] = []
    node_id = scenario.start
    seen: set[str] = set()
    while node_id in scenario.nodes and node_id not in seen:
        seen.add(node_id)
        node = scenario.nodes[node_id]
        best = next((o for o in node.options if o.quality == "best"), None)
        if best is None:
            break
        path.append((node_id, best.intent, best.text))
        move = next(
            (mv for mv in node.moves if mv.intent == best.intent and mv.when is None), None
        ) or next((mv for mv in node.moves if mv.intent == best.intent), None)
        if move is None:
            break
        node_id = move.goto
    return path


class BestPathParams(Params):
    """``best_path``: the share of the best path's moves the trainee made."""

    share: float = Field(default=0.8, gt=0, le=1)
    stages: tuple[CallStage, ...] = ()


@detector("best_path", BestPathParams)
def detect_best_path(call: CallView, p: BestPathParams) -> Verdict:
    """The trainee made at least ``share`` of the best path's moves (optionally only those
    at nodes of the given call stages) — how a scenario's own procedure is checked
    without a scenario-specific scorecard."""
    wanted = {
        intent
        for node, intent, _ in best_path(call.scenario)
        if not p.stages or call.scenario.nodes[node].stage in p.stages
    }
    if not wanted:
        return Verdict(True, None, "no best-path moves to make")
    made = [t for t in call.agent if set(t.made()) & wanted and not tainted(t)]
    done = {move for t in made for move in t.made()} & wanted
    share = len(done) / len(wanted)
    last = made[-1] if made else None
    missing = sorted(wanted - done)
    detail = f"{share:.0%} of the best path's moves" + (
        f" (not made: {', '.join(missing)})" if missing else ""
    )
    return Verdict(share >= p.share, last, detail)


class ListParams(Params):
    """Combinators take a list of detectors instead of parameters."""


DETECTORS["any_of"] = Detector(
    "any_of",
    ListParams,
    lambda call, p: Verdict(False),
    "Met when one of the listed detectors is met.",
)
DETECTORS["all_of"] = Detector(
    "all_of", ListParams, lambda call, p: Verdict(False), "Met when every listed detector is met."
)
