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
``callback_requested`` [keywords], ``courteous_close`` [within_last, keywords, courtesy],
``introduces_self`` [require, within], ``promise_read_back`` [require],
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
from trainer.vocab import SEVERITY_RANK, CallStage, Party, Severity

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
    """A detector's answer: met or not, the proving (or breaking) turn and why.

    ``detail`` is for instructors (ids, turn indexes); ``note``, when a detector can say
    it, tells the trainee in the call's language what was missing ("第一句没有说出:部门").
    """

    met: bool
    turn: TurnView | None = None
    detail: str = ""
    note: str = ""


#: Trainee-facing phrases of the detectors' notes, by locale.
NOTES = {
    "zh-CN": {
        "intro_missing": "开头没有说出:{missing}",
        "intro_after_debt": "自报家门之前就说了欠款信息",
        "no_promise": "没有拿到还款承诺,也就没有复述",
        "read_back_missing": "复述承诺时没有说出:{missing}",
        "no_read_back": "没有复述承诺请客户确认",
        "bare_goodbye": "只道了别,没有道谢或祝福",
        "no_close": "最后几句没有收尾道别",
        "rude_close": "收尾时的话违反了规则",
        "amount": "金额",
        "date": "日期",
        "channel": "还款渠道",
        "sep": "、",
    },
    "en-US": {
        "intro_missing": "Not said at the start: {missing}",
        "intro_after_debt": "A debt detail came before you said who you are",
        "no_promise": "No promise was secured, so none was read back",
        "read_back_missing": "The read-back left out the {missing}",
        "no_read_back": "The promise was not read back for the customer to confirm",
        "bare_goodbye": "A goodbye without thanks or a good wish",
        "no_close": "The last lines do not close the call",
        "rude_close": "The close broke a rule",
        "amount": "amount",
        "date": "date",
        "channel": "payment channel",
        "sep": ", ",
    },
}


def _note(call: CallView, key: str, **values: str) -> str:
    """A trainee-facing note in the call's language."""
    words = NOTES.get(call.scenario.locale, NOTES["en-US"])
    return words[key].format(**values)


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
        return Verdict(
            False,
            None,
            "; ".join(v.detail for v in verdicts if v.detail),
            next((v.note for v in verdicts if v.note), ""),
        )
    missed = [v for v in verdicts if not v.met]
    if missed:
        return Verdict(False, missed[0].turn, missed[0].detail, missed[0].note)
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


#: Words that end a call (a goodbye, or a parting wish), by locale: a line with one of
#: them, or recognised as ``close_politely``, is a *closing* line.
CLOSE_WORDS = {
    "zh-CN": ("再见", "拜拜", "祝您", "祝你", "不打扰", "先这样", "挂了", "还有什么可以帮"),
    "en-US": (
        "goodbye",
        "bye",
        "have a good",
        "have a great",
        "have a nice",
        "take care",
        "talk soon",
        "enjoy your",
        "anything else i can help",
    ),
}
#: Courtesy in a closing line: thanks, a good wish, regret for the trouble, by locale. A bare
#: "再见" / "OK, bye" closes a call but not courteously.
COURTESY_WORDS = {
    "zh-CN": (
        "谢谢",
        "感谢",
        "多谢",
        "祝您",
        "祝你",
        "打扰",
        "不耽误",
        "不占用",
        "辛苦",
        "保重",
        "养伤",
        "顺利",
        "愉快",
        "早日康复",
        "节哀",
        "还有什么可以帮",
    ),
    "en-US": (
        "thank",
        "appreciate",
        "have a good",
        "have a great",
        "have a nice",
        "take care",
        "sorry to bother",
        "enjoy your",
        "all the best",
        "anything else i can help",
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


#: How each element of a self-introduction is recognised, by locale (besides the briefing's
#: own institution, unit, agent name and staff id, which always count).
UNIT_RX = {
    # right after the institution: 华信银行账户管理部, 华信银行信用卡中心的客户服务部
    "zh-CN": r"^\s*的?\s*[\u4e00-\u9fffa-z]{1,10}?(?:部|中心|组|科|处|室|团队)",
    "en-US": r"\b(?:team|department|dept|unit|division|office|desk)\b",
}
NAME_RX = {
    # on the normalised line: 我姓刘 / 我叫王丽 / …客户服务部的许静,
    "zh-CN": (
        r"(?:我姓|免贵姓|我叫|我的名字是|名字叫)\s*[\u4e00-\u9fff]"
        r"|(?:部|中心|组|科|处|室|团队|银行|公司)的\s*(?!工作人员|客服|专员|员工|同事)"
        r"[\u4e00-\u9fff]{2,3}(?:[,。!?;、\s]|工号|$)"
    ),
    # on the line as typed, so that a name is a capitalised word: "this is Maria", "Jordan
    # from Lakeshore"
    "en-US": (
        r"\b(?:[Tt]his is|[Mm]y name is|I'm|I am|[Ii]t's|[Nn]ame's)\s+"
        r"(?!With\b|From\b|Calling\b|About\b)[A-Z][a-z]+"
        r"|\b(?!Hi\b|Hello\b|Hey\b|Yes\b|Yeah\b|Good\b|This\b)[A-Z][a-z]+,?\s+"
        r"(?:from|with|at|here from)\s+[A-Z]"
    ),
}
STAFF_ID_RX = {
    "zh-CN": r"工号\s*:?\s*[a-z]?\d+",
    "en-US": (
        r"\b(?:employee|staff|agent|badge)\s*(?:id|number|no\.?|#)\s*:?\s*[a-z]?\d+"
        r"|\bextension\s*\d+"
    ),
}
Element = Literal["institution", "unit", "name", "staff_id", "name_or_staff_id"]
ELEMENT_LABELS = {
    "zh-CN": {
        "institution": "机构",
        "unit": "部门",
        "name": "姓名",
        "staff_id": "工号",
        "name_or_staff_id": "姓名或工号",
    },
    "en-US": {
        "institution": "company",
        "unit": "team or department",
        "name": "name",
        "staff_id": "staff ID",
        "name_or_staff_id": "name or staff ID",
    },
}


def _short_institution(name: str) -> str:
    """The part of an institution's name a caller says at the least: up to and including
    银行/公司 in Chinese (华信银行信用卡中心 → 华信银行), the first word in English
    (Lakeshore Recovery Services → Lakeshore)."""
    norm = _norm(name)
    for suffix in ("银行", "公司", "集团"):
        at = norm.find(suffix)
        if at > 0:
            return norm[: at + len(suffix)]
    words = norm.split()
    return words[0] if words else norm


def _self_introduction(call: CallView, turn: TurnView) -> dict[str, bool]:
    """Which elements of a self-introduction a line says."""
    brief = call.scenario.briefing
    locale = call.scenario.locale
    text = _norm(turn.text)
    raw = turn.text.strip()
    name = bool(brief.agent_name and _norm(brief.agent_name) in text) or bool(
        re.search(NAME_RX.get(locale, "$^"), raw if locale == "en-US" else text)
    )
    staff = bool(brief.staff_id and re.search(rf"(?<!\d){re.escape(brief.staff_id)}(?!\d)", text))
    staff = staff or bool(re.search(STAFF_ID_RX.get(locale, "$^"), text))
    full = _norm(brief.institution)
    institution = _short_institution(brief.institution)
    inst_at = text.find(institution) if institution else -1
    # a unit is named right after the institution, beyond its full name (华信银行信用卡中心
    # is the institution, not a unit of it)
    end = -1
    if full and full in text:
        end = text.find(full) + len(full)
    elif inst_at >= 0:
        end = inst_at + len(institution)
    after = text[end : end + 40] if end >= 0 else ""
    unit = bool(brief.unit and _norm(brief.unit) in text) or bool(
        end >= 0 and re.search(UNIT_RX.get(locale, "$^"), after)
    )
    return {
        "institution": inst_at >= 0,
        "unit": unit,
        "name": name,
        "staff_id": staff,
        "name_or_staff_id": name or staff,
    }


def _false_identity(turn: TurnView) -> bool:
    """Whether a line broke a major or critical impersonation or identity rule: what it says
    about who is calling cannot count as an introduction (a disclosure in the same line is
    judged by its own checks)."""
    return any(
        f.severity in ("critical", "major") and f.category in ("impersonation", "identity")
        for f in turn.findings
    )


class IntroParams(Params):
    """``introduces_self``: the elements the agent must state, within the first lines."""

    require: tuple[Element, ...] = ("institution", "name")
    within: int = Field(default=1, ge=1)


@detector("introduces_self", IntroParams)
def detect_introduction(call: CallView, p: IntroParams) -> Verdict:
    """The agent stated who is calling, every element of ``require`` (institution, unit,
    name, staff id, or name or staff id), within their first ``within`` lines, with no debt
    detail in an earlier line. Elements may be spread over those lines; a line that broke a
    major or critical impersonation or identity rule (a judicial-sounding unit, a false
    name) proves nothing.
    Missed, the detail names the elements that were not said."""
    labels = ELEMENT_LABELS.get(call.scenario.locale, ELEMENT_LABELS["en-US"])
    opening = [t for t in call.agent if t.ordinal <= p.within] or list(call.agent[: p.within])
    said: dict[str, TurnView] = {}
    debt = call.debt_detail_turn()
    for turn in opening:
        if debt is not None and debt.index < turn.index:
            break
        if _false_identity(turn):
            continue
        for element, present in _self_introduction(call, turn).items():
            if present:
                said.setdefault(element, turn)
    missing = [e for e in p.require if e not in said]
    if not missing:
        last = max((said[e] for e in p.require), key=lambda t: t.index, default=None)
        named = ", ".join(labels[e] for e in p.require)
        return Verdict(True, last, f"{named} stated by {_where(last) if last else 'the opening'}")
    lines = "first line" if p.within == 1 else f"first {p.within} lines"
    where = opening[0] if opening else None
    lacking = ", ".join(labels[e] for e in missing)
    if debt is not None and opening and debt.index < opening[-1].index and debt.ordinal <= p.within:
        return Verdict(
            False,
            debt,
            f"a debt detail at {_where(debt)} before the introduction ({lacking} missing)",
            _note(call, "intro_after_debt"),
        )
    sep = NOTES.get(call.scenario.locale, NOTES["en-US"])["sep"]
    note = _note(call, "intro_missing", missing=sep.join(labels[e] for e in missing))
    return Verdict(False, where, f"not said in the agent's {lines}: {lacking}", note)


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
    #: Only a line the agent answered counts: another agent line follows it (the customer
    #: asked "什么事?" and the call went on), not a question the call ended on.
    answered: bool = False

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
    last_agent = call.agent[-1].index if call.agent else -1
    for turn in call.turns:
        if p.speaker != "any" and turn.speaker != p.speaker:
            continue
        if p.party is not None and turn.party != p.party:
            continue
        if p.answered and turn.index >= last_agent:
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
    """The ending reached is one of the wanted ones.

    With ``except_outcomes`` alone, a call that reached no ending (interrupted, or still
    open when it was scored) holds: it did not end with an excluded outcome, so the checks
    that depend on it are judged on what was said (an unfinished call that never stated
    the amount missed it; it is not excused from it)."""
    last = call.turns[-1] if call.turns else None
    if call.ending_id is None and p.except_outcomes and not (p.outcomes or p.endings):
        return Verdict(p.good is None, last, "no ending reached (unfinished call)")
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
    """``courteous_close``: how many of the last agent lines may hold the close, and the
    words that close a call and that make the close courteous (defaults per locale)."""

    within_last: int = Field(default=2, ge=1)
    keywords: tuple[str, ...] = ()
    courtesy: tuple[str, ...] = ()


@detector("courteous_close", CloseParams)
def detect_close(call: CallView, p: CloseParams) -> Verdict:
    """The call ends with a courteous close: one of the agent's last ``within_last`` lines
    closes the call and, in the same line, thanks the customer or wishes them well; none of
    those lines breaks an abuse or threat rule. A closing line says goodbye or a parting
    wish (or is recognised as ``close_politely``); the agent's last line of a call that
    reached its ending also closes it when its last sentence thanks the customer. A
    mid-call "thanks" is no close, and a bare "OK, bye" is a close but not a courteous one."""
    last = call.agent[-p.within_last :]
    closing = p.keywords or CLOSE_WORDS.get(call.scenario.locale, ())
    courtesy = p.courtesy or COURTESY_WORDS.get(call.scenario.locale, ())
    for turn in last:
        rude = [f for f in turn.findings if f.category in ("abuse", "threat")]
        if any(SEVERITY_RANK.get(f.severity, 0) >= SEVERITY_RANK["minor"] for f in rude):
            return Verdict(
                False, turn, f"the close broke a rule at {_where(turn)}", _note(call, "rude_close")
            )
    bare: TurnView | None = None
    for turn in reversed(last):
        text = _norm(turn.text)
        closes = "close_politely" in turn.made() or any(_norm(w) in text for w in closing)
        if not closes and turn is last[-1] and call.ending_id is not None:
            final = _last_sentence(text)
            closes = any(_norm(w) in final for w in courtesy)
        if not closes:
            continue
        if any(_norm(w) in text for w in courtesy):
            return Verdict(True, turn, f"courteous close at {_where(turn)}")
        bare = bare or turn
    if bare is not None:
        return Verdict(
            False,
            bare,
            f"a goodbye without thanks or a good wish at {_where(bare)}",
            _note(call, "bare_goodbye"),
        )
    return Verdict(
        False,
        last[-1] if last else None,
        f"none of the last {p.within_last} agent line(s) closes the call",
        _note(call, "no_close"),
    )


_SENTENCE_END = re.compile(r"[。!?!?.;;]+")


def _last_sentence(text: str) -> str:
    """The last sentence of a line (its last non-empty piece between sentence stops)."""
    pieces = [piece for piece in _SENTENCE_END.split(text) if piece.strip()]
    return pieces[-1] if pieces else text


#: What a read-back must name, by locale: the date (or time) and the channel. The amount is
#: any sum of money (or "全额" / "in full"…), found by the number reader.
DATE_WORDS = {
    "zh-CN": (
        r"\d{1,2}\s*[号日]|[一二三四五六七八九十]{1,3}[号日]|\d{1,2}\s*月|[一二三四五六七八九十]{1,2}月"
        r"|今天|今晚|今日|明天|明早|明晚|后天|大后天|周[一二三四五六日天末]|星期[一二三四五六日天]"
        r"|礼拜[一二三四五六日天]|月底|月初|月中|这周|本周|下周|下个?月|\d{1,2}\s*[点:]"
        r"|[一二三四五六七八九十]{1,3}点|中午|上午|下午|晚上|发工资|工资到账|出院"
    ),
    "en-US": (
        r"\b(?:today|tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
        r"|weekend|next week|this week|end of (?:the )?month|payday"
        r"|jan(?:uary)?|feb(?:ruary)?|march|april|june|july|aug(?:ust)?|sept?(?:ember)?"
        r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b|\b\d{1,2}(?:st|nd|rd|th)\b"
        r"|\b\d{1,2}/\d{1,2}\b|\b\d{1,2}(?::\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)"
    ),
}
CHANNEL_WORDS = {
    "zh-CN": (
        "app",
        "手机银行",
        "网银",
        "网上银行",
        "柜台",
        "网点",
        "支行",
        "官方",
        "自动还款",
        "自动扣款",
        "还款账户",
        "客服",
    ),
    "en-US": (
        "app",
        "website",
        "online",
        "portal",
        "payment line",
        "by phone",
        "over the phone",
        "branch",
        "autopay",
        "automatic payment",
        "check",
        "mail",
        "official",
    ),
}
#: Amounts said in words instead of a number.
AMOUNT_WORDS = {
    "zh-CN": ("全额", "全部", "还清", "结清", "最低还款", "最低的", "剩下的", "剩余"),
    "en-US": ("in full", "full balance", "full amount", "whole balance", "the minimum"),
}
#: A question that asks the customer to confirm what was read back.
CONFIRM_WORDS = {
    "zh-CN": ("对吗", "对吧", "没错吧", "没问题吧", "是吧", "确认一下", "核对一下", "复述"),
    "en-US": ("is that right", "is that correct", "correct?", "right?", "confirm", "read it back"),
}
#: A number followed by one of these is a date or a time, not a sum.
_NOT_A_SUM = re.compile(r"^\s*(?:[号日点月时:/]|st\b|nd\b|rd\b|th\b|am\b|pm\b|%)", re.IGNORECASE)


class ReadBackParams(Params):
    """``promise_read_back``: which parts of the promise the read-back must name."""

    require: tuple[Literal["amount", "date", "channel"], ...] = ("amount", "date", "channel")


def _names_amount(text: str, locale: str) -> bool:
    if any(_norm(w) in _norm(text) for w in AMOUNT_WORDS.get(locale, ())):
        return True
    return any(
        a.money or (a.value >= 10 and not _NOT_A_SUM.match(text[a.end :])) for a in _amounts(text)
    )


def _promise_parts(text: str, locale: str) -> dict[str, bool]:
    norm = _norm(text)
    date_rx = DATE_WORDS.get(locale)
    return {
        "amount": _names_amount(text, locale),
        "date": bool(date_rx and re.search(date_rx, norm, re.IGNORECASE)),
        "channel": any(_norm(w) in norm for w in CHANNEL_WORDS.get(locale, ())),
    }


@detector("promise_read_back", ReadBackParams)
def detect_read_back(call: CallView, p: ReadBackParams) -> Verdict:
    """The promise was read back to the debtor with its amount, date and channel (the parts
    in ``require``): a line recognised as the read-back, or a line that names every part and
    asks the debtor to confirm. A read-back that leaves a part out is missed at that line
    and says which part; a goodbye recognised as a read-back proves nothing."""
    locale = call.scenario.locale
    if call.fact_turn("secures_promise") is None:
        return Verdict(
            False, None, "no promise was secured, so none was read back", _note(call, "no_promise")
        )
    confirm = tuple(_norm(w) for w in CONFIRM_WORDS.get(locale, ()))
    partial: tuple[TurnView, list[str]] | None = None
    for turn in call.agent:
        if tainted(turn):
            continue
        parts = _promise_parts(turn.text, locale)
        lacking: list[str] = [part for part in p.require if not parts[part]]
        recognised = "read_back_promise" in turn.made() or (
            "reads_back" in turn.facts and "reads_back" not in _facts_before(call, turn)
        )
        if not recognised and (lacking or not any(w in _norm(turn.text) for w in confirm)):
            continue
        if not lacking:
            return Verdict(
                True, turn, f"promise read back ({', '.join(p.require)}) at {_where(turn)}"
            )
        if partial is None:
            partial = (turn, lacking)
    if partial is not None:
        turn, missing = partial
        sep = NOTES.get(locale, NOTES["en-US"])["sep"]
        named = sep.join(_note(call, part) for part in missing)
        return Verdict(
            False,
            turn,
            f"the read-back at {_where(turn)} does not name the {' or '.join(missing)}",
            _note(call, "read_back_missing", missing=named),
        )
    return Verdict(False, None, "the promise was never read back", _note(call, "no_read_back"))


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
