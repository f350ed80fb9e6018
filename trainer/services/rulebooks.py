"""Compiled rulebooks for the front ends, through the content cache.

Compiling a shipped rulebook (parse ~100 KB of YAML, validate it, read its learned
model, build the automata and regexes) takes most of a second; a compiled book read
back from the cache (`trainer.services.cache`) takes a few hundredths. The result
depends only on the files the compile read (the book, its ``extends`` chain, its
model file), all recorded with the entry, and on trainer's code, which is in the key.

Each call reads the entry afresh (callers keep the books they use); only books whose
examples were checked are cached (a book whose examples fail never
loads); ``check_examples=False`` loads go straight to the grader.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer.services import cache

if TYPE_CHECKING:
    from trainer.grading.rulebook import Rulebook


def load_rulebook(name_or_path: str | Path = "zh-CN", *, check_examples: bool = True) -> Rulebook:
    """`trainer.grading.rulebook.load_rulebook`, read from the cache when nothing changed.

    Raises what the grader raises (`ContentError` with K6xx diagnostics for a broken
    book); a broken book is never cached, so its diagnostics come back every time.
    """
    from trainer.grading.rulebook import Rulebook
    from trainer.grading.rulebook import load_rulebook as compile_rulebook

    if not check_examples or not cache.enabled():
        return compile_rulebook(name_or_path, check_examples=check_examples)
    key = _key(name_or_path)
    found = cache.entry(key)
    loaded = None if found is None else cache.objects(key, found)
    if isinstance(loaded, Rulebook):
        return loaded
    with cache.recording() as reads:
        book = compile_rulebook(name_or_path)
    cache.save(key, cache.describe(reads), book, _summary(book).__dict__)
    return book


@dataclass(frozen=True)
class BookSummary:
    """What ``trainer rules list`` shows of a book: its id, version, locale and rules."""

    id: str
    version: str
    locale: str
    #: id, category, severity, title and citations (as JSON) of each rule, in book order.
    rules: list[dict[str, Any]]


def rulebook_summary(name_or_path: str | Path = "zh-CN") -> BookSummary:
    """A book's summary: from the cache's JSON side when it is warm (no grader import,
    no pydantic), else by loading the book (which fills the cache)."""
    if cache.enabled():
        found = cache.entry(_key(name_or_path))
        if found is not None:
            try:
                summary = BookSummary(**found["summary"])
                if all(isinstance(rule, dict) for rule in summary.rules):
                    return summary
            except TypeError:
                pass  # damaged: load afresh
    return _summary(load_rulebook(name_or_path))


def _key(name_or_path: str | Path) -> str:
    return cache.load_key("rulebook", str(name_or_path))


def _summary(book: Rulebook) -> BookSummary:
    rules = [
        {
            "id": r.id,
            "category": r.category,
            "severity": r.severity,
            "title": r.title,
            "citations": [c.to_json() for c in r.citations],
        }
        for r in book.rules
    ]
    return BookSummary(book.id, book.version, book.locale, rules)
