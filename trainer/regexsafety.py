"""Refuse content regexes that can backtrack catastrophically, before they are used.

Python's ``re`` backtracks: a pattern such as ``(a+)+$``, ``(a|a)*``, ``(.*)*`` or
``(\\w|\\d)+`` takes exponential time on a line that almost matches, and nothing
can interrupt a running match. Overlays and content packs are written by people
outside the project (see docs/threat-model.md), so every regex is checked here
when it loads and a risky one is refused instead of hanging a call or an audit
later: rulebook and overlay regexes with K612 (``trainer.grading.rulebook``),
intent ``patterns:`` in content packs with R312 (``trainer.scenarios.lint``).
This module imports nothing of the project, so both layers can use it.

The check is static and conservative, on the parsed pattern:

* a repeat (``*``, ``+``, ``{m,}``, ``{m,n}`` with n > 1) whose body holds
  another repeat that can match more than one character (nested quantifiers);
* a repeat over an alternation whose branches can start with the same
  character (overlapping alternatives: the engine tries both at every step);
* a repeat whose body can match the empty string;
* backreferences (``\\1``, ``(?P=name)``), which no automaton bounds;
* repeat counts above `MAX_COUNT`.

Each refusal names what to change. A pattern the check passes is not proven
linear, but the shapes behind real catastrophic backtracking are all refused.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from re import _constants as _c  # type: ignore[attr-defined]  # the parser behind ``re``:
from re import _parser as _p  # type: ignore[attr-defined]  # private, but exact
from typing import Any

#: The largest ``{m,n}`` count a rulebook regex may use.
MAX_COUNT = 100

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)}
_UNBOUNDED = _c.MAXREPEAT
_ZERO_WIDTH = {_c.AT, _c.ASSERT, _c.ASSERT_NOT}
#: Characters that stand for the categories when two character sets are compared.
_PROBES = "aZz_09 \t\n.,-'中é\u3000"

Items = list[tuple[Any, Any]]


@functools.lru_cache(maxsize=4096)
def unsafe_regex(pattern: str) -> str | None:
    """Why ``pattern`` may backtrack catastrophically (one phrase), or None when it is safe.

    A pattern that does not parse is left to the compile check (K604).
    """
    try:
        tree = _p.parse(pattern)
    except (re.error, OverflowError, RecursionError):
        return None
    try:
        return _walk(list(tree))
    except RecursionError:
        return "it is nested too deeply to check"


def _walk(items: Items) -> str | None:
    """The first problem in a parsed sequence: counts, backreferences, risky repeats."""
    for op, av in items:
        if op in (_c.GROUPREF, _c.GROUPREF_EXISTS):
            return "it uses a backreference"
        children: list[Items] = []
        if op in _REPEATS:
            low, high, body = av
            for count in (low, high):
                if count != _UNBOUNDED and count > MAX_COUNT:
                    return f"a repeat count of {count} is above {MAX_COUNT}"
            body = list(body)
            if high == _UNBOUNDED or high > 1:
                if _p.SubPattern(_p.State(), body).getwidth()[0] == 0:
                    return "a repeated part can match nothing, like (a*)*"
                wrap = _first_of(body)
                problem = _ambiguous(body, wrap)
                if problem:
                    return problem
            children = [body]
        elif op is _c.SUBPATTERN:
            children = [list(av[-1])]
        elif op is _c.BRANCH:
            children = [list(b) for b in av[1]]
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            children = [list(av[1])]
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            children = [list(av)]
        for child in children:
            problem = _walk(child)
            if problem:
                return problem
    return None


def _ambiguous(body: Items, follow: _Set | None) -> str | None:
    """A reason the repeated ``body`` can match one string in several ways, else None.

    ``follow`` is what can come after ``body`` (for the body of a repeat: its own
    start again). An inner repeat is safe only when what follows it cannot continue
    it (``\\w+ `` stops at the space); alternatives are safe when none is the start
    of another that the rest could also match (``a|an`` before a space).
    """
    for i, (op, av) in enumerate(body):
        after = _first_of(body[i + 1 :], follow)
        if op in _REPEATS:
            low, high, inner = av
            if low == high:
                problem = _ambiguous(list(inner), after)
            else:
                own = _single(list(inner))
                if own is None or after is None or own.meets(after):
                    return "it nests one repeat inside another, like (a+)+"
                problem = None
        elif op is _c.SUBPATTERN:
            problem = _ambiguous(list(av[-1]), after)
        elif op is _c.BRANCH:
            problem = _branches([list(b) for b in av[1]], after)
        else:
            problem = None
        if problem:
            return problem
    return None


def _branches(branches: list[Items], follow: _Set | None) -> str | None:
    """A reason alternatives under a repeat overlap, else None."""
    clash = "a repeated alternation has branches that match alike, like (a|aa)*"
    words = [_literal(b) for b in branches]
    for i, one in enumerate(branches):
        for j in range(i + 1, len(branches)):
            a, b = words[i], words[j]
            if a is not None and b is not None:
                if a == b:
                    return clash
                short, long_ = sorted((a, b), key=len)
                if long_.startswith(short) and (follow is None or follow.has(long_[len(short)])):
                    return clash
                continue
            first_a, first_b = _first_of(one, follow), _first_of(branches[j], follow)
            if first_a is None or first_b is None or first_a.meets(first_b):
                return clash
    for branch in branches:
        problem = _ambiguous(branch, follow)
        if problem:
            return problem
    return None


def _literal(items: Items) -> str | None:
    """The fixed text a branch matches, or None when it is not plain text."""
    if all(op is _c.LITERAL for op, _ in items):
        return "".join(chr(av) for _, av in items)
    return None


class _Set:
    """A set of characters: a membership test and the characters its source names."""

    def __init__(self, test: Callable[[str], bool], named: str = "") -> None:
        self.test = test
        self.named = named

    def has(self, ch: str) -> bool:
        """True when ``ch`` is in the set (letters in either case)."""
        return self.test(ch) or self.test(ch.swapcase())

    def meets(self, other: _Set) -> bool:
        """True when some character is in both sets."""
        return any(self.has(ch) and other.has(ch) for ch in _PROBES + self.named + other.named)

    def __or__(self, other: _Set) -> _Set:
        return _Set(lambda ch: self.test(ch) or other.test(ch), self.named + other.named)


def _first_of(items: Items, follow: _Set | None = None) -> _Set | None:
    """The characters a match of ``items`` can start with (then ``follow`` if it can be
    empty); None when that cannot be told, which callers take as "anything"."""
    found = _Set(lambda ch: False)
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        if op is _c.SUBPATTERN:
            inner = list(av[-1])
        elif op in _REPEATS:
            inner = list(av[2])
        elif op is _c.BRANCH:
            parts = [_first_of(list(b)) for b in av[1]]
            if any(part is None for part in parts):
                return None
            for part in parts:
                found = found | part  # type: ignore[operator]
            if any(_p.SubPattern(_p.State(), list(b)).getwidth()[0] == 0 for b in av[1]):
                continue
            return found
        else:
            one = _single([(op, av)])
            return None if one is None else found | one
        first = _first_of(inner)
        if first is None:
            return None
        found = found | first
        if _p.SubPattern(_p.State(), [(op, av)]).getwidth()[0] > 0:
            return found
    return None if follow is None else found | follow


def _between(low: int, high: int) -> Callable[[str], bool]:
    """A test for the characters ``low``..``high`` (code points)."""
    return lambda ch: low <= ord(ch) <= high


_CATEGORIES: dict[Any, Callable[[str], bool]] = {
    _c.CATEGORY_DIGIT: str.isdigit,
    _c.CATEGORY_NOT_DIGIT: lambda ch: not ch.isdigit(),
    _c.CATEGORY_SPACE: str.isspace,
    _c.CATEGORY_NOT_SPACE: lambda ch: not ch.isspace(),
    _c.CATEGORY_WORD: lambda ch: ch.isalnum() or ch == "_",
    _c.CATEGORY_NOT_WORD: lambda ch: not (ch.isalnum() or ch == "_"),
}


def _single(items: Items) -> _Set | None:
    """The set of a one-character item (a letter, ``.``, ``[...]``, ``\\w``), else None."""
    if len(items) != 1:
        return None
    op, av = items[0]
    if op is _c.LITERAL:
        return _Set(lambda ch: ch == chr(av), chr(av))
    if op is _c.NOT_LITERAL:
        return _Set(lambda ch: ch != chr(av))
    if op is _c.ANY:
        return _Set(lambda ch: True)
    if op is not _c.IN:
        return None
    tests: list[Callable[[str], bool]] = []
    named = ""
    negate = False
    for kind, value in av:
        if kind is _c.NEGATE:
            negate = True
        elif kind is _c.LITERAL:
            literal = chr(value)
            named += literal
            tests.append(literal.__eq__)
        elif kind is _c.RANGE:
            named += chr(value[0]) + chr(value[1])
            tests.append(_between(value[0], value[1]))
        elif kind is _c.CATEGORY and value in _CATEGORIES:
            tests.append(_CATEGORIES[value])
        else:
            return None
    if negate:
        return _Set(lambda ch: not any(test(ch) for test in tests), named)
    return _Set(lambda ch: any(test(ch) for test in tests), named)
