"""Opening content: the one place that wires every content kind into the loader.

The loader (`trainer.scenarios.loader`) knows scenarios and their libraries. The
kinds that upper layers own — rulebooks (grading), scorecards and golden
transcripts (scoring) — are registered here, by the top of the package, so no
lower layer names an upper one. Every front end loads content through
`load_content` below (or calls `wire` first), so a missing kind is an import
error at start, never a silently skipped file.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

from trainer.diagnostics import Diagnostic
from trainer.scenarios.loader import ContentSet
from trainer.scenarios.loader import load_content as _load


@functools.cache
def wire() -> None:
    """Register the rulebook, scorecard and golden kinds and their checks (once)."""
    from trainer.grading import kinds
    from trainer.scoring import golden, model

    kinds.register()
    model.register()
    golden.register()


def load_content(
    paths: Iterable[Path] | None = None,
    *,
    context: Iterable[Path] | None = None,
) -> tuple[ContentSet, list[Diagnostic]]:
    """`trainer.scenarios.loader.load_content` with every kind wired in."""
    wire()
    return _load(paths, context=context)
