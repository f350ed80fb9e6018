"""The lines a trainee is taught, each with a stable identity and the hash of its text.

Three kinds of line reach a trainee as approved wording: guided options marked
``best`` or ``acceptable`` (shown as choices, and as the hint), wording-library
entries (hints and the compliance book) and the briefing's objectives (the
scenario's ``teaches`` when it has none). Poor options are meant to be wrong and are
not approved.

A line's id is its place, by keys wherever the content has keys, relative to the
ledger's folder: ``<file>#<scenario>/<node>/<intent>/<quality>`` for an option,
``<file>#wording/<key>`` for a wording entry, ``<file>#<scenario>/objectives/<n>``
for an objective (a list without keys: its position). Reordering options, re-wrapping
text or changing quotes therefore keeps every id and hash; two options of one node
with the same intent and quality are told apart by their order (``~2``). A variant
scenario (``extends:``) teaches its base's lines under the base's ids (the place
they are written), and its own overrides under its own file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer.approvals.text import text_hash
from trainer.audit.scripts import (
    APPROVED,
    default_context,
    exact_column,
    reachable_states,
    render_placeholders,
    wording_context,
)
from trainer.grading.findings import CallContext
from trainer.yamlio import Path_, YamlDoc

if TYPE_CHECKING:
    from trainer.scenarios import model as m
    from trainer.scenarios.loader import ContentSet

#: Where a wording-library entry is grouped in the compliance book.
WORDING_STAGE = "wording"


@dataclass(frozen=True)
class TaughtLine:
    """One approved line a trainee is taught: where it is written, its id and its hash."""

    id: str
    #: ids sharing a group may trade places (options of one node, objectives, wording)
    group: str
    kind: str  # option | wording | objective
    file: str  # as diagnostics name it (relative to the working folder when possible)
    line: int
    column: int
    text: str  # as written, placeholders unfilled
    hash: str
    locale: str
    #: scenario stage (first_contact…) or "wording"
    stage: str
    scenario: str | None
    title: str
    node: str | None
    quality: str
    why: str
    #: the text as graded: placeholders filled from the scenario's briefing
    rendered: str
    contexts: tuple[CallContext, ...]
    #: whether a trainee can meet the line (an option of a node reachable from the start)
    reachable: bool = True
    #: scenarios that teach the line (a base's and its variants')
    used_by: tuple[str, ...] = ()
    #: rule categories that the node's poor options are written to break
    guards: tuple[str, ...] = field(default=())


def taught_lines(content: ContentSet, root: Path, within: Iterable[Path] = ()) -> list[TaughtLine]:
    """Every taught line of ``content`` written under ``root``, in file order.

    ``within`` narrows the result to lines written in those files or folders.
    Lines written outside ``root`` (a library loaded only as context) are left out.
    """
    from trainer.scenarios import model as m

    root = root.resolve()
    scopes = [p.resolve() for p in within]
    sources: dict[str, list[str]] = {}
    found: dict[str, TaughtLine] = {}
    for loaded in content.files:
        obj, doc = loaded.obj, loaded.doc
        if isinstance(obj, m.Scenario):
            lines = _scenario_lines(obj, doc, content, sources)
        elif isinstance(obj, m.WordingLibrary):
            lines = _wording_lines(obj, doc, sources)
        else:
            continue
        for rel_file, place, line in lines:
            rel = _relative(rel_file, root)
            if rel is None or (scopes and not _inside(Path(rel_file).resolve(), scopes)):
                continue
            line = replace(line, id=f"{rel}#{place}", group=f"{rel}#{line.group}")
            seen = found.get(line.id)
            if seen is None:
                found[line.id] = line
            else:  # a base's line taught again by a variant: one line, more contexts
                found[line.id] = replace(
                    seen,
                    contexts=tuple(dict.fromkeys((*seen.contexts, *line.contexts))),
                    reachable=seen.reachable or line.reachable,
                    used_by=tuple(dict.fromkeys((*seen.used_by, *line.used_by))),
                )
    return sorted(found.values(), key=lambda t: (t.file, t.line, t.column, t.id))


def _scenario_lines(
    scenario: m.Scenario, doc: YamlDoc, content: ContentSet, sources: dict[str, list[str]]
) -> list[tuple[str, str, TaughtLine]]:
    out: list[tuple[str, str, TaughtLine]] = []
    states = reachable_states(scenario)
    values = scenario.briefing.placeholders()
    for node_id, node in scenario.nodes.items():
        guards = tuple(
            sorted(
                {b for option in node.options if option.quality == "poor" for b in option.breaks}
            )
        )
        counts: dict[tuple[str, str], int] = {}
        for i, option in enumerate(node.options):
            if option.quality not in APPROVED:
                continue
            key = (option.intent, option.quality)
            counts[key] = counts.get(key, 0) + 1
            path: Path_ = ("nodes", node_id, "options", i, "text")
            owner, owner_id = _owner(doc, path, scenario)
            suffix = "" if counts[key] == 1 else f"~{counts[key]}"
            group = f"{owner_id}/{node_id}"
            line, column = _position(owner, path, option.text, sources)
            base = content.scenarios.get(owner_id, scenario)
            out.append(
                (
                    owner.file,
                    f"{group}/{option.intent}/{option.quality}{suffix}",
                    TaughtLine(
                        "",
                        group,
                        "option",
                        owner.file,
                        line,
                        column,
                        option.text,
                        text_hash(option.text),
                        scenario.locale,
                        base.stage,
                        owner_id,
                        base.title,
                        node_id,
                        option.quality,
                        option.why,
                        render_placeholders(option.text, values),
                        states.get(node_id) or (default_context(scenario, node),),
                        reachable=node_id in states,
                        used_by=(scenario.id,),
                        guards=guards,
                    ),
                )
            )
    goals: list[tuple[Path_, str, str]] = [
        (("objectives", i), f"objectives/{i + 1}", goal)
        for i, goal in enumerate(scenario.objectives)
    ]
    if not goals and scenario.teaches:  # the briefing shows what it teaches instead
        goals = [(("teaches",), "teaches", scenario.teaches)]
    for path, place, goal in goals:
        owner, owner_id = _owner(doc, path, scenario)
        line, column = _position(owner, path, goal, sources)
        base = content.scenarios.get(owner_id, scenario)
        out.append(
            (
                owner.file,
                f"{owner_id}/{place}",
                TaughtLine(
                    "",
                    f"{owner_id}/{path[0]}",
                    "objective",
                    owner.file,
                    line,
                    column,
                    goal,
                    text_hash(goal),
                    scenario.locale,
                    base.stage,
                    owner_id,
                    base.title,
                    None,
                    "objective",
                    "",
                    goal,
                    (),  # an instruction to the trainee, never said in a call: not graded
                    used_by=(scenario.id,),
                ),
            )
        )
    return out


def _wording_lines(
    library: m.WordingLibrary, doc: YamlDoc, sources: dict[str, list[str]]
) -> list[tuple[str, str, TaughtLine]]:
    out: list[tuple[str, str, TaughtLine]] = []
    for key, wording in library.wording.items():
        line, column = _position(doc, ("wording", key, "text"), wording.text, sources)
        out.append(
            (
                doc.file,
                f"wording/{key}",
                TaughtLine(
                    "",
                    "wording",
                    "wording",
                    doc.file,
                    line,
                    column,
                    wording.text,
                    text_hash(wording.text),
                    library.locale,
                    WORDING_STAGE,
                    None,
                    key,
                    wording.stage,
                    "best",
                    wording.why,
                    wording.text,
                    (wording_context(wording.stage),),
                ),
            )
        )
    return out


def _owner(doc: YamlDoc, path: Path_, scenario: m.Scenario) -> tuple[YamlDoc, str]:
    """The document that wrote ``path`` (a base's, for what a variant inherits) and its
    scenario id."""
    owner = doc.owner(path) if hasattr(doc, "owner") else doc
    data: Any = owner.data
    owner_id = data.get("id") if isinstance(data, dict) else None
    return owner, owner_id if isinstance(owner_id, str) else scenario.id


def _position(
    doc: YamlDoc, path: Path_, text: str, sources: dict[str, list[str]]
) -> tuple[int, int]:
    """Line and column where ``text`` starts: on the value's line, or on the next one for
    a block scalar (``>-``, ``|``) whose text starts below its indicator."""
    line, column = doc.where(path)
    exact = exact_column(sources, doc.file, line, column, text)
    if exact != column or doc.styles.get(path) not in (">", "|"):
        return line, exact
    source = sources.get(doc.file, [])
    if line < len(source):
        first = text.split()[0][:10] if text.split() else ""
        at = source[line].find(first) if first else -1
        if at >= 0:
            return line + 1, at + 1
    return line, column


def _relative(file: str, root: Path) -> str | None:
    try:
        return Path(file).resolve().relative_to(root).as_posix()
    except ValueError:
        return None


def _inside(path: Path, scopes: list[Path]) -> bool:
    return any(path == scope or scope in path.parents for scope in scopes)
