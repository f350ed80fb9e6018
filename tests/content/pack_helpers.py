"""The shipped content pack, its rulebooks and the grader's view of each line, loaded once.

The content-pack tests are parametrised per scenario, so the scenario ids are
needed when pytest collects the tests: everything here is cached at module
level and shared by every test module under ``tests/content``.

Contexts are the ones ``trainer audit`` uses for scenario files
(`trainer.audit.scripts`): the party on the line at a node and whether
``verifies_identity`` can have been established on some path to it. On top of
that, lines are graded at the briefing's call time and with the briefing's
placeholders filled in, exactly as the engine shows and grades them in a call.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from shipped import shipped_content

from trainer.audit.scripts import default_context, reachable_states
from trainer.diagnostics import Diagnostic
from trainer.engine.replies import render
from trainer.engine.session import parse_time
from trainer.grading.findings import CallContext, Finding
from trainer.grading.rulebook import Rulebook, load_rulebook
from trainer.scenarios import model as m
from trainer.scenarios.loader import ContentSet, Loaded
from trainer.scoring.golden import Golden

REPO = Path(__file__).resolve().parents[2]
ARCHITECTURE = REPO / "docs" / "architecture.md"
LOCALES = ("zh-CN", "en-US")


@dataclass(frozen=True)
class Pack:
    """The shipped content as ``trainer validate`` sees it."""

    content: ContentSet
    diagnostics: tuple[Diagnostic, ...]


@functools.cache
def pack() -> Pack:
    """The shipped content, loaded once (the same call ``trainer validate`` makes)."""
    content, diagnostics = shipped_content()
    return Pack(content, diagnostics)


def scenarios(locale: str | None = None) -> list[m.Scenario]:
    """The loaded scenarios, sorted by locale, stage and id (optionally one locale)."""
    found = [s for s in pack().content.scenarios.values() if locale in (None, s.locale)]
    return sorted(found, key=lambda s: (s.locale, s.stage, s.id))


def scenario_ids() -> list[str]:
    """Ids of every loaded scenario, for ``pytest.mark.parametrize``."""
    return [s.id for s in scenarios()]


def scenario(scenario_id: str) -> m.Scenario:
    """One loaded scenario by id."""
    return pack().content.scenarios[scenario_id]


@functools.cache
def rulebook(locale: str) -> Rulebook:
    """The shipped rulebook of a locale, compiled once."""
    return load_rulebook(locale)


def persona_locales() -> dict[str, str]:
    """Persona id → the locale of the library file that defines it."""
    out: dict[str, str] = {}
    for loaded in pack().content.files:
        if isinstance(loaded.obj, m.PersonaLibrary):
            for persona in loaded.obj.personas:
                out.setdefault(persona.id, loaded.obj.locale)
    return out


def goldens(scenario_id: str) -> list[tuple[Loaded, Golden]]:
    """The golden files of a scenario (usually one, ``<stem>.golden.yaml``)."""
    out = []
    for loaded in pack().content.of_kind("golden"):
        if isinstance(loaded.obj, Golden) and loaded.obj.scenario == scenario_id:
            out.append((loaded, loaded.obj))
    return out


@functools.cache
def shared_intent_ids() -> tuple[str, ...]:
    """The shared intent ids listed in docs/architecture.md (the contract, not a copy)."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## Shared intent ids", 1)[1].split("\n## ", 1)[0]
    return tuple(re.findall(r"^\|\s*`([a-z_]+)`\s*\|", section, flags=re.MULTILINE))


# ---------------------------------------------------------------- grading context


def node_contexts(sc: m.Scenario) -> dict[str, tuple[CallContext, ...]]:
    """Every context each node can be reached in, at the briefing's call time.

    Reuses the reachability walk of ``trainer audit`` so the tests and the audit
    agree on who is on the line and whether identity can have been verified.
    """
    states = reachable_states(sc)
    clock = parse_time(sc.briefing.call_time)
    out: dict[str, tuple[CallContext, ...]] = {}
    for node_id, node in sc.nodes.items():
        contexts = states.get(node_id) or (default_context(sc, node),)
        out[node_id] = tuple(replace(ctx, time=clock) for ctx in contexts)
    return out


def filled(sc: m.Scenario, text: str) -> str:
    """A line with the briefing's placeholders filled, as the trainee sees it in a call."""
    return render(text, sc.briefing.placeholders())


def versions(sc: m.Scenario, text: str) -> tuple[str, ...]:
    """The line as written (what ``trainer audit`` grades) and as said in a call."""
    said = filled(sc, text)
    return (text,) if said == text else (text, said)


def where(sc: m.Scenario, *path: str | int) -> str:
    """``file:line`` of a value of a scenario (the variant's or its base's file)."""
    doc = pack().content.sources.get(sc.id)
    if doc is None:
        return sc.id
    owner = doc.owner(path) if hasattr(doc, "owner") else doc
    line, _ = owner.where(path)
    return f"{owner.file}:{line}"


def describe(ctx: CallContext) -> str:
    """Short text of a context for failure messages."""
    verified = "verified" if ctx.verified else "unverified"
    clock = ctx.clock()
    at = f" at {clock:%H:%M}" if clock is not None else ""
    return f"{ctx.party}/{verified}/turn {ctx.turn}{at}"


def names(finding: Finding) -> set[str]:
    """What a ``breaks:`` entry or a golden expectation may call a finding: rule id or category."""
    return {finding.rule, finding.category}


def show(findings: tuple[Finding, ...] | list[Finding]) -> str:
    """Findings as ``RULE category (severity) 'match'`` for failure messages."""
    return ", ".join(f"{f.rule} {f.category} ({f.severity}) {f.match!r}" for f in findings)


@dataclass(frozen=True)
class GuidedOption:
    """A guided option of a scenario with where it is and the contexts its node is reached in."""

    scenario: m.Scenario
    node: str
    number: int  # 1-based, as authored
    option: m.Option
    contexts: tuple[CallContext, ...]

    @property
    def place(self) -> str:
        """``scenario/node/#n (file:line)`` for failure messages."""
        at = where(self.scenario, "nodes", self.node, "options", self.number - 1, "text")
        return f"{self.scenario.id}/{self.node}/#{self.number} ({at})"


def guided_options(sc: m.Scenario) -> Iterator[GuidedOption]:
    """Every guided option of a scenario, in authored order, with its node's contexts."""
    contexts = node_contexts(sc)
    for node_id, node in sc.nodes.items():
        for index, option in enumerate(node.options):
            yield GuidedOption(sc, node_id, index + 1, option, contexts[node_id])
