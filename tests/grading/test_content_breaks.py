"""Every poor option of the shipped scenarios is caught for what it is meant to break.

Content authors mark a poor guided option with ``breaks: [category, ...]``.
Graded in each context its node is reached in, with the rulebook of its own
locale (placeholders such as ``{amount_owed}`` filled from the briefing, as the
trainee sees them), the grader must find every category listed. Approved lines
must stay clean (see test_locale.test_shipped_content_is_clean_in_both_locales).
"""

from __future__ import annotations

from trainer.audit.scripts import lines_of
from trainer.grading import load_rulebook
from trainer.paths import content_root


def test_poor_options_are_flagged_for_what_they_break() -> None:
    files = sorted(
        p
        for p in content_root().rglob("*.yaml")
        if "scenarios" in p.parts and not p.name.endswith(".golden.yaml")
    )
    lines, errors = lines_of(files, ("poor",))
    assert not errors, [e.format() for e in errors]
    marked = [item for item in lines if item.breaks]
    assert len(marked) >= 50, "expected the shipped scenarios to mark their poor options"
    misses = []
    for item in marked:
        book = load_rulebook(item.locale)
        found = {f.category for ctx in item.contexts for f in book.check(item.text, ctx)}
        missing = set(item.breaks) - found
        if missing:
            misses.append(
                f"{item.file}:{item.line} {item.record} misses {sorted(missing)}: "
                f"{item.text!r} (found {sorted(found)})"
            )
    assert not misses, "\n".join(misses)
