"""Golden transcripts: scripted calls with expectations, run by ``trainer test``.

A golden file sits beside its scenario (``<stem>.golden.yaml``, ``kind: golden``)
and lists transcripts: agent lines (``say``) or guided choices (``choose``: a
1-based option number, or the intent id of an option) with what must hold after
each step (node, recognised intent, findings by rule id or category, meter
ranges, facts) and the expected ending. An expected violation is a valid
expectation: ``findings: [impersonation]`` passes only if the grader flags it.

Importing this module registers the ``golden`` kind and its reference checks
(T7xx) with the content loader, so ``trainer validate`` checks golden files too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from trainer.diagnostics import Diagnostic
from trainer.scenarios.loader import ContentSet, register_check, register_kind
from trainer.scenarios.model import Model

if TYPE_CHECKING:
    from trainer.engine.events import Turn
    from trainer.engine.session import Grader, Session
    from trainer.grading.findings import Finding
    from trainer.records import SessionStore
    from trainer.scenarios.model import Scenario

_RANGE = re.compile(r"^\s*(?:(<=|>=|==|!=|<|>)\s*(-?\d+)|(-?\d+)\s*\.\.\s*(-?\d+)|(-?\d+))\s*$")


def meter_holds(spec: str | int, value: int) -> bool:
    """Whether ``value`` satisfies ``"<= 30"``, ``">= 10"``, ``"20..40"`` or ``50``."""
    match = _RANGE.match(str(spec))
    if match is None:
        raise ValueError(f"cannot read meter range {spec!r}")
    op, num, low, high, exact = match.groups()
    if exact is not None:
        return value == int(exact)
    if low is not None:
        return int(low) <= value <= int(high)
    right = int(num)
    return {
        "<": value < right,
        "<=": value <= right,
        ">": value > right,
        ">=": value >= right,
        "==": value == right,
        "!=": value != right,
    }[op]


class Expect(Model):
    """What must hold after a step; every key is optional (absent = not checked)."""

    node: str | None = None
    intent: str | None = None
    #: Every move the line made, in order (a line can make several).
    moves: tuple[str, ...] | None = None
    findings: tuple[str, ...] | None = None
    meters: dict[str, str | int] = Field(default_factory=dict)
    facts: tuple[str, ...] = ()

    @field_validator("meters")
    @classmethod
    def _ranges(cls, value: dict[str, str | int]) -> dict[str, str | int]:
        for spec in value.values():
            if _RANGE.match(str(spec)) is None:
                raise ValueError(
                    f"cannot read meter range {spec!r}: write '<= 30', '>= 10',"
                    " '20..40' or a number"
                )
        return value


class Step(Model):
    """One agent turn: ``say`` (free text) or ``choose`` (1-based number or intent id)."""

    say: str | None = None
    choose: int | str | None = None
    expect: Expect | None = None

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        if (self.say is None) == (self.choose is None):
            raise ValueError("a step needs exactly one of 'say' or 'choose'")
        if isinstance(self.choose, int) and self.choose < 1:
            raise ValueError("'choose' numbers start at 1")
        return self


class Transcript(Model):
    """One scripted call."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str
    mode: Literal["free", "guided"] = "free"
    seed: int = 0
    call_time: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    start_at: str | None = Field(default=None, alias="from")
    set_meters: dict[str, int] = Field(default_factory=dict, alias="set")
    steps: tuple[Step, ...] = ()
    ending: str | None = None
    score: dict[str, int] | None = None
    passed: bool | None = None


class Golden(Model):
    """A golden file: transcripts for one scenario."""

    kind: Literal["golden"]
    scenario: str
    transcripts: tuple[Transcript, ...] = Field(min_length=1)


# ---------------------------------------------------------------- running


@dataclass(frozen=True)
class Mismatch:
    """One expectation that did not hold."""

    what: str
    expected: str
    actual: str


@dataclass
class TranscriptResult:
    """The outcome of one transcript: passed, or the first failing step and its mismatches."""

    scenario: str
    name: str
    file: str = ""
    line: int = 0
    passed: bool = True
    step: int | None = None  # 1-based; None for the ending or an error before the steps
    action: str = ""
    mismatches: list[Mismatch] = field(default_factory=list)
    error: str = ""
    notes: list[str] = field(default_factory=list)
    steps_run: int = 0

    def format(self) -> str:
        """Readable report: ``ok``/``FAIL`` line, then the failing step as a small diff."""
        where = f" ({self.file}:{self.line})" if self.file else ""
        head = f"{'ok  ' if self.passed else 'FAIL'} {self.scenario} › {self.name}{where}"
        lines = [head]
        if not self.passed:
            if self.step is not None:
                lines.append(f"     step {self.step}: {self.action}")
            elif self.action:
                lines.append(f"     {self.action}")
            if self.error:
                lines.append(f"       error: {self.error}")
            width = max((len(m.what) for m in self.mismatches), default=0)
            for mm in self.mismatches:
                lines.append(f"       {mm.what.ljust(width)}  expected {mm.expected}")
                lines.append(f"       {' ' * width}  got      {mm.actual}")
        lines.extend(f"     note: {note}" for note in self.notes)
        return "\n".join(lines)


def _finding_names(finding: Finding) -> set[str]:
    return {finding.rule, finding.category}


def _findings_text(findings: Sequence[Finding]) -> str:
    if not findings:
        return "[] (none)"
    return "[" + ", ".join(f"{f.rule} {f.category} ({f.severity})" for f in findings) + "]"


def check_expect(expect: Expect, session: Session, last: Turn) -> list[Mismatch]:
    """Compare a step's expectations with the session after the step.

    ``last`` is the agent `Turn` of the step (its intent, findings).
    """
    out: list[Mismatch] = []
    if expect.node is not None and session.node != expect.node:
        out.append(Mismatch("node", expect.node, session.node))
    if "intent" in expect.model_fields_set and last.intent != expect.intent:
        heard = f" (closest: {last.heard}, score {last.score})" if last.heard else ""
        out.append(
            Mismatch(
                "intent",
                str(expect.intent),
                str(last.intent) + (heard if last.intent is None else ""),
            )
        )
    if expect.moves is not None and tuple(last.moves) != tuple(expect.moves):
        out.append(
            Mismatch(
                "moves",
                "[" + ", ".join(expect.moves) + "]",
                "[" + ", ".join(last.moves) + "]",
            )
        )
    if expect.findings is not None:
        found = list(last.findings)
        missing = [
            name for name in expect.findings if not any(name in _finding_names(f) for f in found)
        ]
        extra = [f for f in found if not (_finding_names(f) & set(expect.findings))]
        if missing or extra:
            out.append(
                Mismatch(
                    "findings",
                    "[" + ", ".join(expect.findings) + "]" if expect.findings else "[] (none)",
                    _findings_text(found),
                )
            )
    for name, spec in expect.meters.items():
        value = session.meters.get(name)
        if value is None or not meter_holds(spec, value):
            out.append(Mismatch(f"meters.{name}", str(spec), str(value)))
    missing_facts = [f for f in expect.facts if f not in session.facts]
    if missing_facts:
        out.append(
            Mismatch(
                "facts",
                "includes " + ", ".join(missing_facts),
                ", ".join(sorted(session.facts)) or "(none)",
            )
        )
    return out


def run_transcript(
    scenario: Scenario,
    content: ContentSet,
    transcript: Transcript,
    grader: Grader | None = None,
    *,
    store: SessionStore,
    file: str = "",
    line: int = 0,
) -> TranscriptResult:
    """Play one transcript and compare every step with its expectations.

    The call is saved in ``store`` (a scratch store: the caller opens and closes
    it), because the score is computed from the saved session, as for a trainee.
    """
    from trainer.engine.session import EngineError, Session

    result = TranscriptResult(scenario.id, transcript.name, file, line)
    try:
        session = Session.new(
            scenario,
            content,
            seed=transcript.seed,
            mode=transcript.mode,
            grader=grader,
            store=store,
            call_time=transcript.call_time,
            from_node=transcript.start_at,
            meters=transcript.set_meters or None,
        )
        session.start()
    except EngineError as exc:
        result.passed, result.error, result.action = False, str(exc), "starting the call"
        return result
    for number, step in enumerate(transcript.steps, start=1):
        result.step, result.steps_run = number, number
        result.action = f"say {step.say!r}" if step.say is not None else f"choose {step.choose!r}"
        try:
            if session.finished:
                raise EngineError(f"the call already ended at '{session.node}'")
            if step.say is not None:
                session.say(step.say)
            else:
                session.choose(_choice_index(session, step.choose))
        except EngineError as exc:
            result.passed, result.error = False, str(exc)
            return result
        agent = [t for t in session.turns if t.speaker == "agent"][-1]
        if step.expect is not None:
            result.mismatches = check_expect(step.expect, session, agent)
            if result.mismatches:
                result.passed = False
                return result
    result.step, result.action = None, ""
    if transcript.ending is not None and session.node != transcript.ending:
        result.passed = False
        result.action = "at the end of the transcript"
        result.mismatches = [
            Mismatch(
                "ending",
                transcript.ending,
                session.node if session.finished else f"(no ending; still at node {session.node})",
            )
        ]
        return result
    _check_score(transcript, session, store, content, result)
    return result


def _choice_index(session: Session, choose: int | str | None) -> int:
    """0-based option index for a golden ``choose`` (1-based number or intent id)."""
    from trainer.engine.session import EngineError

    options = session.options()
    if isinstance(choose, int):
        if not 1 <= choose <= len(options):
            raise EngineError(
                f"choice {choose} is not between 1 and {len(options)} at node '{session.node}'"
            )
        return choose - 1
    for index, option in enumerate(options):
        if option.intent == choose:
            return index
    raise EngineError(
        f"no option with intent '{choose}' at node '{session.node}'"
        f" (options: {', '.join(o.intent for o in options) or 'none'})"
    )


def _check_score(
    transcript: Transcript,
    session: Session,
    store: SessionStore,
    content: ContentSet,
    result: TranscriptResult,
) -> None:
    """Check ``score``/``passed`` against the call's debrief."""
    from trainer.engine.session import EngineError
    from trainer.scoring.scorecard import build_debrief

    if transcript.score is None and transcript.passed is None:
        return
    if session.id is None:
        raise EngineError("a golden transcript is checked on a stored session")
    debrief = build_debrief(store.load(session.id), session.scenario, content)
    score, passed = debrief.score, debrief.passed
    if transcript.score is not None:
        low, high = transcript.score.get("min", 0), transcript.score.get("max", 100)
        if not low <= score <= high:
            result.mismatches.append(Mismatch("score", f"{low}..{high}", str(score)))
    if transcript.passed is not None and passed != transcript.passed:
        result.mismatches.append(Mismatch("passed", str(transcript.passed), str(passed)))
    if result.mismatches:
        result.passed = False
        result.action = "scorecard"


# ---------------------------------------------------------------- load-time checks


def check_goldens(content: ContentSet) -> Iterable[Diagnostic]:
    """T7xx: golden files must name known scenarios, nodes, endings, intents and meters."""
    for loaded in content.of_kind("golden"):
        golden = loaded.obj
        doc = loaded.doc
        if not isinstance(golden, Golden):
            continue
        scenario = content.scenarios.get(golden.scenario)
        if scenario is None:
            yield doc.diag(
                ("scenario",),
                "T701",
                f"unknown scenario '{golden.scenario}'",
                "use the id of a scenario in the content folder",
            )
            continue
        places = set(scenario.nodes) | set(scenario.endings)
        intents = content.intents_for(scenario)
        for t, transcript in enumerate(golden.transcripts):
            base: tuple[str | int, ...] = ("transcripts", t)
            if transcript.ending is not None and transcript.ending not in scenario.endings:
                yield doc.diag(
                    (*base, "ending"),
                    "T702",
                    f"unknown ending '{transcript.ending}'",
                    f"endings: {', '.join(scenario.endings)}",
                )
            if transcript.start_at is not None and transcript.start_at not in scenario.nodes:
                yield doc.diag(
                    (*base, "from"),
                    "T702",
                    f"unknown node '{transcript.start_at}'",
                    f"nodes: {', '.join(scenario.nodes)}",
                )
            for name in transcript.set_meters:
                if name not in scenario.meters:
                    yield doc.diag(
                        (*base, "set", name),
                        "T705",
                        f"unknown meter '{name}'",
                        f"meters: {', '.join(scenario.meters)}",
                        key=True,
                    )
            for s, step in enumerate(transcript.steps):
                where = (*base, "steps", s)
                if isinstance(step.choose, str) and step.choose not in intents:
                    yield doc.diag(
                        (*where, "choose"),
                        "T703",
                        f"unknown intent '{step.choose}'",
                        "choose a 1-based option number or an option's intent id",
                    )
                expect = step.expect
                if expect is None:
                    continue
                if expect.node is not None and expect.node not in places:
                    yield doc.diag(
                        (*where, "expect", "node"),
                        "T702",
                        f"unknown node '{expect.node}'",
                        f"nodes and endings: {', '.join(sorted(places))}",
                    )
                if expect.intent is not None and expect.intent not in intents:
                    yield doc.diag(
                        (*where, "expect", "intent"),
                        "T703",
                        f"unknown intent '{expect.intent}'",
                        "use an intent id of the scenario's locale",
                    )
                for name in expect.meters:
                    if name not in scenario.meters:
                        yield doc.diag(
                            (*where, "expect", "meters", name),
                            "T705",
                            f"unknown meter '{name}'",
                            f"meters: {', '.join(scenario.meters)}",
                            key=True,
                        )


def register() -> None:
    """Add the ``golden`` kind and its check to the loader (see `trainer.services.content`)."""
    register_kind("golden", Golden)
    register_check(check_goldens)
