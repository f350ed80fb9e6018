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

from pathlib import Path
from typing import TYPE_CHECKING

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
    key = cache.load_key("rulebook", str(name_or_path))
    found = cache.entry(key)
    loaded = None if found is None else cache.objects(key, found)
    if isinstance(loaded, Rulebook):
        return loaded
    with cache.recording() as reads:
        book = compile_rulebook(name_or_path)
    cache.save(key, cache.describe(reads), book)
    return book
