"""Choose and fill the debtor's line: conditions, once-only lines, weights, placeholders.

Kept apart from the session so the rules of line choice are easy to test: a
line is eligible when its ``when`` condition holds on the current meters and
facts and, if it is ``once``, it was not used before in this call; among the
eligible lines one is drawn by weight with the session's seeded generator.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from trainer.scenarios.model import Line, fill


def eligible(
    lines: Sequence[Line],
    key: str,
    meters: Mapping[str, int],
    facts: frozenset[str] | set[str],
    used: set[str] | frozenset[str],
) -> list[tuple[str, Line]]:
    """The lines that may be said now, each with its once-key (``<key>#<index>``)."""
    out = []
    for index, line in enumerate(lines):
        line_key = f"{key}#{index}"
        if line.once and line_key in used:
            continue
        if line.when is not None and not line.when.holds(dict(meters), facts):
            continue
        out.append((line_key, line))
    return out


def pick(
    lines: Sequence[Line],
    key: str,
    meters: Mapping[str, int],
    facts: frozenset[str] | set[str],
    used: set[str],
    rng: random.Random,
) -> Line | None:
    """Draw one eligible line by weight (None when none is eligible).

    A ``once`` line that is drawn is added to ``used``.
    """
    candidates = eligible(lines, key, meters, facts, used)
    if not candidates:
        return None
    if len(candidates) == 1:
        line_key, line = candidates[0]
    else:
        line_key, line = rng.choices(candidates, weights=[c[1].weight for c in candidates])[0]
    if line.once:
        used.add(line_key)
    return line


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill ``{placeholders}`` from the briefing; unknown names and bad braces stay visible."""
    try:
        return fill(text, dict(values))
    except ValueError:
        return text
