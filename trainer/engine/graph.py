"""Draw a scenario as a graph: Mermaid (renders on GitHub and in most editors) or DOT.

Nodes show their id and call stage, edges the intent that takes them (with the
move's ``when`` condition), dotted edges the fallbacks, and a pseudo-node
"any node" the ``exits:`` and the turn limit. Endings are rounded and marked
good or bad. Everything shown comes from content, so every label is quoted and
escaped (Mermaid entity codes, DOT backslash escapes); ids are prefixed because
words like ``end`` are reserved in Mermaid.

`check_mermaid` is a small structural checker used by the tests: it does not
render, but catches what breaks rendering in practice (bad header, undeclared
endpoints, unescaped quotes or angle brackets in labels).
"""

from __future__ import annotations

import re

from trainer.scenarios.model import Scenario

ANY = "any_node"


def _mid(name: str, ending: bool = False) -> str:
    return ("e_" if ending else "n_") + name


def mermaid_label(text: str) -> str:
    """Quote a label for Mermaid: entity codes for ``# " < >``, no line breaks."""
    text = " ".join(text.split())
    text = text.replace("#", "#35;").replace('"', "#quot;")
    return '"' + text.replace("<", "#lt;").replace(">", "#gt;") + '"'


def dot_label(text: str) -> str:
    """Quote a string for DOT."""
    return '"' + " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _edges(scenario: Scenario) -> list[tuple[str, str, str, bool]]:
    """(source id, target name, label, dotted) for every move and fallback."""
    out: list[tuple[str, str, str, bool]] = []
    for node_id, node in scenario.nodes.items():
        for move in node.moves:
            label = move.intent + (f" [{move.when.source}]" if move.when else "")
            out.append((node_id, move.goto, label, False))
        if node.fallback is not None and node.fallback.goto:
            out.append((node_id, node.fallback.goto, "(not understood)", True))
    return out


def to_mermaid(scenario: Scenario) -> str:
    """The scenario as a Mermaid ``flowchart``."""
    lines = ["flowchart TD", f"  %% {scenario.id}: {' '.join(scenario.title.split())}"]
    lines.append(f"  start_call(({mermaid_label('start')}))")
    for node_id, node in scenario.nodes.items():
        lines.append(f"  {_mid(node_id)}[{mermaid_label(f'{node_id} · {node.stage}')}]")
    for ending_id, ending in scenario.endings.items():
        mark = "good" if ending.good else "bad"
        label = mermaid_label(f"{ending_id}: {ending.outcome}")
        lines.append(f"  {_mid(ending_id, True)}([{label}]):::{mark}")
    lines.append(f"  {ANY}{{{{{mermaid_label('any node')}}}}}")
    lines.append(f"  start_call --> {_mid(scenario.start)}")
    for source, target, label, dotted in _edges(scenario):
        arrow = "-.->" if dotted else "-->"
        lines.append(
            f"  {_mid(source)} {arrow}|{mermaid_label(label)}| "
            f"{_mid(target, target in scenario.endings)}"
        )
    for ex in scenario.exits:
        lines.append(f"  {ANY} -.->|{mermaid_label(ex.when.source)}| {_mid(ex.ending, True)}")
    limit = scenario.limits
    lines.append(
        f"  {ANY} -.->|{mermaid_label(f'after {limit.max_turns} turns')}| "
        f"{_mid(limit.on_limit, True)}"
    )
    lines.append("  classDef good fill:#e3f4e8,stroke:#2e7d32")
    lines.append("  classDef bad fill:#fbe4e6,stroke:#c62828")
    return "\n".join(lines) + "\n"


def to_dot(scenario: Scenario) -> str:
    """The scenario as a Graphviz ``digraph``."""
    lines = [
        f"digraph {dot_label(scenario.id)} {{",
        "  rankdir=TB;",
        "  node [shape=box, style=rounded];",
        f"  start_call [shape=circle, label={dot_label('start')}];",
    ]
    for node_id, node in scenario.nodes.items():
        lines.append(f"  {_mid(node_id)} [label={dot_label(f'{node_id} · {node.stage}')}];")
    for ending_id, ending in scenario.endings.items():
        colour = "darkgreen" if ending.good else "firebrick"
        lines.append(
            f"  {_mid(ending_id, True)} [shape=doubleoctagon, color={colour},"
            f" label={dot_label(f'{ending_id}: {ending.outcome}')}];"
        )
    lines.append(f"  {ANY} [shape=hexagon, style=dashed, label={dot_label('any node')}];")
    lines.append(f"  start_call -> {_mid(scenario.start)};")
    for source, target, label, dotted in _edges(scenario):
        style = ", style=dashed" if dotted else ""
        lines.append(
            f"  {_mid(source)} -> {_mid(target, target in scenario.endings)}"
            f" [label={dot_label(label)}{style}];"
        )
    for ex in scenario.exits:
        lines.append(
            f"  {ANY} -> {_mid(ex.ending, True)} [label={dot_label(ex.when.source)}, style=dashed];"
        )
    limit = scenario.limits
    lines.append(
        f"  {ANY} -> {_mid(limit.on_limit, True)}"
        f" [label={dot_label(f'after {limit.max_turns} turns')}, style=dashed];"
    )
    lines.append("}")
    return "\n".join(lines) + "\n"


_LABEL = r'"[^"<>\n]*"'
_ID = r"[A-Za-z][A-Za-z0-9_]*"
_NODE = re.compile(
    rf"^({_ID})(?:\[{_LABEL}\]|\(\[{_LABEL}\]\)|\(\({_LABEL}\)\)|\{{\{{{_LABEL}\}}\}})"
    rf"(?::::{_ID})?$"
)
_EDGE = re.compile(rf"^({_ID})\s+(?:-->|-\.->)(?:\|{_LABEL}\|)?\s+({_ID})$")
_OTHER = re.compile(rf"^(?:%%.*|classDef\s+{_ID}\s+\S.*|class\s+{_ID}(?:,{_ID})*\s+{_ID})$")


def check_mermaid(text: str) -> list[str]:
    """Structural problems of a Mermaid flowchart (empty list when it looks renderable)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or not re.match(r"^(flowchart|graph)\s+(TD|TB|BT|LR|RL)$", lines[0]):
        return ["first line must be 'flowchart TD' (or LR/TB/BT/RL)"]
    declared: set[str] = set()
    problems: list[str] = []
    edges: list[tuple[int, str, str]] = []
    for number, line in enumerate(lines[1:], start=2):
        if _OTHER.match(line):
            continue
        node = _NODE.match(line)
        if node:
            if node.group(1) in {"end", "subgraph", "graph", "flowchart"}:
                problems.append(f"line {number}: '{node.group(1)}' is a reserved word")
            declared.add(node.group(1))
            continue
        edge = _EDGE.match(line)
        if edge:
            edges.append((number, edge.group(1), edge.group(2)))
            continue
        problems.append(f"line {number}: cannot read {line!r}")
    for number, source, target in edges:
        for name in (source, target):
            if name not in declared:
                problems.append(f"line {number}: edge uses undeclared node '{name}'")
    return problems
