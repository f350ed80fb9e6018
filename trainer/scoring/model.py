"""Scorecards as content: the ``kind: scorecard`` model and its load-time checks (C8xx).

A scorecard is a list of yes/no checks for one locale and one or more call
stages. Each check has a weight and a *detector*: a named function, registered
in `trainer.scoring.detectors`, that looks at the finished call and
says met or missed and which turn proves it. A scenario picks a scorecard by
stage and locale, or names one with ``scorecard: <id>``; a scorecard may
``extends:`` another and ``drop:`` some of its checks, so a scenario-specific
card only states what differs.

This module is cheap to import (pydantic and the detector registry only): the
loader imports it on every ``trainer validate`` to register the kind.

Diagnostics:

* C801 unknown detector (with a "did you mean")
* C802 bad detector parameters (unknown key, missing key, wrong value)
* C803 duplicate check id
* C804 a scenario names an unknown scorecard
* C805 two scorecards claim the same locale and stage (warning)
* C806 unknown or cyclic ``extends``, or ``drop`` of a check that is not inherited
* C807 a regular expression that does not compile
* C808 an intent unknown to the scorecard's locale (warning)
* C809 the checks' weights add up to nothing
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from pydantic import Field

from trainer.diagnostics import Diagnostic
from trainer.scenarios.extends import BrokenChain, base_chain
from trainer.scenarios.loader import ContentSet, Loaded, register_check, register_kind
from trainer.scenarios.model import ITEM_ID, Model, Stage
from trainer.scoring.detectors import compile_detect
from trainer.vocab import Locale, Severity
from trainer.yamlio import YamlDoc

SeverityName = Severity


def _default_penalties() -> dict[SeverityName, int]:
    return {"major": 10, "minor": 3}


class CheckSpec(Model):
    """One yes/no check: what it is, how much it weighs and which detector decides it.

    ``detect`` and ``only_if`` are one-key mappings ``{detector: params}``;
    ``only_if`` makes the check count only when its detector holds (e.g. a
    lawful option offered *when the debtor states hardship*).
    """

    id: str = Field(pattern=ITEM_ID)
    title: str = Field(min_length=1)
    weight: int = Field(default=10, ge=0, le=100)
    why: str = ""
    detect: dict[str, Any] = Field(min_length=1, max_length=1)
    only_if: dict[str, Any] | None = Field(default=None, min_length=1, max_length=1)


class Scorecard(Model):
    """A scorecard file (``kind: scorecard``)."""

    kind: Literal["scorecard"]
    id: str = Field(pattern=ITEM_ID)
    title: str = ""
    locale: Locale
    stages: tuple[Stage, ...] = ()
    pass_mark: int | None = Field(default=None, ge=0, le=100)
    penalties: dict[SeverityName, int] = Field(default_factory=_default_penalties)
    #: Points off for each line that is one of its node's ``poor`` guided options and did
    #: not already cost points through a finding: a poor choice is a mistake even when the
    #: call recovers and every check is met.
    poor_choice: int = Field(default=5, ge=0, le=100)
    hard_fail: tuple[SeverityName, ...] = ("critical",)
    extends: str | None = Field(default=None, pattern=ITEM_ID)
    drop: tuple[str, ...] = ()
    checks: tuple[CheckSpec, ...] = ()


def resolve(card: Scorecard, cards: dict[str, Scorecard]) -> Scorecard:
    """``card`` with the checks it inherits through ``extends`` (own checks replace
    inherited ones with the same id; ``drop`` removes inherited ones).

    Raises LookupError for an unknown or cyclic ``extends``.
    """
    try:
        chain = base_chain(
            card, extends=lambda c: c.extends, find=lambda name, _: cards.get(name), key=_same
        )
    except BrokenChain as broken:
        if broken.reason == "cycle":
            raise LookupError(
                f"scorecard '{card.id}': cyclic extends through '{broken.name}'"
            ) from None
        raise LookupError(
            f"scorecard '{broken.chain[-1].id}' extends unknown '{broken.name}'"
        ) from None
    checks: dict[str, CheckSpec] = {}
    for layer in reversed(chain):
        for name in layer.drop:
            checks.pop(name, None)
        for check in layer.checks:
            checks[check.id] = check
    fields = card.model_fields_set
    base_card = chain[-1]
    return card.model_copy(
        update={
            "checks": tuple(checks.values()),
            "extends": None,
            "drop": (),
            "pass_mark": card.pass_mark
            if card.pass_mark is not None
            else next((c.pass_mark for c in chain if c.pass_mark is not None), None),
            "penalties": card.penalties
            if "penalties" in fields
            else next(
                (c.penalties for c in chain if "penalties" in c.model_fields_set),
                base_card.penalties,
            ),
            "poor_choice": card.poor_choice
            if "poor_choice" in fields
            else next(
                (c.poor_choice for c in chain if "poor_choice" in c.model_fields_set),
                base_card.poor_choice,
            ),
            "hard_fail": card.hard_fail
            if "hard_fail" in fields
            else next(
                (c.hard_fail for c in chain if "hard_fail" in c.model_fields_set),
                base_card.hard_fail,
            ),
            "stages": card.stages or base_card.stages,
        }
    )


def _same(card: Scorecard) -> Scorecard:
    """A card is its own key: a chain that meets an equal card again is a cycle."""
    return card


# ---------------------------------------------------------------- load-time checks


def _loaded_cards(content: ContentSet) -> Iterator[tuple[Scorecard, YamlDoc]]:
    for loaded in content.of_kind("scorecard"):
        if isinstance(loaded.obj, Scorecard):
            yield loaded.obj, loaded.doc


def check_scorecards(content: ContentSet) -> Iterable[Diagnostic]:
    """C8xx: detectors and their parameters, ids, extends, weights, scenario references."""
    cards = list(_loaded_cards(content))
    by_id: dict[str, Scorecard] = {}
    for card, doc in cards:
        if card.id in by_id:
            yield doc.diag(
                ("id",),
                "C803",
                f"duplicate scorecard id '{card.id}'",
                "scorecard ids must be unique; rename one",
            )
        by_id.setdefault(card.id, card)
    pool = {card.id: card for card in _shipped_cached()}
    pool.update(by_id)
    claimed: dict[tuple[str, str], str] = {}
    for card, doc in cards:
        yield from _check_card(card, doc, pool, content)
        if card.extends is None:
            for i, stage in enumerate(card.stages):
                other = claimed.setdefault((card.locale, stage), card.id)
                if other != card.id:
                    yield doc.diag(
                        ("stages", i),
                        "C805",
                        f"scorecards '{other}' and '{card.id}' both claim {card.locale} {stage}",
                        "keep one per locale and stage; scenarios pick others with 'scorecard:'",
                        severity="warning",
                    )
    for scenario_id, scenario in content.scenarios.items():
        ref = scenario.scorecard
        if ref is None or ref in pool:
            continue
        source = content.sources.get(scenario_id)
        if source is None:
            continue
        close = difflib.get_close_matches(ref, list(pool), n=1)
        yield source.diag(
            ("scorecard",),
            "C804",
            f"unknown scorecard '{ref}'",
            f"did you mean '{close[0]}'?" if close else "use the id of a kind: scorecard file",
        )


def _check_card(
    card: Scorecard,
    doc: YamlDoc,
    by_id: dict[str, Scorecard],
    content: ContentSet,
) -> Iterator[Diagnostic]:
    seen: set[str] = set()
    for i, check in enumerate(card.checks):
        if check.id in seen:
            yield doc.diag(
                ("checks", i, "id"),
                "C803",
                f"duplicate check id '{check.id}'",
                "check ids must be unique within a scorecard",
            )
        seen.add(check.id)
        for key in ("detect", "only_if"):
            raw = getattr(check, key)
            if raw is None:
                continue
            _, problems = compile_detect(raw)
            for rel, code, message, hint in problems:
                yield doc.diag(("checks", i, key, *rel), code, message, hint, key=code == "C801")
            yield from _intent_warnings(raw, ("checks", i, key), card, doc, content)
    inherited: set[str] = set()
    if card.extends is not None:
        try:
            resolve(card, by_id)
            inherited = {c.id for c in resolve(by_id[card.extends], by_id).checks}
        except LookupError as exc:
            yield doc.diag(
                ("extends",), "C806", str(exc), "name the id of another scorecard (without cycles)"
            )
            return
    for i, name in enumerate(card.drop):
        if name not in inherited:
            yield doc.diag(
                ("drop", i),
                "C806",
                f"'drop' names '{name}', not an inherited check",
                "drop only checks of the scorecard this one extends",
            )
    if card.extends is None and card.checks and sum(c.weight for c in card.checks) == 0:
        yield doc.diag(
            ("checks",),
            "C809",
            "every check weighs 0: the score means nothing",
            "give the checks weights",
        )


def _intent_warnings(
    raw: Any, path: tuple[str | int, ...], card: Scorecard, doc: YamlDoc, content: ContentSet
) -> Iterator[Diagnostic]:
    """C808: intent ids a detector names must exist in the locale's library (when loaded)."""
    library = content.intents.get(card.locale)
    if not library or not isinstance(raw, dict) or len(raw) != 1:
        return
    ((name, params),) = raw.items()
    if name in ("any_of", "all_of") and isinstance(params, list):
        for j, item in enumerate(params):
            yield from _intent_warnings(item, (*path, name, j), card, doc, content)
        return
    if name != "intent" or not isinstance(params, dict):
        return
    value = params.get("intent")
    names = [value] if isinstance(value, str) else list(value or [])
    for j, intent in enumerate(names):
        if isinstance(intent, str) and intent not in library:
            where = (
                (*path, name, "intent") if isinstance(value, str) else (*path, name, "intent", j)
            )
            close = difflib.get_close_matches(intent, list(library), n=1)
            yield doc.diag(
                where,
                "C808",
                f"intent '{intent}' is not in the {card.locale} intent library",
                f"did you mean '{close[0]}'?" if close else "use a shared intent id",
                severity="warning",
            )


def shipped_cards() -> list[Scorecard]:
    """The scorecards shipped with trainer (``content/dialogues/<locale>/scorecards``)."""
    from trainer.paths import content_root
    from trainer.scenarios.loader import parse_file

    out: list[Scorecard] = []
    try:
        root = content_root()
    except FileNotFoundError:
        return out
    for path in sorted(root.glob("*/scorecards/*.y*ml")):
        loaded, _ = parse_file(path)
        if loaded is not None and isinstance(loaded.obj, Scorecard):
            out.append(loaded.obj)
    return out


def cards_in(content: ContentSet | None) -> list[Scorecard]:
    """The scorecards of a content set, followed by shipped ones it does not override."""
    own = [
        loaded.obj
        for loaded in (content.of_kind("scorecard") if content else [])
        if isinstance(loaded.obj, Scorecard)
    ]
    ids = {card.id for card in own}
    return own + [card for card in _shipped_cached() if card.id not in ids]


_SHIPPED_CARDS: list[Scorecard] | None = None


def _shipped_cached() -> list[Scorecard]:
    global _SHIPPED_CARDS
    if _SHIPPED_CARDS is None:
        _SHIPPED_CARDS = shipped_cards()
    return _SHIPPED_CARDS


def loaded_cards(content: ContentSet) -> list[Loaded]:
    """The loaded scorecard files of a content set (with their YAML positions)."""
    return [loaded for loaded in content.of_kind("scorecard") if isinstance(loaded.obj, Scorecard)]


def register() -> None:
    """Add the ``scorecard`` kind and its check to the loader (see `trainer.services.content`)."""
    register_kind("scorecard", Scorecard)
    register_check(check_scorecards)
