"""The rulebook file format (``kind: rulebook``) as typed, immutable models.

A rulebook is data that compliance staff maintain: each rule carries its
category, severity, message, citations, approved alternative, patterns with
guards, the context it applies in, and examples that double as tests. This
module only describes the format (cheap to import); `trainer.grading.rulebook`
compiles it. Importing it registers the ``rulebook`` kind with the content
loader so ``trainer validate`` checks rulebook files too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from trainer.grading.findings import CallContext
from trainer.vocab import Party, Severity, category_names, rule_id_pattern

SeverityName = Severity
PartyName = Party
GuardWhere = Literal["before", "after", "clause", "sentence", "text"]

CLOCK = r"^([01]\d|2[0-3]):[0-5]\d$"


class Spec(BaseModel):
    """Base: immutable, unknown keys rejected (a typo is a load error, not a silent no-op)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class CitationSpec(Spec):
    """A source of the rule; ``status: verify`` marks a citation not yet checked by counsel."""

    instrument: str = Field(min_length=1)
    article: str = ""
    status: Literal["verified", "verify"]
    url: str = ""


class GuardSpec(Spec):
    """An exception: when ``regex`` is found at ``where`` around a match, the match is dropped.

    ``before``/``after``: the text of the same clause before/after the match
    (the last/first ``window`` characters when ``window`` > 0); ``clause``,
    ``sentence``, ``text``: the whole clause, sentence or utterance. Regexes run
    on normalised text (lower case, simplified characters).
    """

    regex: str
    where: GuardWhere = "clause"
    window: int = Field(default=0, ge=0, le=500)
    note: str = ""

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        return {"regex": data} if isinstance(data, str) else data


class When(Spec):
    """The context a rule applies in; unset keys do not restrict.

    ``debtor_verified: false`` means "unless the verified debtor is on the line"
    (debt details are then a third-party disclosure). ``night: true`` means the
    call's local time is in the rulebook's night window and no consent was given.
    """

    party: tuple[PartyName, ...] | None = None
    verified: bool | None = None
    debtor_verified: bool | None = None
    first_turn: bool | None = None
    night: bool | None = None

    def holds(self, ctx: CallContext, night: bool) -> bool:
        """Whether a call context meets every condition set here."""
        if self.party is not None and ctx.party not in self.party:
            return False
        if self.verified is not None and ctx.verified != self.verified:
            return False
        if self.debtor_verified is not None and ctx.verified_debtor != self.debtor_verified:
            return False
        if self.first_turn is not None and (ctx.turn <= 1) != self.first_turn:
            return False
        return self.night is None or night == self.night


class ExampleSpec(Spec):
    """One example utterance with the context it is said in."""

    text: str = Field(min_length=1)
    party: PartyName = "debtor"
    verified: bool = True
    turn: int = Field(default=1, ge=1)
    time: str | None = Field(default=None, pattern=CLOCK)
    consent: bool = False
    history: tuple[str, ...] = ()
    note: str = ""

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        return {"text": data} if isinstance(data, str) else data


class Examples(Spec):
    """Examples that must be flagged by the rule and near-misses that must not."""

    flag: tuple[ExampleSpec, ...] = ()
    pass_: tuple[ExampleSpec, ...] = Field(default=(), alias="pass")


class RuleSpec(Spec):
    """One rule as written in YAML.

    ``triggers`` are literal words (normalised like the text) that make the rule
    a candidate; ``pattern`` (default: the triggers) is the regex a finding
    spans; ``guards``/``unless`` drop a match (negation, quotation…);
    ``requires`` keep a match only when every one of them is found (e.g. a
    self-claim "我是…" before 公安). ``absent`` reports the rule only when the
    regex is found neither in the utterance nor in earlier agent turns.
    ``model: true`` makes a *model rule*: no words of its own, it reports its
    category when the rulebook's learned classifier scores the utterance at or
    above ``threshold`` (default: the one calibrated in the model file) and no
    other rule of the category already fired.
    """

    id: str = Field(json_schema_extra=lambda schema: schema.update(pattern=rule_id_pattern()))
    category: str = Field(
        json_schema_extra=lambda schema: schema.update(enum=list(category_names()))
    )
    severity: SeverityName
    title: str = Field(min_length=1)
    message: str = Field(min_length=1)
    suggestion: str = Field(min_length=1)
    citations: tuple[CitationSpec, ...] = Field(min_length=1)
    triggers: tuple[str, ...] = ()
    pattern: str | None = None
    absent: str | None = None
    guards: tuple[str, ...] | None = None
    unless: tuple[GuardSpec, ...] = ()
    requires: tuple[GuardSpec, ...] = ()
    when: When = Field(default_factory=When)
    model: bool = False
    threshold: float | None = Field(default=None, gt=0, lt=1)
    examples: Examples
    note: str = ""

    @field_validator("id")
    @classmethod
    def _rule_id(cls, value: str) -> str:
        pattern = rule_id_pattern()  # read now: a category may have been added since import
        if not re.match(pattern, value):
            raise PydanticCustomError(
                "string_pattern_mismatch",
                "String should match pattern '{pattern}'",
                {"pattern": pattern},
            )
        return value

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        names = category_names()
        if value not in names:
            expected = ", ".join(repr(n) for n in names[:-1]) + f" or {names[-1]!r}"
            raise PydanticCustomError(
                "literal_error", "Input should be {expected}", {"expected": expected}
            )
        return value

    @field_validator("triggers")
    @classmethod
    def _non_empty(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for trigger in value:
            if not trigger.strip():
                raise ValueError("a trigger must not be empty")
        return value


class NightSpec(Spec):
    """The hours (local time) in which calls need the debtor's consent."""

    start: str = Field(pattern=CLOCK)
    end: str = Field(pattern=CLOCK)


class RulebookSpec(Spec):
    """A rulebook file: its own rules, or an overlay that ``extends`` another."""

    kind: Literal["rulebook"]
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: str = ""
    version: str = Field(min_length=1)
    locale: Literal["zh-CN", "en-US"] | None = None
    extends: str | None = None
    night: NightSpec | None = None
    clause_breaks: str | None = None
    #: Words that turn a sentence ("…, but …", "…,不过…"): a sentence or clause guard
    #: said before them does not cover what follows ("you asked me to stop calling,
    #: but I'll keep calling" is not a quotation of the customer).
    contrast: str | None = None
    guards: dict[str, GuardSpec] = Field(default_factory=dict)
    default_guards: tuple[str, ...] | None = None
    #: Guards every word rule gets on top of its own (the agent warning against, advising
    #: against or condemning what a rule looks for is never that violation).
    always_guards: tuple[str, ...] | None = None
    model: str | None = None
    disable: tuple[str, ...] = ()
    relevel: dict[str, SeverityName] = Field(default_factory=dict)
    rules: tuple[RuleSpec, ...] = ()

    @model_validator(mode="after")
    def _base_needs_locale(self) -> RulebookSpec:
        if self.extends is None and self.locale is None:
            raise ValueError("a rulebook without 'extends' must set 'locale'")
        return self


def regexes(spec: RulebookSpec) -> Iterable[tuple[tuple[str | int, ...], str]]:
    """Every regex of a rulebook with its YAML path, for compile checks."""
    if spec.clause_breaks:
        yield ("clause_breaks",), spec.clause_breaks
    if spec.contrast:
        yield ("contrast",), spec.contrast
    for name, guard in spec.guards.items():
        yield ("guards", name, "regex"), guard.regex
    for i, rule in enumerate(spec.rules):
        if rule.pattern:
            yield ("rules", i, "pattern"), rule.pattern
        if rule.absent:
            yield ("rules", i, "absent"), rule.absent
        for j, guard in enumerate(rule.unless):
            yield ("rules", i, "unless", j), guard.regex
        for j, guard in enumerate(rule.requires):
            yield ("rules", i, "requires", j), guard.regex


def bad_regex(pattern: str) -> str | None:
    """The error message when ``pattern`` does not compile, else None."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    return None
