"""Shared helpers for the sub-command modules: one error policy for every command.

Expected errors (bad usage, broken content, an unreadable file, a store or engine
error) become one line on stderr and exit code 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

#: A command handler: the parsed arguments in, the exit code out.
Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """Bad input: printed as one line, exit code 2."""


def guard(handler: Handler, expected: Callable[[], tuple[type[BaseException], ...]]) -> Handler:
    """Wrap a command handler so expected errors print one line and return 2.

    ``expected`` returns the area's own error types; it is called only when an
    error happens, so the modules that define them are imported lazily.
    """

    def run(args: argparse.Namespace) -> int:
        from trainer.diagnostics import ContentError

        try:
            return int(handler(args))
        except ContentError as exc:
            for diag in exc.diagnostics:
                sys.stderr.write(diag.format() + "\n")
            return 2
        except Exception as exc:
            if isinstance(exc, (UsageError, *expected())):
                sys.stderr.write(f"trainer {args.command}: error: {exc}\n")
                return 2
            if isinstance(exc, OSError):
                where = f"{exc.filename}: " if exc.filename else ""
                sys.stderr.write(f"trainer {args.command}: error: {where}{exc.strerror or exc}\n")
                return 2
            raise

    run.__doc__ = handler.__doc__
    return run


def iso_date(value: str | None, option: str) -> str | None:
    """``value`` as an ISO date (YYYY-MM-DD), None when not given; UsageError naming
    ``option`` when it is not a date."""
    if not value:
        return None
    from datetime import date

    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise UsageError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high`` (a seed of 2**80 or a
    limit of 10**30 would overflow the database or the random generator later)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is outside {low}..{high}")
        return value

    return parse


def share(text: str) -> float:
    """An argparse type: a finite rate from 0 to 1 (``nan`` and ``inf`` are refused)."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a rate from 0 to 1")
    return value


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide and full-width characters (CJK) take two,
    combining marks none, so columns holding Chinese names line up."""
    import unicodedata

    return sum(
        0
        if unicodedata.combining(ch)
        else 2
        if unicodedata.east_asian_width(ch) in ("W", "F")
        else 1
        for ch in text
    )


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` terminal columns (`display_width`)."""
    return text + " " * max(0, width - display_width(text))


#: The largest seed the store can hold (SQLite INTEGER is 64-bit signed).
MAX_SEED = 2**63 - 1
