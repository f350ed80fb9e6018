"""Whole-content checks of scenarios: references, graph lint and path properties.

The schema says each file is well formed on its own; these checks say the
scenario *works*: every ``goto`` lands somewhere, every intent, persona and
``{placeholder}`` exists, no node is a trap, and — checked over every path of
the tree, not just the happy one — the agent never discloses the debt before
the debtor's identity is verified or to a third party.

Codes (stable, listed in docs/authoring.md):

* R3xx references — R301 unknown node or ending, R302 unknown intent,
  R303 unknown persona, R304 bad placeholder, R305 duplicate id, R306 unknown
  name in a condition, R307 effect on an undeclared meter, R308/R309 broken
  ``extends`` (reported by the loader), R310 guided option without a matching
  move (warning), R311 persona of another locale (warning), R312 an intent
  pattern that may backtrack catastrophically (`trainer.regexsafety`).
* G4xx graph lint — G401 unreachable node (warning), G402 dead end (error),
  G403 ending never reached (warning), G404 unused local intent (warning),
  G405 node without guided options (warning), G406 a move that can never be
  taken (warning): an earlier move at its node has the same intent and a
  condition that holds whenever this one's does, or its own condition can
  never hold.
* P5xx path properties (errors) — P501 debt disclosed before identity is
  verified, P502 debt disclosed while a third party may be on the line,
  P503 first contact without the agent identifying themself; P500 (warning)
  when a tree has too many distinct paths to check exhaustively.

* Y110 (warning, any content file) — a one-line flow list of unquoted text
  under a key whose items are lines (``say: [好的,谢谢提醒,再见。]``): YAML splits
  it at the ASCII commas into several lines, which is almost never meant.

Importing this module registers the four checks with the loader.
"""

from __future__ import annotations

import difflib
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import get_args

from trainer.diagnostics import Diagnostic
from trainer.regexsafety import unsafe_regex
from trainer.scenarios import model as m
from trainer.scenarios.extends import MergedDoc
from trainer.scenarios.loader import ContentSet, register_check
from trainer.vocab import category_names
from trainer.yamlio import Path_, YamlDoc

#: Finding severities (the reactions a scenario may set); see `trainer.vocab`.
SEVERITIES = tuple(m.Reactions.model_fields)
FACTS: frozenset[str] = frozenset(get_args(m.Fact))


def breach_facts() -> frozenset[str]:
    """``breach_<category>`` and ``breach_<severity>``: the facts the engine sets on a finding.

    Read from `trainer.vocab` each time, so a category added there is known here.
    """
    return frozenset(f"breach_{name}" for name in (*category_names(), *SEVERITIES))


DISCLOSING: frozenset[str] = frozenset({"discloses_debt", "states_amount"})

#: Bound of the path search: (node, facts, party) states explored per scenario.
MAX_STATES = 50_000


def _scenarios(content: ContentSet) -> Iterator[tuple[m.Scenario, YamlDoc]]:
    for sid, scenario in content.scenarios.items():
        doc = content.sources.get(sid)
        if doc is not None:
            yield scenario, doc


def _suggest(word: str, choices: Iterable[str], fallback: str = "") -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else fallback


def _warn(
    doc: YamlDoc, path: Path_, code: str, message: str, hint: str = "", *, key: bool = False
) -> Diagnostic:
    return doc.diag(path, code, message, hint, key=key, severity="warning")


# ---------------------------------------------------------------- walking a scenario


def _lines(scenario: m.Scenario) -> Iterator[tuple[Path_, m.Line]]:
    """Every debtor line of a scenario with its path in the YAML."""
    for nid, node in scenario.nodes.items():
        for i, line in enumerate(node.say):
            yield ("nodes", nid, "say", i), line
        for j, move in enumerate(node.moves):
            for i, line in enumerate(move.reply):
                yield ("nodes", nid, "moves", j, "reply", i), line
        if node.fallback is not None:
            for i, line in enumerate(node.fallback.say):
                yield ("nodes", nid, "fallback", "say", i), line
    for eid, ending in scenario.endings.items():
        for i, line in enumerate(ending.say):
            yield ("endings", eid, "say", i), line


def _texts(scenario: m.Scenario) -> Iterator[tuple[Path_, str]]:
    """Every text that may hold ``{placeholders}``: debtor lines and guided options."""
    for path, line in _lines(scenario):
        yield (*path, "text"), line.text
    for nid, node in scenario.nodes.items():
        for k, option in enumerate(node.options):
            yield ("nodes", nid, "options", k, "text"), option.text


def _conditions(scenario: m.Scenario) -> Iterator[tuple[Path_, m.Condition]]:
    """Every ``when:`` of a scenario with its path."""
    for path, line in _lines(scenario):
        if line.when is not None:
            yield (*path, "when"), line.when
    for nid, node in scenario.nodes.items():
        for j, move in enumerate(node.moves):
            if move.when is not None:
                yield ("nodes", nid, "moves", j, "when"), move.when
    for i, exit_ in enumerate(scenario.exits):
        yield ("exits", i, "when"), exit_.when


def _effects(scenario: m.Scenario, doc: YamlDoc) -> Iterator[tuple[Path_, str]]:
    """Every meter named by an effect (moves, fallbacks, written reactions)."""
    for nid, node in scenario.nodes.items():
        for j, move in enumerate(node.moves):
            for meter in move.effects:
                yield ("nodes", nid, "moves", j, "effects", meter), meter
        if node.fallback is not None:
            for meter in node.fallback.effects:
                yield ("nodes", nid, "fallback", "effects", meter), meter
    for severity in SEVERITIES:
        for meter in getattr(scenario.reactions, severity):
            path: Path_ = ("reactions", severity, meter)
            if path in doc.keys:  # defaults the author did not write are not theirs to fix
                yield path, meter


# ---------------------------------------------------------------- references


def check_references(content: ContentSet) -> list[Diagnostic]:
    """R3xx: every name a scenario uses exists, and every placeholder can be filled."""
    out: list[Diagnostic] = []
    persona_locale = _persona_locales(content)
    for scenario, doc in _scenarios(content):
        out += _node_references(scenario, doc)
        out += _intent_references(scenario, doc, content)
        out += _persona_reference(scenario, doc, content, persona_locale)
        out += _placeholder_references(scenario, doc)
        out += _condition_references(scenario, doc)
        for path, meter in _effects(scenario, doc):
            if meter not in scenario.meters:
                out.append(
                    doc.diag(
                        path,
                        "R307",
                        f"effect on undeclared meter '{meter}'",
                        _suggest(
                            meter,
                            scenario.meters,
                            f"declare it under 'meters:' (declared: "
                            f"{', '.join(sorted(scenario.meters))})",
                        ),
                        key=True,
                    )
                )
    return out


def _node_references(scenario: m.Scenario, doc: YamlDoc) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    nodes, endings = scenario.nodes, scenario.endings
    known = [*nodes, *endings]

    def unknown(path: Path_, target: str, what: str) -> Diagnostic:
        return doc.diag(
            path,
            "R301",
            f"{what} '{target}' is not a node or ending of this scenario",
            _suggest(target, known, "add it under 'nodes:' or 'endings:', or fix the name"),
        )

    for nid in nodes:
        if nid in endings:
            out.append(
                doc.diag(
                    ("endings", nid),
                    "R305",
                    f"'{nid}' is both a node and an ending",
                    "ids must be unique across nodes and endings; rename one",
                    key=True,
                )
            )
    if scenario.start not in nodes:
        if scenario.start in endings:
            out.append(
                doc.diag(
                    ("start",),
                    "R301",
                    f"start '{scenario.start}' is an ending",
                    "the call must start at a node",
                )
            )
        else:
            out.append(unknown(("start",), scenario.start, "start"))
    for nid, node in nodes.items():
        for j, move in enumerate(node.moves):
            if move.goto not in nodes and move.goto not in endings:
                out.append(unknown(("nodes", nid, "moves", j, "goto"), move.goto, "goto"))
        if node.fallback is not None and node.fallback.goto is not None:
            target = node.fallback.goto
            if target not in nodes and target not in endings:
                out.append(unknown(("nodes", nid, "fallback", "goto"), target, "goto"))
    ending_refs: list[tuple[Path_, str, str]] = [
        (("exits", i, "ending"), exit_.ending, "exit ending")
        for i, exit_ in enumerate(scenario.exits)
    ]
    ending_refs.append((("limits", "on_limit"), scenario.limits.on_limit, "on_limit"))
    for path, target, what in ending_refs:
        if target in nodes:
            out.append(
                doc.diag(
                    path,
                    "R301",
                    f"{what} '{target}' is a node, not an ending",
                    "name one of: " + ", ".join(endings),
                )
            )
        elif target not in endings:
            out.append(
                doc.diag(
                    path,
                    "R301",
                    f"{what} '{target}' is not an ending of this scenario",
                    _suggest(target, endings, "add it under 'endings:'"),
                )
            )
    return out


def _intent_references(scenario: m.Scenario, doc: YamlDoc, content: ContentSet) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    intents = content.intents_for(scenario)
    if scenario.locale not in content.intents:
        fallback = (
            f"no {scenario.locale} intent library is loaded: validate the content "
            "folder, or define it under 'intents:'"
        )
    else:
        fallback = f"define it in the {scenario.locale} intent library or under 'intents:'"
    for k, name in enumerate(scenario.anywhere):
        if name not in intents:
            out.append(
                doc.diag(
                    ("anywhere", k),
                    "R302",
                    f"unknown intent '{name}' in 'anywhere:'",
                    _suggest(name, intents, fallback),
                )
            )
    for nid, node in scenario.nodes.items():
        move_intents = {move.intent for move in node.moves}
        for j, move in enumerate(node.moves):
            if move.intent not in intents:
                out.append(
                    doc.diag(
                        ("nodes", nid, "moves", j, "intent"),
                        "R302",
                        f"unknown intent '{move.intent}'",
                        _suggest(move.intent, intents, fallback),
                    )
                )
        for k, option in enumerate(node.options):
            path: Path_ = ("nodes", nid, "options", k, "intent")
            if option.intent not in intents:
                out.append(
                    doc.diag(
                        path,
                        "R302",
                        f"unknown intent '{option.intent}'",
                        _suggest(option.intent, intents, fallback),
                    )
                )
            elif option.intent not in move_intents and option.quality != "poor":
                out.append(
                    _warn(
                        doc,
                        path,
                        "R310",
                        f"{option.quality} option's intent '{option.intent}' is not "
                        f"a move at node '{nid}'",
                        "add a move for it, or mark the option 'quality: poor'",
                    )
                )
    return out


def _persona_locales(content: ContentSet) -> dict[str, str]:
    table: dict[str, str] = {}
    for loaded in content.files:
        if isinstance(loaded.obj, m.PersonaLibrary):
            for persona in loaded.obj.personas:
                table.setdefault(persona.id, loaded.obj.locale)
    return table


def _persona_reference(
    scenario: m.Scenario, doc: YamlDoc, content: ContentSet, locales: dict[str, str]
) -> list[Diagnostic]:
    if scenario.persona not in content.personas:
        fallback = (
            "no personas are loaded: validate the content folder"
            if not content.personas
            else "add it to a personas file"
        )
        return [
            doc.diag(
                ("persona",),
                "R303",
                f"unknown persona '{scenario.persona}'",
                _suggest(scenario.persona, content.personas, fallback),
            )
        ]
    locale = locales.get(scenario.persona)
    if locale is not None and locale != scenario.locale:
        return [
            _warn(
                doc,
                ("persona",),
                "R311",
                f"persona '{scenario.persona}' is written for {locale} but the scenario "
                f"is {scenario.locale}",
                "use a persona of the scenario's locale",
            )
        ]
    return []


def _placeholder_references(scenario: m.Scenario, doc: YamlDoc) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    known = scenario.briefing.placeholders()
    for path, text in _texts(scenario):
        try:
            names = m.placeholder_names(text)
        except ValueError as exc:
            out.append(doc.diag(path, "R304", str(exc), "write '{{' and '}}' for literal braces"))
            continue
        for name in names:
            if name not in known:
                out.append(
                    doc.diag(
                        path,
                        "R304",
                        f"unknown placeholder '{{{name}}}'",
                        _suggest(
                            name, known, "use a briefing field or add it under 'briefing: extra:'"
                        ),
                    )
                )
    return out


def _condition_references(scenario: m.Scenario, doc: YamlDoc) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    meters = set(scenario.meters)
    flags = FACTS | breach_facts()
    for path, condition in _conditions(scenario):
        for clause in condition.clauses:
            name = clause.name
            if clause.op is not None:
                if name in meters:
                    continue
                if name in flags:
                    message = f"'{name}' is a fact and cannot be compared"
                    hint = f"write '{name}' or 'not {name}'"
                else:
                    message = f"unknown meter '{name}' in condition"
                    hint = _suggest(name, meters, "declared meters: " + ", ".join(sorted(meters)))
            else:
                if name in flags:
                    continue
                if name in meters:
                    message = f"meter '{name}' needs a comparison"
                    hint = f"e.g. '{name} >= 60'"
                else:
                    message = f"unknown name '{name}' in condition"
                    hint = _suggest(
                        name,
                        [*meters, *flags],
                        "a condition names meters, facts or breach_<category>",
                    )
            out.append(doc.diag(path, "R306", message, hint))
    return out


# ---------------------------------------------------------------- graph lint


def check_graph(content: ContentSet) -> list[Diagnostic]:
    """G4xx: unreachable nodes, dead ends, endings never reached, unused intents."""
    out: list[Diagnostic] = []
    for scenario, doc in _scenarios(content):
        reached_nodes, reached_endings = _reachable(scenario)
        for nid, node in scenario.nodes.items():
            where: Path_ = ("nodes", nid)
            if scenario.start in scenario.nodes and nid not in reached_nodes:
                out.append(
                    _warn(
                        doc,
                        where,
                        "G401",
                        f"node '{nid}' can never be reached",
                        "add a move or fallback that leads here, or remove it",
                        key=True,
                    )
                )
            fallback_goto = node.fallback.goto if node.fallback is not None else None
            if not node.moves and fallback_goto is None:
                out.append(
                    doc.diag(
                        where,
                        "G402",
                        f"node '{nid}' is a dead end: no moves and no fallback goto",
                        "add a move, or a fallback with 'goto:'",
                        key=True,
                    )
                )
            if not node.options:
                out.append(
                    _warn(
                        doc,
                        where,
                        "G405",
                        f"node '{nid}' has no guided options",
                        "add 'options:' (best / acceptable / poor, each with a 'why')",
                        key=True,
                    )
                )
        if scenario.start in scenario.nodes:
            for eid in scenario.endings:
                if eid not in reached_endings:
                    out.append(
                        _warn(
                            doc,
                            ("endings", eid),
                            "G403",
                            f"ending '{eid}' is never reached",
                            "point a move, fallback, exit or on_limit at it, or remove it",
                            key=True,
                        )
                    )
        used = {move.intent for node in scenario.nodes.values() for move in node.moves}
        used |= {opt.intent for node in scenario.nodes.values() for opt in node.options}
        for iid in scenario.intents:
            if iid not in used:
                out.append(
                    _warn(
                        doc,
                        ("intents", iid),
                        "G404",
                        f"local intent '{iid}' is never used",
                        "use it in a move or option, or remove it",
                        key=True,
                    )
                )
    return out


def _reachable(scenario: m.Scenario) -> tuple[set[str], set[str]]:
    """Nodes and endings reachable from start via moves, fallbacks, exits and on_limit."""
    nodes: set[str] = set()
    endings: set[str] = set()
    if scenario.start not in scenario.nodes:
        return nodes, endings
    queue = deque([scenario.start])
    nodes.add(scenario.start)
    while queue:
        node = scenario.nodes[queue.popleft()]
        targets = [move.goto for move in node.moves]
        if node.fallback is not None and node.fallback.goto is not None:
            targets.append(node.fallback.goto)
        for target in targets:
            if target in scenario.nodes and target not in nodes:
                nodes.add(target)
                queue.append(target)
            elif target in scenario.endings:
                endings.add(target)
    endings.update(exit_.ending for exit_ in scenario.exits)
    endings.add(scenario.limits.on_limit)
    return nodes, endings


# ---------------------------------------------------------------- path properties


@dataclass(frozen=True)
class _State:
    """Where a call can be: node, the (relevant) facts established so far, who is on the line."""

    node: str
    facts: frozenset[str]
    party: str


def check_paths(content: ContentSet) -> list[Diagnostic]:
    """P5xx: properties that must hold on every path of the tree."""
    out: list[Diagnostic] = []
    for scenario, doc in _scenarios(content):
        if scenario.start in scenario.nodes:
            out += _PathCheck(scenario, doc).run()
    return out


class _PathCheck:
    """Breadth-first search over (node, facts, party) states of one scenario.

    Facts only grow and are limited to the ones that matter (identity facts and
    facts named in move conditions), so the state space is finite and small.
    Meter conditions are assumed to be satisfiable: a move guarded by
    ``anger >= 60`` is still a possible path. Fact conditions are honoured, so
    ``when: verifies_identity`` on a disclosing move is a valid guard.
    """

    def __init__(self, scenario: m.Scenario, doc: YamlDoc) -> None:
        self.scenario = scenario
        self.doc = doc
        used = {
            clause.name
            for node in scenario.nodes.values()
            for move in node.moves
            if move.when is not None
            for clause in move.when.clauses
            if clause.op is None
        }
        used |= {
            clause.name
            for exit_ in scenario.exits
            for clause in exit_.when.clauses
            if clause.op is None
        }
        self.tracked = ({"verifies_identity", "identifies_self"} | used) & FACTS
        self.parent: dict[_State, _State | None] = {}
        self.out: list[Diagnostic] = []
        self.reported: set[tuple[str, Path_]] = set()

    def run(self) -> list[Diagnostic]:
        scenario = self.scenario
        first = scenario.nodes[scenario.start]
        start = _State(scenario.start, frozenset(), first.party or scenario.party)
        self.parent[start] = None
        queue = deque([start])
        while queue:
            if len(self.parent) > MAX_STATES:
                self.out.append(
                    _warn(
                        self.doc,
                        ("start",),
                        "P500",
                        f"more than {MAX_STATES} distinct call states: path checks were cut short",
                        "split the scenario or use fewer facts in conditions",
                    )
                )
                break
            state = queue.popleft()
            for target, facts, path in self._steps(state):
                if target in scenario.endings:
                    self._ending(state, facts, target, path)
                    continue
                if target not in scenario.nodes:
                    continue  # R301 reports it
                party = scenario.nodes[target].party or state.party
                nxt = _State(target, facts, party)
                if nxt not in self.parent:
                    self.parent[nxt] = state
                    queue.append(nxt)
        return self.out

    def _steps(self, state: _State) -> Iterator[tuple[str, frozenset[str], Path_]]:
        """Each way out of ``state``: (target, facts after, YAML path of the transition)."""
        node = self.scenario.nodes[state.node]
        for j, move in enumerate(node.moves):
            if move.when is not None and not self._may(move.when, state.facts):
                continue
            path: Path_ = ("nodes", state.node, "moves", j)
            self._move(state, move, path)
            yield move.goto, state.facts | (set(move.establishes) & self.tracked), path
        if node.fallback is not None and node.fallback.goto is not None:
            yield node.fallback.goto, state.facts, ("nodes", state.node, "fallback", "goto")
        for i, exit_ in enumerate(self.scenario.exits):
            if self._may(exit_.when, state.facts):
                yield exit_.ending, state.facts, ("exits", i, "ending")
        yield self.scenario.limits.on_limit, state.facts, ("limits", "on_limit")

    def _may(self, condition: m.Condition, facts: frozenset[str]) -> bool:
        """Whether the condition can hold given the tracked facts (meters: assume yes)."""
        for clause in condition.clauses:
            tracked = clause.op is None and clause.name in self.tracked
            if tracked and (clause.name in facts) == clause.negate:
                return False
        return True

    def _move(self, state: _State, move: m.Move, path: Path_) -> None:
        if not DISCLOSING & set(move.establishes):
            return
        where = f"move '{move.intent}' at node '{state.node}'"
        route = self._route(state)
        if "verifies_identity" not in state.facts:
            self._report(
                "P501",
                path,
                f"{where} discloses the debt before identity is verified (path: {route})",
                "put a move with 'establishes: [verifies_identity]' before it on every "
                "path, or guard it with 'when: verifies_identity'",
            )
        if state.party != "debtor":
            self._report(
                "P502",
                path,
                f"{where} discloses the debt while the person on the "
                f"line is {state.party.replace('_', ' ')} (path: {route})",
                "with a third party ask only for a call-back (request_callback); "
                "disclose only after a node with 'party: debtor'",
            )
        if self.scenario.stage == "first_contact" and "identifies_self" not in state.facts:
            self._report(
                "P503",
                path,
                f"{where} discloses the debt before the agent has "
                f"identified themself (path: {route})",
                "a first contact starts with a move that 'establishes: "
                "[identifies_self]' (institution, unit, surname)",
            )

    def _ending(self, state: _State, facts: frozenset[str], ending_id: str, path: Path_) -> None:
        ending = self.scenario.endings[ending_id]
        if (
            self.scenario.stage == "first_contact"
            and ending.good
            and "identifies_self" not in facts
        ):
            self._report(
                "P503",
                path,
                f"good ending '{ending_id}' is reached without the agent "
                f"identifying themself (path: {self._route(state)} → {ending_id})",
                "every first-contact path needs a move that 'establishes: "
                "[identifies_self]' before it ends well",
            )

    def _route(self, state: _State) -> str:
        names: list[str] = []
        current: _State | None = state
        while current is not None:
            names.append(current.node)
            current = self.parent[current]
        names.reverse()
        if len(names) > 8:
            names = [*names[:3], "…", *names[-4:]]
        return " → ".join(names)

    def _report(self, code: str, path: Path_, message: str, hint: str) -> None:
        if (code, path) not in self.reported:
            self.reported.add((code, path))
            self.out.append(self.doc.diag(path, code, message, hint))


# ---------------------------------------------------------------- moves never taken


def check_moves(content: ContentSet) -> list[Diagnostic]:
    """G406: moves the engine can never take.

    The engine takes the *first* move of a node whose intent was recognised and
    whose ``when`` holds. A later move with the same intent is dead when an
    earlier one's condition holds whenever its own does (the earlier one has no
    ``when``, or e.g. ``trust >= 45`` before ``trust >= 60``), or when its own
    condition can never hold (``anger > 80 and anger < 50``, a meter outside its
    bounds, ``x and not x``). Decided exactly on the conditions' clauses, with
    the meters' declared bounds; no guessing about what trainees say.
    """
    out: list[Diagnostic] = []
    for scenario, doc in _scenarios(content):
        bounds = {
            name: (meter.min, meter.max)
            for name, meter in (
                (n, mt if isinstance(mt, m.Meter) else m.Meter.model_validate(mt))
                for n, mt in scenario.meters.items()
            )
        }
        for nid, node in scenario.nodes.items():
            for j, move in enumerate(node.moves):
                path: Path_ = ("nodes", nid, "moves", j)
                clauses = move.when.clauses if move.when is not None else ()
                region = _Region.of(clauses, bounds)
                if region is None:
                    out.append(
                        _warn(
                            doc,
                            path,
                            "G406",
                            f"move '{move.intent}' at node '{nid}' can never be taken: "
                            f"its condition '{move.when.source if move.when else ''}' "
                            "can never hold",
                            "fix the condition (check the comparisons and the "
                            "meter's min/max) or remove the move",
                        )
                    )
                    continue
                for k, earlier in enumerate(node.moves[:j]):
                    if earlier.intent != move.intent:
                        continue
                    if region.implies(earlier.when.clauses if earlier.when else (), bounds):
                        if earlier.when is None:
                            why = "no 'when', so it is always taken first"
                        else:
                            own = f"'{move.when.source}'" if move.when else "no condition"
                            why = (
                                f"'when: {earlier.when.source}', which holds whenever "
                                f"this move's {own} does"
                            )
                        out.append(
                            _warn(
                                doc,
                                path,
                                "G406",
                                f"move '{move.intent}' at node '{nid}' can never be taken: the "
                                f"node's move {k + 1} has the same intent and {why}",
                                "make the earlier move's 'when' stricter, or give the two moves "
                                "conditions that exclude each other (e.g. 'trust >= 60' and "
                                "'trust < 60')",
                            )
                        )
                        break
    return out


@dataclass(frozen=True)
class _Region:
    """The meter values and facts allowed by a conjunction of clauses.

    ``meters`` maps a meter to its allowed integer interval and the values
    excluded by ``!=``; ``facts`` maps a fact to whether it must hold.
    """

    meters: dict[str, tuple[int, int, frozenset[int]]]
    facts: dict[str, bool]

    @staticmethod
    def of(clauses: Iterable[m.Clause], bounds: dict[str, tuple[int, int]]) -> _Region | None:
        """The region of ``clauses`` within the meters' bounds; None when it is empty."""
        meters: dict[str, tuple[int, int, frozenset[int]]] = {}
        facts: dict[str, bool] = {}
        for clause in clauses:
            if clause.op is None:
                want = not clause.negate
                if facts.setdefault(clause.name, want) != want:
                    return None  # "x and not x"
                continue
            assert clause.value is not None
            low, high = bounds.get(clause.name, (-(10**9), 10**9))
            low, high, skip = meters.get(clause.name, (low, high, frozenset()))
            value = clause.value
            if clause.op == ">":
                low = max(low, value + 1)
            elif clause.op == ">=":
                low = max(low, value)
            elif clause.op == "<":
                high = min(high, value - 1)
            elif clause.op == "<=":
                high = min(high, value)
            elif clause.op == "==":
                low, high = max(low, value), min(high, value)
            else:  # "!="
                skip = skip | {value}
            while low <= high and low in skip:
                low += 1
            while low <= high and high in skip:
                high -= 1
            if low > high:
                return None
            meters[clause.name] = (low, high, skip)
        return _Region(meters, facts)

    def implies(self, clauses: Iterable[m.Clause], bounds: dict[str, tuple[int, int]]) -> bool:
        """Whether every point of this region satisfies all of ``clauses``."""
        for clause in clauses:
            if clause.op is None:
                if self.facts.get(clause.name) != (not clause.negate):
                    return False
                continue
            assert clause.value is not None
            low, high = bounds.get(clause.name, (-(10**9), 10**9))
            low, high, skip = self.meters.get(clause.name, (low, high, frozenset()))
            value = clause.value
            holds = {
                ">": low > value,
                ">=": low >= value,
                "<": high < value,
                "<=": high <= value,
                "==": low == high == value,
                "!=": not low <= value <= high or value in skip,
            }[clause.op]
            if not holds:
                return False
        return True


# ---------------------------------------------------------------- YAML flow-list trap

#: Keys whose list items are whole lines of speech, so a comma belongs inside a line.
LINE_KEYS = frozenset({"say", "reply", "examples", "flag", "pass", "history"})
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CLOSERS = ")）」』”’\"'】]"
_SENTENCE_END = tuple("。!?!?….;;~~")


def _ends_sentence(text: str) -> bool:
    return text.rstrip().rstrip(_CLOSERS).endswith(_SENTENCE_END)


def looks_split(items: list[str], *, tight: bool = True) -> bool:
    """Whether the items of a one-line ``[...]`` read as one sentence cut at its commas.

    ``tight`` says some comma between items has no space after it, the way
    prose is typed (``[好的,谢谢]``) rather than a list (``[好的, 谢谢]``).
    Items that each end like a sentence (``[喂?, 哪位?]``) are deliberate. Chinese
    text typed tight is one line; so is text where only the last item ends the
    sentence, if it is Chinese or starts with a capital (``[Okay, thanks, bye.]``).
    Short phrases in a spaced list (``[自报机构和姓氏, 核实身份]``) are left alone.
    """
    if len(items) < 2 or all(_ends_sentence(item) for item in items[:-1]):
        return False
    chinese = any(_CJK.search(item) for item in items)
    if chinese and tight:
        return True
    return (chinese or items[0][:1].isupper()) and _ends_sentence(items[-1])


def check_flow_lists(content: ContentSet) -> list[Diagnostic]:
    """Y110: ``say: [好的,谢谢提醒,再见。]`` is three lines, not one (see `looks_split`)."""
    out: list[Diagnostic] = []
    seen: set[int] = set()
    for loaded in content.files:
        doc = loaded.doc
        if isinstance(doc, MergedDoc):  # a variant merged with its base: check its own file
            doc = doc.layers[0]
        if id(doc) in seen:
            continue
        seen.add(id(doc))
        for path, (end_line, _) in doc.flows.items():
            if not path or path[-1] not in LINE_KEYS:
                continue
            value = _value_at(doc.data, path)
            line, _col = doc.values.get(path, (0, 0))
            if not isinstance(value, list) or line != end_line:
                continue
            if not all(
                isinstance(item, str | int | float)
                and not isinstance(item, bool)
                and doc.is_plain((*path, i))
                for i, item in enumerate(value)
            ):
                continue
            items = [str(item) for item in value]
            if not looks_split(items, tight=_tight(doc, path, value)):
                continue
            joined = ",".join(items)
            shown = " | ".join(f"'{item}'" for item in items)
            out.append(
                _warn(
                    doc,
                    path,
                    "Y110",
                    f"'{path[-1]}: [...]' is read as {len(items)} separate lines: {shown}",
                    f'if it is one line, quote it: {path[-1]}: ["{joined}"]; if '
                    "they are separate lines, write a block list with one '- ' per "
                    "line",
                )
            )
    return out


def _tight(doc: YamlDoc, path: Path_, items: list[object]) -> bool:
    """Whether some comma between the items of a one-line flow list has no space after it.

    A plain scalar's text is its source, so item ``i`` ends at its column plus
    its length; a gap of one column is the bare comma.
    """
    for i in range(1, len(items)):
        (line0, col0), (line1, col1) = (doc.values.get((*path, j), (0, 0)) for j in (i - 1, i))
        previous = items[i - 1]
        if line0 == line1 > 0 and isinstance(previous, str) and col1 - col0 - len(previous) == 1:
            return True
    return False


def _value_at(data: object, path: Path_) -> object:
    """The value at ``path`` in plain YAML data (None when the path is not there)."""
    for part in path:
        inside_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if not (inside_list or (isinstance(data, dict) and part in data)):
            return None
        data = data[part]  # type: ignore[index]
    return data


def check_examples(content: ContentSet) -> list[Diagnostic]:
    """Learned example lines must belong to intents of their locale's library (R302)."""
    out: list[Diagnostic] = []
    for loaded in content.files:
        if not isinstance(loaded.obj, m.ExampleSet):
            continue
        library = content.intents.get(loaded.obj.locale, {})
        for intent_id in loaded.obj.intents:
            if intent_id not in library:
                out.append(
                    loaded.doc.diag(
                        ("intents", intent_id),
                        "R302",
                        f"unknown intent '{intent_id}' in learned examples",
                        _suggest(
                            intent_id,
                            library,
                            f"rebuild with 'trainer intents learn' or add it to the "
                            f"{loaded.obj.locale} intent library",
                        ),
                        key=True,
                    )
                )
    return out


def unsafe_patterns(content: ContentSet, scenario: m.Scenario) -> list[str]:
    """The intent patterns a call of ``scenario`` would run that R312 refuses.

    Front ends refuse to start such a call (its recogniser could freeze on one
    line); ``trainer validate`` shows where each pattern is written.
    """
    return [
        pattern
        for intent in content.intents_for(scenario).values()
        for pattern in intent.patterns
        if unsafe_regex(pattern) is not None
    ]


def check_patterns(content: ContentSet) -> list[Diagnostic]:
    """R312: an intent ``patterns:`` regex that may backtrack catastrophically.

    The recogniser runs every pattern against every line a trainee types, so a
    pattern such as ``(a+)+$`` in a content pack would freeze a call; the same
    static check that guards rulebooks (`trainer.regexsafety`) refuses it here, on
    the file that wrote it (a variant's inherited intents are its base's).
    """
    out: list[Diagnostic] = []
    seen: set[int] = set()
    for loaded in content.files:
        if not isinstance(loaded.obj, (m.IntentLibrary, m.Scenario)):
            continue
        doc = loaded.doc
        if isinstance(doc, MergedDoc):
            doc = doc.layers[0]
        if id(doc) in seen:
            continue
        seen.add(id(doc))
        for intent_id, intent in loaded.obj.intents.items():
            for k, pattern in enumerate(intent.patterns):
                path: Path_ = ("intents", intent_id, "patterns", k)
                if _value_at(doc.data, path) != pattern:
                    continue  # inherited: reported on the file that wrote it
                risk = unsafe_regex(pattern)
                if risk is not None:
                    out.append(
                        doc.diag(
                            path,
                            "R312",
                            f"intent pattern may take exponential time: {risk}",
                            "give each repeated part one way to match (e.g. (a+)+ → a+),"
                            " drop duplicate alternatives and backreferences",
                        )
                    )
    return out


register_check(check_references)
register_check(check_examples)
register_check(check_patterns)
register_check(check_graph)
register_check(check_paths)
register_check(check_moves)
register_check(check_flow_lists)
