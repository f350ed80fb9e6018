"""Opening content: the one place that wires every content kind into the loader.

The loader (`trainer.scenarios.loader`) knows scenarios and their libraries. The
kinds that upper layers own — rulebooks (grading), scorecards and golden
transcripts (scoring) — are registered here, by the top of the package, so no
lower layer names an upper one. Every front end loads content through
`load_content` below (or calls `wire` first), so a missing kind is an import
error at start, never a silently skipped file.

Loads go through the content cache (`trainer.services.cache`): a load whose files
and code have not changed is read back instead of parsed and checked again.
`content_summary` answers the light commands (``trainer list``, ``trainer
validate``) from the cache's JSON side without importing the loader at all.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer.diagnostics import Diagnostic
from trainer.services import cache

if TYPE_CHECKING:
    from trainer.scenarios.loader import ContentSet

#: The kinds and checks `wire` registers, as names: a load under any other set (a test's
#: scratch kind) bypasses the cache, whose entries assume this set.
_WIRED: list[tuple[str, ...]] = []


@functools.cache
def wire() -> None:
    """Register the rulebook, scorecard and golden kinds and their checks (once)."""
    from trainer.grading import kinds
    from trainer.scenarios import lint  # noqa: F401  (the loader's own checks, on import)
    from trainer.scoring import golden, model

    kinds.register()
    model.register()
    golden.register()
    _WIRED.append(_registry())


def _registry() -> tuple[str, ...]:
    from trainer.scenarios import loader

    kinds = (f"{k}={v.__module__}.{v.__qualname__}" for k, v in sorted(loader.KINDS.items()))
    checks = (f"{c.__module__}.{c.__qualname__}" for c in loader.CHECKS)
    return (*kinds, "|", *checks)


@dataclass(frozen=True)
class Summary:
    """What the light commands show: every diagnostic and one row per loaded scenario."""

    diagnostics: list[Diagnostic]
    #: id, title, stage, persona, locale, difficulty of each scenario (loading order).
    scenarios: list[dict[str, str]]


def load_content(
    paths: Iterable[Path] | None = None,
    *,
    context: Iterable[Path] | None = None,
) -> tuple[ContentSet, list[Diagnostic]]:
    """`trainer.scenarios.loader.load_content` with every kind wired in, through the cache."""
    from trainer.scenarios.loader import load_content as _load

    wire()
    paths = None if paths is None else list(paths)
    context = None if context is None else list(context)
    if not cache.enabled() or _registry() != _WIRED[0]:
        return _load(paths, context=context)  # entries assume the kinds `wire` registers
    key = _key(paths, context)
    hit = _read_pickle(key, paths, context)
    if hit is not None:
        return hit
    return _load_and_store(key, paths, context, keep_objects=True)


def content_summary(
    paths: Iterable[Path] | None = None,
    *,
    context: Iterable[Path] | None = None,
) -> Summary:
    """The diagnostics and scenario rows of a load: from the cache's JSON side when it
    is warm (no loader, no pydantic), else by loading (which fills that side only)."""
    paths = None if paths is None else list(paths)
    context = None if context is None else list(context)
    if not cache.enabled():
        content, diagnostics = load_content(paths, context=context)
        return Summary(diagnostics, _rows(content))
    key = _key(paths, context)
    entry = _read_json(key, paths, context)
    if entry is not None:
        summary = entry["summary"]
        return Summary([Diagnostic(**d) for d in summary["diagnostics"]], summary["scenarios"])
    content, diagnostics = _load_and_store(key, paths, context, keep_objects=False)
    return Summary(diagnostics, _rows(content))


def _load_and_store(
    key: str, paths: list[Path] | None, context: list[Path] | None, *, keep_objects: bool
) -> tuple[ContentSet, list[Diagnostic]]:
    """Load afresh, recording the files read, and store the entry: its JSON side, and
    with ``keep_objects`` its pickle side (the light commands skip the pickling; a
    later full load adds it). Under other kinds or checks than `wire` registers (a
    test's scratch kind) nothing is stored."""
    from trainer.scenarios.loader import load_content as _load

    wire()
    if _registry() != _WIRED[0]:
        return _load(paths, context=context)
    with cache.recording() as reads:
        content, diagnostics = _load(paths, context=context)
    found = _discovered(paths, context)
    meta = {**cache.describe(reads, also=found["files"]), "discovered": found}
    summary = {"diagnostics": [asdict(d) for d in diagnostics], "scenarios": _rows(content)}
    cache.save(key, meta, (content, diagnostics) if keep_objects else None, summary)
    return content, diagnostics


def _key(paths: list[Path] | None, context: list[Path] | None) -> str:
    return cache.load_key("content", [paths, context])


def _discovered(paths: list[Path] | None, context: list[Path] | None) -> dict[str, list[str]]:
    """The files a load of ``paths`` would read, and discovery's own problems: a file
    added to or removed from the folders makes an entry stale."""
    from trainer.paths import content_root
    from trainer.scenarios.files import discover

    roots = list(paths) if paths else [content_root()]
    files, problems = discover(roots)
    extra, _ = discover(list(context or []))
    return {
        "files": [str(p) for p in [*files, *extra]],
        "problems": [d.format() for d in problems],
    }


def _rows(content: ContentSet) -> list[dict[str, str]]:
    return [
        {
            "id": s.id,
            "title": s.title,
            "stage": s.stage,
            "persona": s.persona,
            "locale": s.locale,
            "difficulty": s.difficulty,
        }
        for s in content.scenarios.values()
    ]


def _read_json(
    key: str, paths: list[Path] | None, context: list[Path] | None
) -> dict[str, Any] | None:
    """The JSON side of an entry when it is well formed and still valid, else None."""
    found = cache.entry(key)
    if found is None or found["meta"].get("discovered") != _discovered(paths, context):
        return None
    try:
        summary = found["summary"]
        [Diagnostic(**d) for d in summary["diagnostics"]]
        if not all(isinstance(row, dict) for row in summary["scenarios"]):
            return None
    except (KeyError, TypeError):
        return None
    return found


def _read_pickle(
    key: str, paths: list[Path] | None, context: list[Path] | None
) -> tuple[ContentSet, list[Diagnostic]] | None:
    """The stored content of a valid entry, or None (missing, stale, damaged)."""
    from trainer.scenarios.loader import ContentSet

    found = _read_json(key, paths, context)
    loaded = None if found is None else cache.objects(key, found)
    if not isinstance(loaded, tuple) or len(loaded) != 2:
        return None
    content, diagnostics = loaded
    if not isinstance(content, ContentSet) or not isinstance(diagnostics, list):
        return None
    return content, diagnostics
