"""Seeded random playthroughs of a scenario, for instructors: ``trainer explore``.

Each run plays a whole call through the real engine, speaking the intents'
*example phrasings* (so the recogniser is exercised, not bypassed). At each
node the explorer prefers moves whose edge it has not taken yet, so a few
hundred runs usually cover a tree; now and then it says something off-topic
(to walk fallbacks and the turn limit) or a line the rulebook must flag (to
reach endings forced by ``exits:`` such as a complaint). Every tenth run is
rude: it says such lines often, choosing breaches that do not end the call at
once through an ``exits:`` rule of their own category (a disclosure), so the
endings that need a customer's anger to build up are reached by design rather
than by luck.

The report lists node, edge and ending coverage, runs that hit the turn limit
or looped, and example lines that were not recognised as their own intent —
usually a sign that two intents' examples overlap or a node expects an intent
whose examples are too thin.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trainer.engine.session import EngineError, Grader, Session

if TYPE_CHECKING:
    from trainer.scenarios.loader import ContentSet
    from trainer.scenarios.model import Scenario

#: Off-topic lines: nothing should recognise them, so the node's fallback is taken.
NOISE = {
    "zh-CN": ("今天天气不错,我们聊聊足球吧。", "嗯嗯嗯……", "你昨天看比赛了吗?"),
    "en-US": ("Did you watch the game last night?", "Umm...", "Nice weather we are having, huh?"),
}
#: Lines any rulebook should flag, used when the grader exposes no examples of its own.
BREACHES = {
    "zh-CN": ("我是公安局经侦大队的,你再不还钱就抓你。", "你这种老赖就是社会垃圾。"),
    "en-US": (
        "This is Officer Grant with the police department, pay now or be arrested.",
        "You're a deadbeat and a disgrace.",
    ),
}
LOOP_LIMIT = 4  # a run visiting one node more often than this counts as looping
P_NOISE = 0.08
P_BREACH = 0.04
#: Every STUBBORN-th run mostly talks off-topic, to walk fallbacks and reach the turn limit.
STUBBORN = 10
P_NOISE_STUBBORN = 0.6
#: Runs with this remainder (mod STUBBORN) are rude: a breach on this share of turns.
RUDE = 7
P_BREACH_RUDE = 0.5
#: Runs with this remainder (mod STUBBORN) dawdle: they prefer moves back to nodes already
#: visited and say nothing off-topic or rude, to reach a turn limit without a hang-up.
DAWDLE = 4


@dataclass
class Miss:
    """An example phrasing that was not recognised as its own intent."""

    node: str
    intent: str
    text: str
    got: str | None
    score: float


@dataclass
class ExploreReport:
    """Coverage and problems found by `explore`."""

    scenario: str
    runs: int
    seed: int
    nodes: dict[str, int] = field(default_factory=dict)  # node → visits
    endings: dict[str, int] = field(default_factory=dict)  # ending → runs ending there
    edges: dict[str, int] = field(default_factory=dict)  # "a -intent-> b" → times taken
    limit_runs: list[list[str]] = field(default_factory=list)
    looping_runs: list[list[str]] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def unreached_nodes(self) -> list[str]:
        """Nodes never visited."""
        return [n for n, count in self.nodes.items() if count == 0]

    @property
    def unreached_endings(self) -> list[str]:
        """Endings never reached."""
        return [e for e, count in self.endings.items() if count == 0]

    @property
    def untaken_edges(self) -> list[str]:
        """Move and fallback edges never taken."""
        return [e for e, count in self.edges.items() if count == 0]

    @property
    def complete(self) -> bool:
        """True when every node and ending was reached and no run crashed."""
        return not (self.unreached_nodes or self.unreached_endings or self.errors)

    def to_json(self) -> dict[str, Any]:
        """JSON form for ``trainer explore --format json``."""
        return {
            "scenario": self.scenario,
            "runs": self.runs,
            "seed": self.seed,
            "nodes": self.nodes,
            "endings": self.endings,
            "edges": self.edges,
            "unreached_nodes": self.unreached_nodes,
            "unreached_endings": self.unreached_endings,
            "untaken_edges": self.untaken_edges,
            "limit_runs": len(self.limit_runs),
            "looping_runs": len(self.looping_runs),
            "misses": [m.__dict__ for m in self.misses],
            "errors": self.errors,
            "complete": self.complete,
        }

    def format(self) -> str:
        """Readable report."""

        def pct(part: int, whole: int) -> str:
            return f"{part}/{whole} ({100 * part // whole if whole else 100}%)"

        seen_nodes = sum(1 for c in self.nodes.values() if c)
        seen_endings = sum(1 for c in self.endings.values() if c)
        seen_edges = sum(1 for c in self.edges.values() if c)
        out = [
            f"explore {self.scenario}: {self.runs} runs, seed {self.seed}",
            f"  nodes    {pct(seen_nodes, len(self.nodes))}",
            f"  edges    {pct(seen_edges, len(self.edges))}",
            f"  endings  {pct(seen_endings, len(self.endings))}  "
            + ", ".join(f"{e}×{c}" for e, c in self.endings.items()),
        ]
        if self.unreached_nodes:
            out.append("  never reached nodes: " + ", ".join(self.unreached_nodes))
        if self.unreached_endings:
            out.append("  never reached endings: " + ", ".join(self.unreached_endings))
        if self.untaken_edges:
            out.append("  edges never taken: " + "; ".join(self.untaken_edges))
        out.append(
            f"  runs that hit the turn limit: {len(self.limit_runs)}"
            + (f" (e.g. {' → '.join(self.limit_runs[0][-6:])})" if self.limit_runs else "")
        )
        out.append(
            f"  runs that looped (a node > {LOOP_LIMIT} times): {len(self.looping_runs)}"
            + (f" (e.g. {' → '.join(self.looping_runs[0][-6:])})" if self.looping_runs else "")
        )
        if self.misses:
            distinct = Counter((m.node, m.intent, m.text, m.got) for m in self.misses)
            out.append(f"  example lines not recognised as their own intent: {len(distinct)}")
            for (node, intent, text, got), count in sorted(distinct.items(), key=str)[:20]:
                out.append(
                    f"    at {node}: {intent} ← {text!r} (heard {got or 'nothing'}, {count}×)"
                )
        for error in self.errors[:10]:
            out.append(f"  error: {error}")
        out.append("  complete: every node and ending reached" if self.complete else "  INCOMPLETE")
        return "\n".join(out)


def _edge(source: str, label: str, target: str) -> str:
    return f"{source} -{label}-> {target}"


def breach_lines(grader: Grader | None, locale: str) -> list[tuple[str, str]]:
    """(line, category) pairs the grader must flag: its rules' own flag examples said
    to the debtor, else a built-in pair (category unknown: "")."""
    lines: list[tuple[str, str]] = []
    for rule in getattr(grader, "rules", ()) or ():
        if getattr(rule, "severity", "") not in ("critical", "major"):
            continue
        if not getattr(rule, "triggers", ()):
            continue
        examples = getattr(getattr(getattr(rule, "spec", None), "examples", None), "flag", ())
        for example in examples or ():
            text = getattr(example, "text", None)
            if isinstance(text, str) and getattr(example, "party", "debtor") == "debtor":
                lines.append((text, str(getattr(rule, "category", ""))))
    return lines or [(text, "") for text in BREACHES.get(locale, BREACHES["en-US"])]


def _calm_breaches(scenario: Scenario, breaches: list[tuple[str, str]]) -> list[str]:
    """Breach lines whose category no ``exits:`` rule of the scenario ends the call on
    (``when: "breach_third_party_disclosure"``), or every line when none is left."""
    ending = {
        clause.name[len("breach_") :]
        for exit_rule in scenario.exits
        for clause in exit_rule.when.clauses
        if clause.op is None and not clause.negate and clause.name.startswith("breach_")
    }
    calm = [text for text, category in breaches if category not in ending]
    return calm or [text for text, _ in breaches]


def explore(
    scenario: Scenario,
    content: ContentSet,
    *,
    runs: int = 200,
    seed: int = 0,
    grader: Grader | None = None,
    stop_when_complete: bool = False,
) -> ExploreReport:
    """Play ``runs`` seeded random calls and report coverage (see the module docstring).

    A run depends only on the seed, its number and the runs before it, so the
    first N runs of any exploration are the N-run exploration. With
    ``stop_when_complete`` the exploration stops after the first run that
    leaves every node and ending reached (``report.runs`` then says how many
    were played): whether ``runs`` calls reach everything, answered in fewer.
    """
    report = ExploreReport(scenario.id, runs, seed)
    report.nodes = dict.fromkeys(scenario.nodes, 0)
    report.endings = dict.fromkeys(scenario.endings, 0)
    for node_id, node in scenario.nodes.items():
        for move in node.moves:
            report.edges.setdefault(_edge(node_id, move.intent, move.goto), 0)
        if node.fallback is not None and node.fallback.goto:
            report.edges.setdefault(_edge(node_id, "fallback", node.fallback.goto), 0)
    noise = NOISE.get(scenario.locale, NOISE["en-US"])
    pairs = breach_lines(grader, scenario.locale)
    every = [text for text, _ in pairs]
    calm = _calm_breaches(scenario, pairs)
    for run in range(runs):
        rng = random.Random(f"explore:{seed}:{run}")
        try:
            p_noise = P_NOISE_STUBBORN if run % STUBBORN == STUBBORN - 1 else P_NOISE
            dawdle = run % STUBBORN == DAWDLE
            rude = run % STUBBORN == RUDE
            _one_run(
                scenario,
                content,
                grader,
                seed * 1_000_003 + run,
                rng,
                report,
                noise,
                calm if rude else every,
                0.0 if dawdle else p_noise,
                dawdle,
                P_BREACH_RUDE if rude else P_BREACH,
            )
        except EngineError as exc:  # pragma: no cover - reported, not raised
            report.errors.append(f"run {run}: {exc}")
        if stop_when_complete and report.complete:
            report.runs = run + 1
            break
    return report


def _one_run(
    scenario: Scenario,
    content: ContentSet,
    grader: Grader | None,
    seed: int,
    rng: random.Random,
    report: ExploreReport,
    noise: tuple[str, ...],
    breaches: list[str],
    p_noise: float,
    dawdle: bool = False,
    p_breach: float = P_BREACH,
) -> None:
    session = Session.new(scenario, content, seed=seed, grader=grader)
    session.start()
    path = [session.node]
    report.nodes[session.node] += 1
    cap = scenario.limits.max_turns + 5
    while not session.finished and session.agent_turns < cap:
        here = session.node
        node = scenario.nodes[here]
        usable = [
            (i, mv)
            for i, mv in enumerate(node.moves)
            if mv.when is None or mv.when.holds(session.meters, session.facts)
        ]
        roll = rng.random()
        spoken_intent: str | None = None
        if dawdle:
            back = [(i, mv) for i, mv in usable if mv.goto in path]
            usable = back or usable
            roll = 1.0
        if roll < p_breach:
            text = rng.choice(breaches)
        elif roll < p_breach + p_noise or not usable:
            text = rng.choice(noise)
        else:
            fresh = [
                (i, mv)
                for i, mv in usable
                if report.edges.get(_edge(here, mv.intent, mv.goto), 0) == 0
            ]
            _, move = rng.choice(fresh if fresh and rng.random() < 0.7 else usable)
            intent = session.intents.get(move.intent)
            if intent is None:
                report.errors.append(f"node '{here}' expects unknown intent '{move.intent}'")
                return
            spoken_intent = move.intent
            text = rng.choice(intent.examples)
        session.say(text)
        agent = [t for t in session.turns if t.speaker == "agent"][-1]
        if spoken_intent is not None and agent.intent != spoken_intent:
            report.misses.append(
                Miss(here, spoken_intent, text, agent.intent or agent.heard, agent.score or 0.0)
            )
        if session.last_move is not None:
            _, taken = session.last_move
            key = _edge(here, taken.intent, taken.goto)
            report.edges[key] = report.edges.get(key, 0) + 1
        elif node.fallback is not None and node.fallback.goto:
            key = _edge(here, "fallback", node.fallback.goto)
            report.edges[key] = report.edges.get(key, 0) + 1
        path.append(session.node)
        if session.node in report.nodes:
            report.nodes[session.node] += 1
    if session.finished:
        report.endings[session.node] += 1
        if session.node == scenario.limits.on_limit and session.agent_turns >= (
            scenario.limits.max_turns
        ):
            report.limit_runs.append(path)
    else:
        report.limit_runs.append(path)
    if any(count > LOOP_LIMIT for count in Counter(path).values()):
        report.looping_runs.append(path)
