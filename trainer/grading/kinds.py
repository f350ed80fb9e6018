"""Rulebooks as a content kind: registered with the loader by `trainer.services.content.wire`.

Kept apart from `trainer.grading.content` (the rulebook file's schema, which the
compiler in `trainer.grading.rulebook` reads) so that the schema never imports
the compiler: ``trainer validate`` compiles every loaded rulebook through
`check_rulebooks`, which is the only place the two meet.
"""

from __future__ import annotations

from trainer.diagnostics import Diagnostic
from trainer.grading.content import RulebookSpec
from trainer.scenarios.loader import ContentSet, register_check, register_kind


def check_rulebooks(content: ContentSet) -> list[Diagnostic]:
    """Compile every loaded rulebook (regexes, extends, examples) during ``trainer validate``."""
    from trainer.grading.rulebook import compile_doc

    out: list[Diagnostic] = []
    for loaded in content.of_kind("rulebook"):
        out.extend(compile_doc(loaded.doc, loaded.obj, check_only=True))  # type: ignore[arg-type]
    return out


def register() -> None:
    """Add the ``rulebook`` kind and its compile check to the loader."""
    register_kind("rulebook", RulebookSpec)
    register_check(check_rulebooks)
