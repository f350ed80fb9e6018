"""Agent lines of content files (scenarios, wording libraries) with their call context.

A scenario's guided options marked ``best`` or ``acceptable`` are approved
agent lines, so the grader must find nothing in them; ``poor`` options are meant
to be bad and are not audited. Each option is graded in every context its node
can be reached in: the party on the line (a node's ``party`` overrides the
scenario's from that node on) and whether ``verifies_identity`` was established
on the way. Wording-library texts are graded as said to the debtor, verified
after the opening and verification stages.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from trainer.diagnostics import Diagnostic
from trainer.grading.findings import CallContext, Party

if TYPE_CHECKING:
    from trainer.scenarios import model as m

APPROVED = ("best", "acceptable")
EARLY_STAGES = ("opening", "verification")


@dataclass(frozen=True)
class ScriptLine:
    """One approved agent line to audit, with where it is and the contexts it is said in."""

    record: str
    call_id: str | None
    text: str
    file: str
    line: int
    #: 1-based column of the text in its file; negative when placeholders were
    #: filled (finding offsets then no longer line up with the file's characters).
    column: int
    contexts: tuple[CallContext, ...]
    locale: str = "zh-CN"
    quality: str = "best"
    breaks: tuple[str, ...] = ()
    #: the text as written in the file, before placeholders were filled
    written: str = ""


#: Diagnostic code prefixes that make a content file unreadable for the audit
#: (YAML reading, schema, rulebooks). Reference or graph problems do not stop it.
BLOCKING = ("Y", "S", "K", "X")


def lines_of(
    paths: list[Path], qualities: tuple[str, ...] = APPROVED
) -> tuple[list[ScriptLine], list[Diagnostic]]:
    """Agent lines of content files, and the errors that stopped some files.

    By default only approved lines (guided options of the given ``qualities``
    and wording texts); ``qualities=("poor",)`` gives the options meant to be
    bad, whose ``breaks:`` name the categories the grader must find in them.
    Each line carries its file's ``locale`` so the audit can pick the rulebook.
    Files are loaded together with the content folders around them (so a
    scenario that ``extends`` another, or refers to shared libraries, resolves).
    Kinds other than scenarios and wording libraries yield no lines.
    """
    from trainer.scenarios import model as m
    from trainer.scenarios.loader import context_for, load_content

    content, diags = load_content(paths, context=context_for(paths))
    errors = [d for d in diags if d.severity == "error" and d.code.startswith(BLOCKING)]
    sources: dict[str, list[str]] = {}
    out: list[ScriptLine] = []
    wanted = {_display(p) for p in paths}
    for loaded in content.files:
        obj, doc = loaded.obj, loaded.doc
        if doc.file not in wanted:
            continue
        if isinstance(obj, m.Scenario):
            states = reachable_states(obj)
            values = obj.briefing.placeholders()
            for node_id, node in obj.nodes.items():
                contexts = states.get(node_id) or (default_context(obj, node),)
                for i, option in enumerate(node.options):
                    if option.quality not in qualities:
                        continue
                    where = ("nodes", node_id, "options", i, "text")
                    owner = doc.owner(where) if hasattr(doc, "owner") else doc
                    line, column = owner.where(where)
                    column = exact_column(sources, owner.file, line, column, option.text)
                    # graded as the trainee sees it: {amount_owed} filled from the briefing
                    text = render_placeholders(option.text, values)
                    out.append(
                        ScriptLine(
                            f"{obj.id}/{node_id}/{i + 1}",
                            obj.id,
                            text,
                            owner.file,
                            line,
                            column if text == option.text else -column,
                            contexts,
                            obj.locale,
                            option.quality,
                            tuple(option.breaks),
                            option.text,
                        )
                    )
        elif isinstance(obj, m.WordingLibrary):
            if not set(qualities) & set(APPROVED):
                continue
            for wid, wording in obj.wording.items():
                line, column = doc.where(("wording", wid, "text"))
                column = exact_column(sources, doc.file, line, column, wording.text)
                ctx = wording_context(wording.stage)
                out.append(
                    ScriptLine(
                        f"wording/{obj.locale}/{wid}",
                        None,
                        wording.text,
                        doc.file,
                        line,
                        column,
                        (ctx,),
                        obj.locale,
                    )
                )
    return out, errors


def wording_context(stage: str) -> CallContext:
    """The context a wording-library line is graded in: said to the debtor, verified
    once the call is past its opening and verification stages."""
    verified = stage not in EARLY_STAGES
    return CallContext(party="debtor", verified=verified, turn=2 if verified else 1)


def render_placeholders(text: str, values: dict[str, str]) -> str:
    """``text`` with its ``{placeholders}`` filled (unchanged when the braces are bad)."""
    if "{" not in text:
        return text
    from trainer.scenarios.model import fill

    try:
        return fill(text, values)
    except ValueError:
        return text


def _display(path: Path) -> str:
    """The name the loader gives a file in diagnostics (relative to the cwd when possible)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def exact_column(cache: dict[str, list[str]], file: str, line: int, column: int, text: str) -> int:
    """Column where ``text`` starts on its YAML line (past any quote), else the value's."""
    if file not in cache:
        try:
            cache[file] = Path(file).read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError):
            cache[file] = []
    source = cache[file]
    if 0 < line <= len(source):
        at = source[line - 1].find(text[:20])
        if at >= 0:
            return at + 1
    return column


def default_context(scenario: m.Scenario, node: m.Node) -> CallContext:
    party: Party = node.party or scenario.party
    verified = party == "debtor"
    return CallContext(party=party, verified=verified, turn=2)


def reachable_states(scenario: m.Scenario) -> dict[str, tuple[CallContext, ...]]:
    """Contexts in which each node is reached from the start (party, verified, first turn).

    When the scenario never establishes ``verifies_identity``, verification is
    taken from the stage instead: nodes past opening/verification are treated as
    verified when the debtor is on the line.
    """
    nodes = scenario.nodes
    start = scenario.start
    base_party: Party = scenario.party
    uses_fact = any(
        "verifies_identity" in move.establishes for node in nodes.values() for move in node.moves
    )
    seen: dict[str, set[tuple[Party, bool, bool]]] = {}
    queue: deque[tuple[str, Party, bool, bool]] = deque([(start, base_party, False, True)])
    while queue:
        node_id, party, verified, first = queue.popleft()
        node = nodes.get(node_id)
        if node is None:
            continue
        party = node.party or party
        if not uses_fact:
            verified = node.stage not in EARLY_STAGES
        state = (party, verified, first)
        bucket = seen.setdefault(node_id, set())
        if state in bucket:
            continue
        bucket.add(state)
        targets: list[tuple[str, bool]] = [
            (move.goto, "verifies_identity" in move.establishes) for move in node.moves
        ]
        if node.fallback is not None and node.fallback.goto:
            targets.append((node.fallback.goto, False))
        for goto, verifies in targets:
            queue.append((goto, party, verified or verifies, False))
    out: dict[str, tuple[CallContext, ...]] = {}
    for node_id, states in seen.items():
        out[node_id] = tuple(
            CallContext(
                party=party,
                verified=verified if party == "debtor" else False,
                turn=1 if first else 2,
            )
            for party, verified, first in sorted(states)
        )
    return out
