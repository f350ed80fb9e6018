"""The content model: typed, immutable objects for every kind of content file.

Instructors write YAML; `trainer.scenarios.loader` turns it into these objects
(or precise diagnostics). Every file starts with ``kind:`` so a file can be
validated on its own and the right model picked without guessing.

Models are frozen Pydantic v2 models that reject unknown keys: a typo such as
``gotoo:`` is an error at load time, never a surprise mid-call.
"""

from __future__ import annotations

import re
import string
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from trainer.vocab import CallStage, Locale, Party, ScenarioStage

# ---------------------------------------------------------------- vocabularies

Difficulty = Literal["easy", "medium", "hard"]
Answerer = Literal["debtor", "spouse", "parent", "colleague", "emergency_contact", "unknown"]
# Locales, parties, scenario and call stages come from `trainer.vocab` (the one source).
Stage = ScenarioStage

#: What the persona is, from the typology in docs/domain.md §3 plus the third-party roles.
PersonaType = Literal[
    "honest_forgetful",  # 诚信健忘型
    "loud_anxious",  # 色厉内荏型
    "staller",  # 敷衍拖沓型
    "evader",  # 恶意透支型
    "hardship",  # 经济困难型
    "identity_dispute",  # 欺诈/冒名
    "complainer",  # threatens to complain / records the call
    "third_party",  # spouse, parent, colleague, emergency contact, wrong number
]

#: Facts a recognised agent move establishes; path checks and scorecards read them.
Fact = Literal[
    "identifies_self",  # institution, unit, surname or staff number
    "states_recording",  # the call is recorded
    "verifies_identity",  # confirmed the person is the cardholder
    "discloses_debt",  # any detail of the debt (amount, overdue, card)
    "states_amount",  # the amount owed stated plainly
    "asks_reason",  # reason for delinquency
    "shows_empathy",
    "states_consequences",  # lawful consequences, truthfully
    "offers_option",  # full / minimum / instalment plan
    "gives_channel",  # official repayment channel
    "secures_promise",  # amount + date + channel agreed
    "reads_back",  # promise read back
    "requests_callback",  # third party asked to pass on a call-back request
    "logs_dispute",  # dispute procedure started
    "closes_politely",
]

Outcome = Literal[
    # good endings
    "promise_to_pay",
    "paid",
    "payment_plan",
    "dispute_logged",
    "callback_arranged",
    "message_left",
    "case_referred",
    "contact_updated",
    # bad endings
    "hung_up",
    "complaint",
    "nothing_agreed",
    "disclosure",
]
#: outcome → (zh-CN, en): its name for trainees. The app's interface table and the
#: command line's debrief both read it, so an outcome is named once.
OUTCOME_LABELS: dict[str, tuple[str, str]] = {
    "promise_to_pay": ("承诺还款", "promise to pay"),
    "paid": ("已还款", "paid"),
    "payment_plan": ("达成分期", "payment plan"),
    "dispute_logged": ("已登记争议", "dispute logged"),
    "callback_arranged": ("约定回电", "callback arranged"),
    "message_left": ("已请转告", "message left"),
    "case_referred": ("已转交处理", "case referred"),
    "contact_updated": ("联系方式已更新", "contact updated"),
    "hung_up": ("客户挂断", "hung up"),
    "complaint": ("客户投诉", "complaint"),
    "nothing_agreed": ("未达成任何约定", "nothing agreed"),
    "disclosure": ("向第三人泄露债务", "debt disclosed"),
}
GOOD_OUTCOMES: frozenset[str] = frozenset(
    {
        "promise_to_pay",
        "paid",
        "payment_plan",
        "dispute_logged",
        "callback_arranged",
        "message_left",
        "case_referred",
        "contact_updated",
    }
)

Quality = Literal["best", "acceptable", "poor"]

NODE_ID = r"^[a-z][a-z0-9_]*$"
ITEM_ID = r"^[a-z][a-z0-9_.-]*$"
SCENARIO_ID = r"^[a-z0-9][a-z0-9-]*$"

NodeId = Annotated[str, Field(pattern=NODE_ID)]
IntentId = Annotated[str, Field(pattern=ITEM_ID)]


class Model(BaseModel):
    """Base: immutable, unknown keys rejected, values stripped of nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- conditions

_CLAUSE = re.compile(r"^\s*(?:(not)\s+)?([a-z][a-z0-9_]*)\s*(?:(<=|>=|==|!=|<|>)\s*(-?\d+))?\s*$")


class Clause(Model):
    """One test: ``meter OP number``, ``fact`` or ``not fact``."""

    name: str
    op: str | None = None
    value: int | None = None
    negate: bool = False

    def holds(self, meters: dict[str, int], facts: frozenset[str] | set[str]) -> bool:
        """True when the clause holds for these meter values and facts."""
        if self.op is None:
            return (self.name in facts) != self.negate
        left = meters.get(self.name, 0)
        assert self.value is not None
        right = self.value
        return {
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
            "==": left == right,
            "!=": left != right,
        }[self.op]


def parse_condition(text: str) -> tuple[Clause, ...]:
    """Parse ``"anger >= 60 and not verifies_identity"`` into clauses (all must hold).

    Raises ValueError with a readable message on bad syntax.
    """
    clauses = []
    for part in re.split(r"\s+and\s+", text.strip()):
        match = _CLAUSE.match(part)
        if not match or (match.group(1) and match.group(3)):
            raise ValueError(
                f"cannot read condition {part!r}: write 'meter >= 50', 'fact' or 'not fact',"
                " joined by 'and'"
            )
        negate, name, op, value = match.groups()
        clauses.append(
            Clause(
                name=name,
                op=op,
                value=int(value) if value is not None else None,
                negate=bool(negate),
            )
        )
    return tuple(clauses)


class Condition(Model):
    """A condition written as text in YAML (``when: "anger >= 60"``), parsed at load."""

    source: str
    clauses: tuple[Clause, ...]

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"source": data, "clauses": parse_condition(data)}
        return data

    def holds(self, meters: dict[str, int], facts: frozenset[str] | set[str]) -> bool:
        """True when every clause holds."""
        return all(clause.holds(meters, facts) for clause in self.clauses)


# ---------------------------------------------------------------- placeholders

_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def placeholder_names(text: str) -> list[str]:
    """The ``{name}`` placeholders of a line, in order.

    ``{{`` and ``}}`` stand for literal braces. Raises ValueError for a lone
    brace or anything but a plain name inside braces (no ``{a.b}``, ``{a:>5}``).
    """
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise ValueError("unbalanced brace: write '{{' or '}}' for a literal brace") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not _FIELD.match(name) or spec or conversion:
            shown = (
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            raise ValueError(
                f"'{shown}' is not a plain placeholder: write '{{name}}'"
                " (or '{{' and '}}' for literal braces)"
            )
        names.append(name)
    return names


def fill(text: str, values: dict[str, str]) -> str:
    """Replace ``{name}`` placeholders with ``values``; ``{{``/``}}`` become braces.

    Unknown names are left as written (the validator reports them at load time).
    """
    out: list[str] = []
    for literal, name, _, _ in string.Formatter().parse(text):
        out.append(literal)
        if name is not None:
            out.append(values.get(name, "{" + name + "}"))
    return "".join(out)


# ---------------------------------------------------------------- dialogue pieces


class Line(Model):
    """A debtor line variant. A plain string in YAML is a line with default settings."""

    text: str = Field(min_length=1)
    weight: float = Field(default=1.0, gt=0)
    when: Condition | None = None
    once: bool = False

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        return {"text": data} if isinstance(data, str) else data


class Move(Model):
    """An agent move the node expects: recognised intent → next node, effects, facts."""

    intent: IntentId
    goto: NodeId
    effects: dict[str, int] = Field(default_factory=dict)
    establishes: tuple[Fact, ...] = ()
    when: Condition | None = None
    reply: tuple[Line, ...] = ()
    note: str = ""

    @field_validator("reply", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str | dict) else value


class Option(Model):
    """A guided-mode line the trainee can pick; ``intent`` names the move it makes."""

    text: str = Field(min_length=1)
    quality: Quality
    why: str = Field(min_length=1)
    intent: IntentId
    breaks: tuple[str, ...] = ()


class Fallback(Model):
    """What happens when the agent's line is not recognised at this node."""

    say: tuple[Line, ...] = Field(min_length=1)
    effects: dict[str, int] = Field(default_factory=dict)
    goto: NodeId | None = None

    @field_validator("say", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str | dict) else value


class Node(Model):
    """One point of the call: what the debtor says here and which agent moves it expects."""

    stage: CallStage
    say: tuple[Line, ...] = Field(min_length=1)
    moves: tuple[Move, ...] = ()
    fallback: Fallback | None = None
    options: tuple[Option, ...] = ()
    party: Party | None = None
    note: str = ""

    @field_validator("say", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str | dict) else value


class Ending(Model):
    """A terminal point of the call."""

    outcome: Outcome
    say: tuple[Line, ...] = ()
    summary: str = ""

    @field_validator("say", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str | dict) else value

    @property
    def good(self) -> bool:
        """Whether the outcome counts as a successful call."""
        return self.outcome in GOOD_OUTCOMES


class Meter(Model):
    """A persona meter (trust, patience, anger…) with bounds and start value."""

    start: int
    min: int = 0
    max: int = 100

    @model_validator(mode="after")
    def _bounds(self) -> Meter:
        if not self.min <= self.start <= self.max:
            raise ValueError(f"start {self.start} is outside {self.min}..{self.max}")
        return self


class EarlierPromise(Model):
    """A promise to pay made on an earlier call."""

    date: str
    amount: float
    kept: bool = False
    note: str = ""


class Briefing(Model):
    """The account facts the trainee sees before the call; each is a ``{placeholder}``."""

    debtor_name: str
    honorific: str
    institution: str
    unit: str
    agent_name: str
    staff_id: str = ""
    amount_owed: float = Field(ge=0)
    minimum_payment: float = Field(ge=0)
    days_past_due: int = Field(ge=0)
    bucket: Literal["M1", "M2", "M3", "M4+"]
    card_last4: str = Field(pattern=r"^\d{4}$")
    due_date: str = ""
    channel: str
    callback_number: str = ""
    call_time: str = Field(default="10:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    earlier_promises: tuple[EarlierPromise, ...] = ()
    extra: dict[str, str] = Field(default_factory=dict)

    def placeholders(self) -> dict[str, str]:
        """All values usable as ``{name}`` in lines, formatted as text."""
        values: dict[str, str] = {}
        for name in type(self).model_fields:
            if name in ("extra", "earlier_promises"):
                continue
            value = getattr(self, name)
            values[name] = f"{value:,.2f}" if isinstance(value, float) else str(value)
        values.update(self.extra)
        return values


class Reactions(Model):
    """Meter changes applied when the grader finds a violation of each severity."""

    critical: dict[str, int] = Field(default_factory=lambda: {"anger": 40, "trust": -30})
    major: dict[str, int] = Field(default_factory=lambda: {"anger": 20, "trust": -15})
    minor: dict[str, int] = Field(default_factory=lambda: {"anger": 5, "trust": -5})
    review: dict[str, int] = Field(default_factory=dict)


class Exit(Model):
    """An ending forced when a condition holds after a turn (e.g. anger too high)."""

    when: Condition
    ending: NodeId


class Limits(Model):
    """Turn limit and the ending reached when it runs out."""

    max_turns: int = Field(default=30, ge=1, le=500)
    on_limit: NodeId


class Intent(Model):
    """What an agent move means and how to recognise it in free text."""

    description: str
    examples: tuple[str, ...] = Field(min_length=1)
    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    #: A move the agent may make at any point of a call (recording notice, empathy…):
    #: said where no node expects it, it still establishes its facts and a node that
    #: exists only for it is passed through later.
    anywhere: bool = False
    #: A move that ends the call (a goodbye): said before the call reached its close,
    #: the customer lets the agent go and the call ends as when the turns run out.
    ends_call: bool = False

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} is not a valid regex: {exc}") from None
        return value


DEFAULT_METERS = {
    "trust": {"start": 50},
    "patience": {"start": 60},
    "anger": {"start": 20},
}


class Scenario(Model):
    """A dialogue tree for one call."""

    kind: Literal["scenario"]
    id: str = Field(pattern=SCENARIO_ID)
    title: str
    locale: Locale
    stage: Stage
    persona: str
    answerer: Answerer
    difficulty: Difficulty
    summary: str = ""
    teaches: str = ""
    objectives: tuple[str, ...] = ()
    pass_mark: int = Field(default=70, ge=0, le=100)
    briefing: Briefing
    meters: dict[str, Meter] = Field(
        default_factory=lambda: {name: Meter(**spec) for name, spec in DEFAULT_METERS.items()}
    )
    reactions: Reactions = Field(default_factory=Reactions)
    exits: tuple[Exit, ...] = ()
    limits: Limits
    intents: dict[str, Intent] = Field(default_factory=dict)
    #: More intents this scenario accepts at any point (see `Intent.anywhere`).
    anywhere: tuple[IntentId, ...] = ()
    start: NodeId
    nodes: dict[NodeId, Node] = Field(min_length=1)
    endings: dict[NodeId, Ending] = Field(min_length=1)
    scorecard: str | None = None
    extends: str | None = Field(default=None, pattern=SCENARIO_ID)

    @property
    def party(self) -> Party:
        """Who is on the line at the start, for the grader's context."""
        if self.answerer == "debtor":
            return "debtor"
        return "unknown" if self.answerer == "unknown" else "third_party"


class Persona(Model):
    """A debtor (or third-party) character used by scenarios."""

    id: str = Field(pattern=ITEM_ID)
    name: str
    type: PersonaType
    difficulty: Difficulty
    background: str
    traits: tuple[str, ...] = ()
    voice: str = ""


class PersonaLibrary(Model):
    """A file of personas for one locale."""

    kind: Literal["personas"]
    locale: Locale
    personas: tuple[Persona, ...] = Field(min_length=1)


class IntentLibrary(Model):
    """A file of intents for one locale, shared by its scenarios."""

    kind: Literal["intents"]
    locale: Locale
    intents: dict[IntentId, Intent] = Field(min_length=1)


class SourceFile(Model):
    """A data file something was built from, with its SHA-256 (to notice it changed)."""

    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ExampleSet(Model):
    """More example lines per intent for one locale, learned from labelled data.

    Written by ``trainer intents learn`` from ``training/recogniser/`` (never by
    hand): the recogniser reads them beside the library's own examples.
    ``built_from`` names the data files and their hashes, so a test notices data
    that changed without a rebuild.
    """

    kind: Literal["examples"]
    locale: Locale
    built_from: tuple[SourceFile, ...] = ()
    intents: dict[IntentId, tuple[str, ...]] = Field(min_length=1)


class Wording(Model):
    """An approved agent line with the reason it is phrased that way."""

    stage: CallStage
    text: str
    why: str
    tags: tuple[str, ...] = ()


class WordingLibrary(Model):
    """Approved wording for one locale, audited against the rulebook."""

    kind: Literal["wording"]
    locale: Locale
    wording: dict[IntentId, Wording] = Field(min_length=1)
