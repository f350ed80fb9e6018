"""Opening a review for the front ends: content, ledger and rulebooks put together.

``trainer approvals``, the approval gates of ``trainer validate`` and ``trainer
audit``, and the app's ``--require-approval`` all start here, so they agree on which
ledger governs a path, which lines it covers and how they are graded.

The ledger of a path is the ``approvals.jsonl`` in the nearest folder at or above it
that has one (the shipped content's is ``content/dialogues/approvals.jsonl``); a
content folder without one starts its own on the first sign-off. The whole ledger
folder is loaded (so variants and shared libraries resolve) and the lines are then
narrowed to the paths asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from trainer.approvals.ledger import Entry, read_ledger
from trainer.approvals.lines import TaughtLine, taught_lines
from trainer.approvals.review import LineStatus, gate, review
from trainer.diagnostics import Diagnostic
from trainer.paths import LEDGER_NAME

if TYPE_CHECKING:
    from trainer.grading.books import BookSet

#: How many folders above a path are searched for its ledger.
SEARCH_DEPTH = 8
#: Diagnostic codes after which a file's lines are missing from the load (YAML, schema,
#: a broken ``extends``): its approved lines are then not "removed", and no one signs.
UNLOADED = ("Y", "S", "R308", "R309")


class ReviewError(Exception):
    """The paths cannot be reviewed (no such path, two ledgers); ``str()`` is one line."""


@dataclass
class Review:
    """A content folder's lines, its ledger and every line's standing."""

    root: Path
    ledger: Path
    entries: list[Entry]
    lines: list[TaughtLine]
    statuses: list[LineStatus]
    books: BookSet
    #: errors that kept some content from loading (the lines of those files are missing)
    content_errors: list[Diagnostic]

    def pending(self) -> list[LineStatus]:
        """Lines that need a reviewer: new, changed, rules changed, removed."""
        return [s for s in self.statuses if s.state != "approved"]

    def gate(self) -> list[Diagnostic]:
        """The approval gate: an error for each pending line a trainee can reach."""
        return gate(self.statuses)


def find_root(paths: Sequence[Path], ledger: Path | None = None) -> Path:
    """The folder whose ledger governs ``paths`` (the shipped content when none given)."""
    from trainer.paths import content_root
    from trainer.scenarios.files import context_for

    if ledger is not None:
        return ledger.resolve().parent
    if not paths:
        return content_root().resolve()
    roots: list[Path] = []
    for path in paths:
        if not path.exists():
            raise ReviewError(f"{path}: no such file or folder")
        here = path.resolve()
        start = here if here.is_dir() else here.parent
        found = next(
            (d for d in [start, *start.parents][: SEARCH_DEPTH + 1] if (d / LEDGER_NAME).is_file()),
            None,
        )
        if found is None:
            context = context_for([here])
            found = here if here.is_dir() else (context[0] if context else here.parent)
        if found not in roots:
            roots.append(found)
    if len(roots) > 1:
        raise ReviewError(
            "the paths belong to different ledgers ("
            + ", ".join(str(r / LEDGER_NAME) for r in roots)
            + "): review them one folder at a time"
        )
    return roots[0]


def open_review(
    paths: Sequence[Path] = (),
    *,
    rules: str | None = None,
    ledger: Path | None = None,
    grade: bool = True,
) -> Review:
    """Load the ledger folder's content and ledger, and review the lines under ``paths``.

    ``rules`` grades every line with that rulebook (a name or a file, e.g. an overlay
    being tried) instead of each locale's shipped one. Raises `ReviewError`,
    `trainer.approvals.ledger.LedgerError` (a damaged or tampered ledger) or
    `trainer.diagnostics.ContentError` (a rulebook that does not load).
    """
    from trainer.grading.books import BookSet
    from trainer.paths import content_root
    from trainer.scenarios.files import context_for
    from trainer.services.content import load_content
    from trainer.services.rulebooks import load_rulebook

    root = find_root(paths, ledger)
    ledger_file = ledger if ledger is not None else root / LEDGER_NAME
    entries = read_ledger(ledger_file)
    if root == content_root().resolve():
        content, diagnostics = load_content()
    else:
        content, diagnostics = load_content([root], context=context_for([root]))
    books = (
        BookSet(load_rulebook(rules), loader=load_rulebook)
        if rules
        else BookSet(loader=load_rulebook)
    )
    scopes = [p.resolve() for p in paths]
    lines = taught_lines(content, root, scopes)
    errors = [d for d in diagnostics if d.severity == "error" and d.code.startswith(UNLOADED)]
    broken = {Path(d.file).resolve() for d in errors}

    def in_scope(line_id: str) -> bool:
        file = (root / line_id.split("#", 1)[0]).resolve()
        if file in broken:  # its lines did not load: they are not removed
            return False
        return not scopes or any(file == s or s in file.parents for s in scopes)

    statuses = review(lines, entries, books if grade else None, in_scope)
    return Review(root, ledger_file, entries, lines, statuses, books, errors)


def approval_gate(paths: Sequence[Path]) -> tuple[list[Diagnostic], str | None]:
    """The approval gate's errors for ``paths`` (A901 new, A902 changed, A903 findings
    now differ), or no errors and one line saying why the ledger cannot be used."""
    from trainer.approvals.ledger import LedgerError
    from trainer.diagnostics import ContentError

    try:
        return open_review(paths).gate(), None
    except (ReviewError, LedgerError, ContentError) as exc:
        return [], f"approvals: {exc}"
