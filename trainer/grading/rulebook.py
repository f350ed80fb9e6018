"""Compile a rulebook file into a fast matcher and check utterances with it.

Compilation happens once per rulebook: every rule's literal triggers (after
normalisation) go into ONE Aho–Corasick automaton whose values are the ids of
the rules they belong to. Checking an utterance normalises it, runs the
automaton once, and verifies only the candidate rules with their own regex,
guards (negation, quotation, truthful conditionals…) and context. Rules that
look at the call itself rather than at words (night-time calls, a required
statement missing) are few and evaluated directly.

Loading also runs every rule's examples: a rulebook whose examples fail does
not load (diagnostic K605), so rules and their tests never drift apart.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import time
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

import ahocorasick
from pydantic import ValidationError

from trainer.diagnostics import ContentError, Diagnostic
from trainer.gcpause import paused
from trainer.grading import verification
from trainer.grading.content import (
    ExampleSpec,
    GuardSpec,
    RulebookSpec,
    RuleSpec,
    When,
    bad_regex,
    regexes,
)
from trainer.grading.findings import CallContext, Citation, Finding
from trainer.grading.learned import TIE, Classifier, ModelError, load_classifier, logit
from trainer.grading.normalize import OffsetMap, normalize
from trainer.regexsafety import unsafe_regex
from trainer.scenarios.extends import BrokenChain, base_chain
from trainer.vocab import CATEGORIES as CATEGORY_CODES
from trainer.vocab import SEVERITY_RANK
from trainer.yamlio import YamlDoc, load_yaml

DEFAULT_CLAUSE_BREAKS = (
    r"(?<!\d)[,.](?!\d)|[\uff0c\u3002!?;\uff01\uff1f\uff1b\n\u2026]|\s-\s|\u2014\u2014"
)
SENTENCE_BREAKS = re.compile(r"[\u3002!?;\uff01\uff1f\uff1b\n]|(?<!\d)\.(?!\d)")
DEFAULT_NIGHT = {"zh-CN": ("22:00", "08:00"), "en-US": ("21:00", "08:00")}
MIN_FLAG, MIN_PASS = 3, 2


class Regex:
    """A regular expression compiled on first use.

    Compiling every pattern of a rulebook costs more than loading the rest of
    it (Python's ``re`` builds a big table for each ``[\\u4e00-\\u9fff]``), and a
    run often meets only a few rules; so a rule's regexes compile when a
    candidate first needs them. Broken regexes are still reported at load
    time (K604) unless the book was verified before (see `verification`).
    """

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._compiled: re.Pattern[str] | None = None

    def __repr__(self) -> str:
        return f"Regex({self.pattern!r})"

    def __reduce__(self) -> tuple[type[Regex], tuple[str]]:
        # pickled (the content cache) as its pattern alone: a compiled ``re.Pattern``
        # is pickled as its source and compiled again on load, which made reading a
        # cached rulebook compile every regex it had used (0.15 s for zh-CN)
        return Regex, (self.pattern,)

    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern."""
        rx = self._compiled
        if rx is None:
            rx = self._compiled = re.compile(self.pattern)
        return rx

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        """``re.Pattern.search``."""
        return self.compiled().search(text, pos, endpos)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """``re.Pattern.finditer``."""
        return self.compiled().finditer(text)


@dataclass(frozen=True, slots=True)
class Guard:
    """An exception: the match is dropped when ``regex`` is found at ``where``."""

    regex: Regex
    where: str
    window: int


@dataclass(frozen=True)
class Rule:
    """A compiled rule: the data of `RuleSpec` plus compiled patterns and guards."""

    id: str
    category: str
    severity: str
    title: str
    message: str
    suggestion: str
    citations: tuple[Citation, ...]
    triggers: tuple[str, ...]
    pattern: Regex | None
    absent: Regex | None
    guards: tuple[Guard, ...]
    requires: tuple[Guard, ...]
    when: When
    spec: RuleSpec = field(repr=False)
    source: str = ""
    line: int = 0

    @property
    def exceptions(self) -> tuple[Guard, ...]:
        """The rule's own ``unless`` guards (context rules test them on the whole text)."""
        cached: tuple[Guard, ...] | None = self.__dict__.get("_exceptions")
        if cached is None:
            cached = tuple(_guard(g) for g in self.spec.unless)
            object.__setattr__(self, "_exceptions", cached)
        return cached

    @property
    def unconditional(self) -> bool:
        """True when the rule applies in every context (cached: checked per utterance)."""
        cached: bool | None = self.__dict__.get("_unconditional")
        if cached is None:
            cached = self.when == When()
            object.__setattr__(self, "_unconditional", cached)
        return cached

    @property
    def contextual(self) -> bool:
        """True for rules without word triggers: they judge the call, not the words."""
        return not self.triggers

    def applies(self, ctx: CallContext, night: bool) -> bool:
        """Whether the rule's context conditions hold for this utterance."""
        if self.unconditional:
            return True
        return self.when.holds(ctx, night)

    def finding(
        self,
        text: str,
        start: int,
        end: int,
        severity: str | None = None,
        *,
        confident: bool = True,
    ) -> Finding:
        """A finding of this rule for ``text[start:end]``."""
        return Finding(
            self.id,
            self.category,
            (severity or self.severity),  # type: ignore[arg-type]
            start,
            end,
            text[start:end],
            self.message,
            self.suggestion,
            self.citations,
            confident,
        )


#: Characters of one utterance that are graded (the rest is not read; see `Rulebook.check`).
MAX_GRADED = 4000


def graded_length(text: str) -> int:
    """How many characters of ``text`` `Rulebook.check` reads."""
    return min(len(text), MAX_GRADED)


#: The value of an automaton match (its end comes first).
_VALUE = itemgetter(1)

#: How far (characters) a sentence or clause guard looks either side of a match.
REACH = 300


class _Segments:
    """Clause and sentence boundaries of one normalised utterance, computed on demand."""

    __slots__ = ("_clauses", "_contrast", "_rx", "_sentences", "_turns", "_whole", "text")

    def __init__(
        self, text: str, clause_rx: re.Pattern[str], contrast: re.Pattern[str] | None = None
    ) -> None:
        self.text = text
        self._rx = clause_rx
        self._contrast = contrast
        self._whole: dict[int, bool] = {}
        self._clauses: list[int] | None = None
        self._sentences: list[int] | None = None
        self._turns: list[int] | None = None

    def _after_turn(self, lo: int, start: int) -> int:
        """``lo``, moved past the last contrast word ("but", "不过") before ``start``:
        what is said before a turn of the sentence does not guard what follows it."""
        if self._contrast is None:
            return lo
        if self._turns is None:
            self._turns = [m.end() for m in self._contrast.finditer(self.text)]
        i = bisect.bisect_right(self._turns, start)
        return max(lo, self._turns[i - 1]) if i else lo

    @staticmethod
    def _bounds(cuts: list[int], start: int, end: int, size: int) -> tuple[int, int]:
        """The segment around ``[start, end)``; ``cuts`` are positions just after a break.

        Binary search (the cuts are sorted), so a line with many matches costs
        n·log n, not n² (a 32 KB line used to take half a minute).
        """
        i = bisect.bisect_right(cuts, start)
        j = bisect.bisect_left(cuts, end + 1)
        lo = cuts[i - 1] if i else 0
        hi = cuts[j] - 1 if j < len(cuts) else size
        return lo, hi

    def clause(self, start: int, end: int) -> tuple[int, int]:
        if self._clauses is None:
            self._clauses = [m.end() for m in self._rx.finditer(self.text)]
        return self._bounds(self._clauses, start, end, len(self.text))

    def sentence(self, start: int, end: int) -> tuple[int, int]:
        if self._sentences is None:
            self._sentences = [m.end() for m in SENTENCE_BREAKS.finditer(self.text)]
        return self._bounds(self._sentences, start, end, len(self.text))

    def guarded(self, guard: Guard, start: int, end: int) -> bool:
        """True when ``guard`` matches around the span ``[start, end)``.

        A sentence or clause is searched at most `REACH` characters either side of
        the span: a run-on line with thousands of matches then costs linear time,
        not a search of the whole line per match. A whole-text guard is searched
        once per line.
        """
        text = self.text
        where = guard.where
        rx = guard.regex.compiled()
        if where == "text":
            found = self._whole.get(id(guard))
            if found is None:
                found = self._whole[id(guard)] = rx.search(text) is not None
            return found
        if where == "sentence":
            lo, hi = self.sentence(start, end)
            lo = self._after_turn(lo, start)
            return rx.search(text, max(lo, start - REACH), min(hi, end + REACH)) is not None
        lo, hi = self.clause(start, end)
        lo, hi = max(self._after_turn(lo, start), start - REACH), min(hi, end + REACH)
        if where == "clause":
            return rx.search(text, lo, hi) is not None
        if where == "before":
            if guard.window:
                lo = max(lo, start - guard.window)
            return rx.search(text[lo:start]) is not None
        if guard.window:
            hi = min(hi, end + guard.window)
        return rx.search(text[end:hi]) is not None


@dataclass(frozen=True, slots=True)
class _Plan:
    """The rules that can fire in one kind of context, with their own automaton.

    Contexts differ only by who is on the line, verification, first turn and
    night; each combination gets the word rules whose ``when`` holds there, in
    one Aho–Corasick automaton, so a check never looks at a rule that cannot
    apply (a disclosure rule's many money words vanish once the debtor is verified).
    """

    rules: tuple[Rule, ...]
    automaton: Any
    context_rules: tuple[Rule, ...]
    #: model rules that apply here: (rule, class index, threshold as a logit)
    model_rules: tuple[tuple[Rule, int, float], ...] = ()


def _one_per_overlap(found: list[Finding]) -> list[Finding]:
    """One finding per category for one stretch of words: the most serious.

    Two rules of the same category often see the same words ("让你同事都知道" is
    both a threat to tell colleagues and a public-exposure phrase); the trainee
    said one thing, so it is one finding and costs once.
    """
    ranked = sorted(found, key=lambda f: (-SEVERITY_RANK.get(f.severity, 0), f.start, f.rule))
    kept: list[Finding] = []
    for finding in ranked:
        if any(
            k.category == finding.category and k.start < finding.end and finding.start < k.end
            for k in kept
        ):
            continue
        kept.append(finding)
    return kept


class Rulebook:
    """A compiled set of rules for one locale. Immutable once built; safe to share."""

    def __init__(
        self,
        spec: RulebookSpec,
        rules: list[Rule],
        locale: str,
        night: tuple[str, str],
        clause_breaks: str,
        source: str,
        severities: dict[str, str] | None = None,
        classifier: Classifier | None = None,
        always: tuple[Guard, ...] = (),
        contrast: str | None = None,
    ) -> None:
        self.spec = spec
        self._contrast_rx = re.compile(contrast) if contrast else None
        #: guards every word rule and the learned stage honour (advice, condemnation)
        self.always = always
        #: the learned second stage used by model rules (None: patterns only)
        self.classifier = classifier
        self.model_path: Path | None = None
        self.id = spec.id
        self.version = spec.version
        self.title = spec.title
        self.locale = locale
        self.source = source
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.night = night
        self._night = (_clock(night[0]), _clock(night[1]))
        self._clause_rx = re.compile(clause_breaks)
        self._by_id = {rule.id: rule for rule in self.rules}
        self._uses_night = any(rule.when.night is not None for rule in self.rules)
        self._plans: dict[tuple[str, bool, bool, bool], _Plan] = {}
        self._night_at: dict[Any, bool] = {}
        #: identity of the file(s) and grader code this book was built from
        self.verify_key = ""

    def __repr__(self) -> str:
        return f"<Rulebook {self.id} {self.version} {self.locale}: {len(self.rules)} rules>"

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (KeyError when there is none)."""
        return self._by_id[rule_id]

    def is_night(self, ctx: CallContext) -> bool:
        """True when the call's local time is in the night window without consent."""
        clock = ctx.clock()
        if clock is None or ctx.consent_to_late_call:
            return False
        start, end = self._night
        if start <= end:
            return start <= clock < end
        return clock >= start or clock < end

    def _plan(self, ctx: CallContext) -> _Plan:
        """The rules that apply in ``ctx`` (built once per kind of context)."""
        night = False
        if self._uses_night and ctx.time is not None:
            key_time = (ctx.time, ctx.consent_to_late_call)
            cached = self._night_at.get(key_time)
            if cached is None:
                cached = self.is_night(ctx)
                if len(self._night_at) < 4096:
                    self._night_at[key_time] = cached
            night = cached
        key = (ctx.party, ctx.verified, ctx.turn <= 1, night)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._build_plan(ctx, night)
            self._plans[key] = plan
        return plan

    def _build_plan(self, ctx: CallContext, night: bool) -> _Plan:
        words = [rule for rule in self.rules if rule.triggers and rule.applies(ctx, night)]
        table: dict[str, set[int]] = {}
        for i, rule in enumerate(words):
            for trigger in rule.triggers:
                table.setdefault(trigger, set()).add(i)
        automaton: Any = None
        if table:
            automaton = ahocorasick.Automaton()
            for trigger, ids in table.items():
                automaton.add_word(trigger, tuple(sorted(ids)))
            automaton.make_automaton()
        context = tuple(
            r for r in self.rules if not r.triggers and not r.spec.model and r.applies(ctx, night)
        )
        models: list[tuple[Rule, int, float]] = []
        if self.classifier is not None:
            classes = self.classifier.classes
            for r in self.rules:
                if r.spec.model and r.category in classes and r.applies(ctx, night):
                    cut = r.spec.threshold or self.classifier.thresholds[r.category]
                    models.append((r, classes.index(r.category), logit(cut)))
        return _Plan(tuple(words), automaton, context, tuple(models))

    def check(
        self, text: str, ctx: CallContext | None = None, *, merge: bool = True
    ) -> tuple[Finding, ...]:
        """Findings for one utterance said in ``ctx``, sorted by position.

        Only agent turns are graded: a customer's utterance yields no finding. Only
        the first `MAX_GRADED` characters are graded (no one says more in one turn;
        a pasted book must not stall a call or an audit): `graded_length` tells
        callers how much was read, so they can report the rest. With ``merge`` (the
        default) overlapping findings of one category are one finding, the most
        serious; rule tests pass ``merge=False`` to see what each rule finds.
        """
        pending = self._patterns(text, ctx or _DEFAULT_CONTEXT, merge)
        if pending is None:
            return ()
        return self._finish(pending)

    def check_many(
        self, items: Sequence[tuple[str, CallContext]], *, merge: bool = True
    ) -> list[tuple[Finding, ...]]:
        """`check` for a batch of utterances: the same findings, in the same order.

        The pattern stage runs line by line; the learned stage scores the whole
        batch at once (`Classifier.logits_many`: the feature scan and the sums in
        compiled code), which is what makes a bulk audit of distinct lines fast.
        """
        pendings = [self._patterns(text, ctx, merge) for text, ctx in items]
        scored = [p for p in pendings if p is not None and p.plan.model_rules and p.norm]
        if scored and self.classifier is not None:
            logits, canons = self.classifier.logits_many(
                [p.norm for p in scored], [p.ctx for p in scored]
            )
            for p, row, canon in zip(scored, logits, canons, strict=True):
                p.logits = row
                p.canon = canon
        return [() if p is None else self._finish(p) for p in pendings]

    def _patterns(self, text: str, ctx: CallContext, merge: bool) -> _Pending | None:
        """The pattern stage of `check` (None: not an agent turn, nothing to grade)."""
        if ctx.speaker != "agent":
            return None
        if len(text) > MAX_GRADED:
            text = text[:MAX_GRADED]
        plan = self._plan(ctx)
        norm, offsets = normalize(text)
        found: list[Finding] = []
        #: categories whose words were found but dropped by a guard (negated, quoted…)
        vetoed: set[str] = set()
        if plan.automaton is not None and norm:
            # the rule ids of every trigger found, gathered without Python code per match
            candidates = set(chain.from_iterable(map(_VALUE, plan.automaton.iter(norm))))
            if candidates:
                segments = _Segments(norm, self._clause_rx, self._contrast_rx)
                history: str | None = None
                rules = plan.rules
                for index in candidates:
                    rule = rules[index]
                    if rule.absent is not None:
                        if history is None:
                            history = (
                                norm + "\n" + "\n".join(normalize(h).text for h in ctx.history)
                            )
                        if rule.absent.search(history):
                            continue
                    assert rule.pattern is not None
                    pattern = rule.pattern.compiled()
                    guards = rule.guards
                    requires = rule.requires
                    clauses: set[tuple[int, int]] | None = None
                    for match in pattern.finditer(norm):
                        a, b = match.span()
                        if a == b:
                            continue
                        if guards and any(segments.guarded(g, a, b) for g in guards):
                            vetoed.add(rule.category)
                            continue
                        if requires and not all(segments.guarded(g, a, b) for g in requires):
                            continue
                        clause = segments.clause(a, b)
                        if clauses is None:
                            clauses = {clause}
                        elif clause in clauses:
                            continue  # one finding per rule and clause (公安局经侦大队)
                        else:
                            clauses.add(clause)
                        start, end = offsets.span(a, b)
                        found.append(rule.finding(text, start, end))
        for rule in plan.context_rules:
            if any(g.regex.search(norm) for g in rule.exceptions):
                continue  # e.g. the agent says the customer asked for this late call
            if rule.absent is not None:
                joined = "\n".join([norm, *(normalize(h).text for h in ctx.history)])
                if rule.absent.search(joined):
                    continue
            found.append(rule.finding(text, 0, len(text)))
        if merge and len(found) > 1:
            found = _one_per_overlap(found)
        return _Pending(text, norm, offsets, ctx, plan, found, vetoed)

    def _finish(self, p: _Pending) -> tuple[Finding, ...]:
        """The learned stage of `check` (with the batch's scores when it has them)."""
        found = p.found
        if p.plan.model_rules and p.norm:
            self._model_stage(p)
        if len(found) > 1:
            return tuple(sorted(set(found)))
        return tuple(found)

    def _model_stage(self, p: _Pending) -> None:
        """Add model-rule findings for categories the patterns did not flag.

        The span is the clause around the feature that weighs most towards the
        category, so the trainee sees where the model's doubt comes from. A
        category whose words a pattern rule found but a guard dropped (negated,
        quoted, a truthful conditional) is left alone: the patterns' specific
        judgement on those words beats the model's general one.
        """
        assert self.classifier is not None
        text, norm, found, plan = p.text, p.norm, p.found, p.plan
        logits, canon = p.logits, p.canon
        if logits is None or canon is None:
            logits, canon = self.classifier.logits(norm, p.ctx)
        elif any(
            abs(logits[index] - cut) < TIE or abs(logits[index] - cut - REVIEW_MARGIN) < TIE
            for _, index, cut in plan.model_rules
        ):
            # a batch score this close to a threshold: decide on the one-line sum
            logits, canon = self.classifier.logits(norm, p.ctx)
        seen: set[str] | None = None
        segments: _Segments | None = None
        for rule, index, cut in plan.model_rules:
            if logits[index] < cut:
                continue
            if seen is None:
                seen = {f.category for f in found} | p.vetoed
            if rule.category in seen:
                continue
            a, b = self.classifier.evidence(norm, rule.category, canon)
            if segments is None:
                segments = _Segments(norm, self._clause_rx, self._contrast_rx)
            if any(segments.guarded(g, a, b) for g in self.always):
                continue  # advice against it or condemnation of it, as for the patterns
            a, b = segments.clause(a, b)
            start, end = p.offsets.span(a, b)
            while start < end - 1 and text[start].isspace():
                start += 1
            while end > start + 1 and text[end - 1].isspace():
                end -= 1
            # the learned stage alone is never a breach; close to its threshold it only
            # asks for review (the debrief shows it, compliance looks at it)
            near = logits[index] < cut + REVIEW_MARGIN
            found.append(
                rule.finding(text, start, end, "review" if near else None, confident=False)
            )
            seen.add(rule.category)


@dataclass(slots=True)
class _Pending:
    """One utterance between the pattern stage and the learned stage of `Rulebook.check`."""

    text: str
    norm: str
    offsets: OffsetMap
    ctx: CallContext
    plan: _Plan
    found: list[Finding]
    vetoed: set[str]
    #: the learned stage's scores and canonical text, when a batch computed them
    logits: list[float] | None = None
    canon: str | None = None


#: A learned-stage finding within this many logits of its threshold is a "review" finding.
REVIEW_MARGIN = 1.0

_DEFAULT_CONTEXT = CallContext()


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def example_context(example: ExampleSpec) -> CallContext:
    """The call context an example is said in."""
    return CallContext(
        party=example.party,
        verified=example.verified,
        turn=example.turn,
        time=_clock(example.time) if example.time else None,
        consent_to_late_call=example.consent,
        history=example.history,
    )


# ---------------------------------------------------------------- loading

_SHIPPED: dict[str, Rulebook] = {}

_SCHEMA_CODES = {"S201": "K600", "S202": "K600", "S203": "K601", "S204": "K602", "S205": "K603"}


def shipped_dir() -> Path:
    """The folder of the shipped rulebooks."""
    from trainer.paths import content_root

    return content_root() / "rules"


def shipped_names() -> list[str]:
    """Names of the shipped rulebooks (``zh-CN``, ``en-US``)."""
    folder = shipped_dir()
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def load_rulebook(name_or_path: str | Path = "zh-CN", *, check_examples: bool = True) -> Rulebook:
    """A compiled rulebook: a shipped one by name (cached per process) or a file.

    Raises `ContentError` with positioned K6xx diagnostics when the rulebook is
    broken: unknown keys, bad regexes, failing or missing examples, unknown
    ``extends``. ``check_examples=False`` skips running the examples (``trainer
    rules test`` runs them itself to print a confusion matrix).
    """
    if isinstance(name_or_path, str) and _is_name(name_or_path):
        cached = _SHIPPED.get(name_or_path)
        if cached is not None:
            return cached
        path = shipped_dir() / f"{name_or_path}.yaml"
        if not path.is_file():
            names = ", ".join(shipped_names()) or "none"
            raise ContentError(
                [
                    Diagnostic(
                        name_or_path,
                        1,
                        1,
                        "K606",
                        f"no shipped rulebook named '{name_or_path}'",
                        f"use one of: {names}, or a file path",
                    )
                ]
            )
        book = _load_path(path, f"rules/{path.name}", check_examples)
        if check_examples:
            _SHIPPED[name_or_path] = book
        return book
    path = Path(name_or_path)
    return _load_path(path, str(name_or_path), check_examples)


def _is_name(text: str) -> bool:
    return "/" not in text and "\\" not in text and not text.endswith((".yaml", ".yml"))


@paused()
def _load_path(path: Path, display: str, check_examples: bool = True) -> Rulebook:
    if not path.is_file():
        raise ContentError(
            [
                Diagnostic(
                    display,
                    1,
                    1,
                    "K600",
                    "rulebook file not found",
                    "check the path, or name a shipped rulebook",
                )
            ]
        )
    doc = load_yaml(path, display)
    spec = _validate(doc)
    return _compile(doc, spec, path, check_examples)


def _validate(doc: YamlDoc) -> RulebookSpec:
    from trainer.scenarios.loader import schema_diagnostics

    data = doc.data
    if not isinstance(data, dict) or data.get("kind") != "rulebook":
        raise ContentError(
            [
                doc.diag(
                    ("kind",) if isinstance(data, dict) else (),
                    "K600",
                    "not a rulebook file",
                    "start it with 'kind: rulebook'",
                )
            ]
        )
    try:
        return RulebookSpec.model_validate(data)
    except ValidationError as exc:
        diags = schema_diagnostics(doc, exc, RulebookSpec)
        raise ContentError([_recode(d) for d in diags]) from None


def _recode(diag: Diagnostic) -> Diagnostic:
    code = _SCHEMA_CODES.get(diag.code, diag.code)
    return Diagnostic(
        diag.file, diag.line, diag.column, code, diag.message, diag.hint, diag.severity
    )


def compile_doc(doc: YamlDoc, spec: RulebookSpec, check_only: bool = False) -> list[Diagnostic]:
    """Diagnostics of compiling an already-parsed rulebook (for ``trainer validate``)."""
    try:
        _compile(doc, spec, Path(doc.file), trust_cache=False)
    except ContentError as exc:
        return exc.diagnostics
    return []


def _compile(
    doc: YamlDoc,
    spec: RulebookSpec,
    path: Path,
    check_examples: bool = True,
    trust_cache: bool = True,
) -> Rulebook:
    base = _load_base(doc, spec, path, check_examples)
    return _build(doc, spec, path, base, check_examples, trust_cache)


def _build(
    doc: YamlDoc,
    spec: RulebookSpec,
    path: Path,
    base: Rulebook | None,
    check_examples: bool = True,
    trust_cache: bool = True,
) -> Rulebook:
    """Compile one rulebook file onto its already compiled base (None: it extends nothing)."""
    classifier, model_path = _classifier(doc, spec, path, base)
    key = verification.key(path, (base.verify_key if base else "") + _digest(model_path))
    trusted = check_examples and trust_cache and verification.known(key)
    problems: list[Diagnostic] = []
    for where, pattern in regexes(spec) if not trusted else ():
        error = bad_regex(pattern)
        if error:
            problems.append(
                doc.diag(
                    where,
                    "K604",
                    f"bad regular expression: {error}",
                    "fix the regex (Python 're' syntax)",
                )
            )
        elif risk := unsafe_regex(pattern):
            problems.append(
                doc.diag(
                    where,
                    "K612",
                    f"regular expression may take exponential time: {risk}",
                    "give each repeated part one way to match (e.g. (a+)+ → a+), drop"
                    " duplicate alternatives and backreferences",
                )
            )
    if problems:
        raise ContentError(problems)
    locale = spec.locale or (base.locale if base else "zh-CN")
    night = (
        (spec.night.start, spec.night.end)
        if spec.night
        else base.night
        if base
        else DEFAULT_NIGHT[locale]
    )
    clause_breaks = spec.clause_breaks or (
        base._clause_rx.pattern if base else DEFAULT_CLAUSE_BREAKS
    )
    contrast = spec.contrast or (
        base._contrast_rx.pattern if base and base._contrast_rx is not None else None
    )
    guard_specs: dict[str, GuardSpec] = dict(base.spec.guards) if base else {}
    guard_specs.update(spec.guards)
    default_guards = spec.default_guards
    if default_guards is None:
        default_guards = (base.spec.default_guards or ()) if base else ()
    always_guards = spec.always_guards
    if always_guards is None:
        always_guards = (base.spec.always_guards or ()) if base else ()
    guard_table = {name: _guard(g) for name, g in guard_specs.items()}
    for key, names in (("always_guards", always_guards), ("default_guards", default_guards)):
        for i, name in enumerate(names):
            if name not in guard_table:
                problems.append(
                    doc.diag(
                        (key, i),
                        "K607",
                        f"unknown guard '{name}'",
                        f"define it under 'guards:' ({', '.join(guard_table)})",
                    )
                )

    rules: list[Rule] = []
    if base:
        known = {rule.id for rule in base.rules}
        for i, rid in enumerate(spec.disable):
            if rid not in known:
                problems.append(
                    doc.diag(
                        ("disable", i),
                        "K610",
                        f"unknown rule '{rid}' to disable",
                        "name a rule of the extended rulebook",
                    )
                )
        for rid in spec.relevel:
            if rid not in known:
                problems.append(
                    doc.diag(
                        ("relevel", rid),
                        "K610",
                        f"unknown rule '{rid}' to re-level",
                        "name a rule of the extended rulebook",
                        key=True,
                    )
                )
        replaced = {rule.id for rule in spec.rules}
        for rule in base.rules:
            if rule.id in spec.disable or rule.id in replaced:
                continue
            if rule.id in spec.relevel:
                rule = _relevel(rule, spec.relevel[rule.id])
            rules.append(rule)
    elif spec.disable or spec.relevel:
        problems.append(
            doc.diag(
                ("disable",) if spec.disable else ("relevel",),
                "K610",
                "'disable' and 'relevel' need 'extends'",
                "name the rulebook this one extends",
                key=True,
            )
        )

    seen: dict[str, int] = {}
    for i, rspec in enumerate(spec.rules):
        if rspec.id in seen:
            problems.append(
                doc.diag(
                    ("rules", i, "id"),
                    "K607",
                    f"duplicate rule id '{rspec.id}'",
                    "rule ids must be unique",
                )
            )
            continue
        seen[rspec.id] = i
        code = rspec.id.split("-")[1]
        if CATEGORY_CODES[rspec.category] != code:
            problems.append(
                doc.diag(
                    ("rules", i, "id"),
                    "K609",
                    f"rule id '{rspec.id}' does not match category '{rspec.category}'",
                    f"use the code {CATEGORY_CODES[rspec.category]}",
                )
            )
        names = rspec.guards if rspec.guards is not None else default_guards
        guards: list[Guard] = [
            guard_table[name] for name in always_guards if name in guard_table and name not in names
        ]
        for j, name in enumerate(names):
            if name in guard_table:
                guards.append(guard_table[name])
            else:
                problems.append(
                    doc.diag(
                        ("rules", i, "guards", j),
                        "K607",
                        f"unknown guard '{name}'",
                        f"define it under 'guards:' ({', '.join(guard_table)})",
                    )
                )
        guards.extend(_guard(g) for g in rspec.unless)
        rules.append(_rule(rspec, tuple(guards), doc, ("rules", i)))
        if len(rspec.examples.flag) < MIN_FLAG or len(rspec.examples.pass_) < MIN_PASS:
            problems.append(
                doc.diag(
                    ("rules", i, "examples"),
                    "K608",
                    f"rule {rspec.id} needs at least {MIN_FLAG} 'flag' and "
                    f"{MIN_PASS} 'pass' examples "
                    f"(has {len(rspec.examples.flag)} and "
                    f"{len(rspec.examples.pass_)})",
                    "examples are the rule's tests",
                )
            )
        if rspec.model:
            problems.extend(_model_rule_problems(doc, rspec, ("rules", i), classifier))
        elif not rspec.triggers and rspec.when == When() and rspec.absent is None:
            problems.append(
                doc.diag(
                    ("rules", i),
                    "K603",
                    f"rule {rspec.id} has no triggers and no context",
                    "add 'triggers:' or a 'when:' condition",
                )
            )
        if rspec.pattern and not rspec.triggers:
            problems.append(
                doc.diag(
                    ("rules", i, "pattern"),
                    "K603",
                    f"rule {rspec.id} has a pattern but no triggers",
                    "list the literal words the pattern needs under 'triggers:'",
                )
            )
    if problems:
        raise ContentError(problems)

    book = Rulebook(
        spec,
        rules,
        locale,
        night,
        clause_breaks,
        doc.file,
        classifier=classifier,
        always=tuple(guard_table[name] for name in always_guards if name in guard_table),
        contrast=contrast,
    )
    book.verify_key = key
    book.model_path = model_path
    if not check_examples or trusted:
        return book
    failures = [
        diag
        for rule in book.rules
        if rule.id in seen
        for diag in _example_failures(book, rule, doc, ("rules", seen[rule.id]))
    ]
    if failures:
        raise ContentError(failures)
    verification.remember(key)
    return book


def _classifier(
    doc: YamlDoc, spec: RulebookSpec, path: Path, base: Rulebook | None
) -> tuple[Classifier | None, Path | None]:
    """The book's learned classifier: its own ``model:`` file, else the base book's."""
    if spec.model is None:
        if base is None or base.classifier is None:
            return None, None
        return base.classifier, base.model_path
    model_path = path.parent / spec.model
    cached = _CLASSIFIERS.get(model_path.resolve())
    if cached is not None:
        return cached, model_path
    try:
        classifier = load_classifier(model_path, spec.model)
    except ModelError as exc:
        raise ContentError(
            [
                doc.diag(
                    ("model",),
                    "K611",
                    str(exc),
                    "name the JSON file written by 'trainer rules train', next to the rulebook",
                )
            ]
        ) from None
    if len(_CLASSIFIERS) < 8:
        _CLASSIFIERS[model_path.resolve()] = classifier
    return classifier, model_path


def _digest(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return str(path)


def _model_rule_problems(
    doc: YamlDoc, rspec: RuleSpec, where: tuple[str | int, ...], classifier: Classifier | None
) -> list[Diagnostic]:
    """What is wrong with a model rule: words of its own, or no model for its category."""
    out: list[Diagnostic] = []
    if rspec.triggers or rspec.pattern or rspec.absent:
        out.append(
            doc.diag(
                (*where, "model"),
                "K611",
                f"model rule {rspec.id} also has triggers, a pattern or 'absent'",
                "a model rule has no words of its own: move them to a separate rule",
            )
        )
    if classifier is None:
        out.append(
            doc.diag(
                (*where, "model"),
                "K611",
                f"rule {rspec.id} uses the model but the rulebook names no model file",
                "add 'model: <file>.json' at the top of the rulebook",
            )
        )
    elif rspec.category not in classifier.classes:
        out.append(
            doc.diag(
                (*where, "category"),
                "K611",
                f"the model has no classifier for '{rspec.category}'",
                f"it knows: {', '.join(classifier.classes)}; retrain it with this category",
            )
        )
    return out


_CLASSIFIERS: dict[Path, Classifier] = {}


@dataclass(frozen=True)
class _Link:
    """One rulebook of an ``extends`` chain: a parsed file, or a shipped rulebook by name."""

    path: Path
    doc: YamlDoc | None = None
    spec: RulebookSpec | None = None
    shipped: str = ""

    def extends(self) -> str | None:
        """The rulebook this one names as its base (a shipped one resolves its own)."""
        return None if self.shipped or self.spec is None else self.spec.extends or None

    def key(self) -> object:
        """What makes two links the same rulebook: the shipped name, else the real path."""
        return self.shipped or self.path.resolve()


def _find_base(name: str, link: _Link) -> _Link | None:
    """The rulebook ``name`` names from ``link``: shipped, or a file next to it (parsed)."""
    if _is_name(name):
        if name in shipped_names():
            return _Link(shipped_dir() / f"{name}.yaml", shipped=name)
        candidate = link.path.parent / f"{name}.yaml"
    else:
        candidate = link.path.parent / name
    if not candidate.is_file():
        return None
    doc = load_yaml(candidate, str(candidate))
    return _Link(candidate, doc, _validate(doc))


def _load_base(
    doc: YamlDoc, spec: RulebookSpec, path: Path, check_examples: bool = True
) -> Rulebook | None:
    """The compiled rulebook ``spec`` extends (None when it extends nothing).

    The chain is followed by the one ``extends`` resolver, then compiled from
    its ultimate base up; a shipped base comes from the per-process cache.
    """
    if not spec.extends:
        return None
    try:
        chain = base_chain(_Link(path, doc, spec), _Link.extends, _find_base, _Link.key)
    except BrokenChain as broken:
        at = broken.chain[-1].doc
        assert at is not None  # only a file names a base
        if broken.reason == "cycle":
            problem = at.diag(
                ("extends",),
                "K606",
                "rulebooks extend each other in a cycle",
                "remove one 'extends'",
            )
        else:
            names = ", ".join(shipped_names())
            problem = at.diag(
                ("extends",),
                "K606",
                f"unknown rulebook '{broken.name}' in extends",
                f"name a shipped rulebook ({names}) or a file next to this one",
            )
        raise ContentError([problem]) from None
    book: Rulebook | None = None
    for link in reversed(chain[1:]):
        if link.shipped:
            book = load_rulebook(link.shipped, check_examples=check_examples)
        else:
            assert link.doc is not None and link.spec is not None
            book = _build(link.doc, link.spec, link.path, book, check_examples)
    return book


def _guard(spec: GuardSpec) -> Guard:
    return Guard(Regex(spec.regex), spec.where, spec.window)


def _rule(
    spec: RuleSpec, guards: tuple[Guard, ...], doc: YamlDoc, where: tuple[str | int, ...]
) -> Rule:
    triggers = tuple(sorted({normalize(t).text for t in spec.triggers if normalize(t).text}))
    if spec.pattern:
        pattern: Regex | None = Regex(spec.pattern)
    elif triggers:
        pattern = Regex("|".join(re.escape(t) for t in sorted(triggers, key=len, reverse=True)))
    else:
        pattern = None
    citations = tuple(Citation(c.instrument, c.article, c.status, c.url) for c in spec.citations)
    line, _ = doc.where(where)
    return Rule(
        spec.id,
        spec.category,
        spec.severity,
        spec.title,
        spec.message.strip(),
        spec.suggestion.strip(),
        citations,
        triggers,
        pattern,
        Regex(spec.absent) if spec.absent else None,
        guards,
        tuple(_guard(g) for g in spec.requires),
        spec.when,
        spec,
        doc.file,
        line,
    )


def _relevel(rule: Rule, severity: str) -> Rule:
    from dataclasses import replace

    return replace(rule, severity=severity)


def example_results(book: Rulebook, rule: Rule) -> list[tuple[str, int, ExampleSpec, bool]]:
    """Each example of ``rule`` as (kind, index, example, ok).

    A ``flag`` example is ok when the rule fires on it; a ``pass`` example when
    the rule stays silent.
    """
    out: list[tuple[str, int, ExampleSpec, bool]] = []
    for kind, examples in (("flag", rule.spec.examples.flag), ("pass", rule.spec.examples.pass_)):
        for i, example in enumerate(examples):
            hits = any(
                f.rule == rule.id
                for f in book.check(example.text, example_context(example), merge=False)
            )
            out.append((kind, i, example, hits == (kind == "flag")))
    return out


def _example_failures(
    book: Rulebook, rule: Rule, doc: YamlDoc, where: tuple[str | int, ...]
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for kind, i, example, ok in example_results(book, rule):
        if ok:
            continue
        expected = "is not flagged" if kind == "flag" else "is flagged"
        out.append(
            doc.diag(
                (*where, "examples", kind, i),
                "K605",
                f"example of {rule.id} {expected}: {example.text!r}",
                "fix the rule's pattern or guards (or the example)",
            )
        )
    return out


def describe(book: Rulebook) -> dict[str, Any]:
    """The rulebook's identity for reports."""
    return {"id": book.id, "version": book.version, "locale": book.locale, "rules": len(book.rules)}
