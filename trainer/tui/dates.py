"""A scenario's dates moved to the day the trainee makes the call.

Scenarios are written with fixed dates ("due 3月10日, 15 days past due; promised 3月8日"),
which would read as months in the past or the future on the day a trainee practises.
The app places every call on its own clock's date: the scenario's implied call date is
its due date plus its days past due, and every month-and-day date in the scenario's text
(briefing, debtor lines, options, hints, endings) moves by the same number of days, so
"15 days past due" still agrees with the due date and every line agrees with the card.

Only dates written as a month and a day move (``3月10日``, ``3月10号``, ``March 10``);
relative ones (``上月28日``, ``本月10日``, ``last Friday``) already fit any day, and a date
with a year (``去年11月20日``, ``2023年6月``) is left as written. A scenario whose due date
is not such a date keeps all its dates. The call time (``10:30``) is never moved: the
grader judges calling hours by it. Intents are not touched, so recognition is the same.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from trainer.scenarios.model import Scenario

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ZH = re.compile(r"(?<![年\d])(1[0-2]|0?[1-9])月([12]\d|3[01]|0?[1-9])([日号])")
_EN = re.compile(
    rf"\b({'|'.join(MONTHS)})\s+([12]\d|3[01]|0?[1-9])(st|nd|rd|th)?\b(?!,?\s*\d{{4}})"
)
#: Keys whose values are never shown as text or must stay as written.
_KEEP = frozenset({"intents", "id", "locale", "persona", "call_time", "extends", "start"})


def _ordinal(day: int) -> str:
    """``st``, ``nd``, ``rd`` or ``th`` for a day of the month."""
    if day in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _nearest(month: int, day: int, anchor: date) -> date | None:
    """The date with this month and day closest to ``anchor`` (a year either side)."""
    found: list[date] = []
    for year in (anchor.year - 1, anchor.year, anchor.year + 1):
        try:
            found.append(date(year, month, day))
        except ValueError:  # 2月29日 in a year without it
            continue
    return min(found, key=lambda d: abs(d - anchor)) if found else None


def _parse(text: str, anchor: date) -> date | None:
    """The month-and-day date ``text`` is (the whole text), nearest to ``anchor``."""
    text = text.strip()
    if match := _ZH.fullmatch(text):
        return _nearest(int(match.group(1)), int(match.group(2)), anchor)
    if match := _EN.fullmatch(text):
        return _nearest(MONTHS.index(match.group(1)) + 1, int(match.group(2)), anchor)
    return None


def written_call_date(scenario: Scenario, today: date) -> date | None:
    """The call date the scenario was written for: its due date plus its days past due
    (None when the due date is not a month-and-day date)."""
    briefing = scenario.briefing
    due = _parse(briefing.due_date, today) if briefing.due_date else None
    return None if due is None else due + timedelta(days=briefing.days_past_due)


def shift_text(text: str, written: date, call_date: date) -> str:
    """``text`` with each month-and-day date moved by ``call_date - written``."""
    delta = call_date - written

    def zh(match: re.Match[str]) -> str:
        found = _nearest(int(match.group(1)), int(match.group(2)), written)
        if found is None:
            return match.group(0)
        moved = found + delta
        return f"{moved.month}月{moved.day}{match.group(3)}"

    def en(match: re.Match[str]) -> str:
        found = _nearest(MONTHS.index(match.group(1)) + 1, int(match.group(2)), written)
        if found is None:
            return match.group(0)
        moved = found + delta
        return (
            f"{MONTHS[moved.month - 1]} {moved.day}{_ordinal(moved.day) if match.group(3) else ''}"
        )

    return _EN.sub(en, _ZH.sub(zh, text))


def _shift(value: Any, written: date, call_date: date) -> Any:
    if isinstance(value, str):
        return shift_text(value, written, call_date)
    if isinstance(value, dict):
        return {
            key: item if key in _KEEP else _shift(item, written, call_date)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_shift(item, written, call_date) for item in value)
    return value


def on_call_date(scenario: Scenario, call_date: date) -> Scenario:
    """``scenario`` with its dates moved so that the call takes place on ``call_date``.

    The same scenario when its due date is not a month-and-day date, or when the call
    date is the one it was written for.
    """
    written = written_call_date(scenario, call_date)
    if written is None or written == call_date:
        return scenario
    data = _shift(scenario.model_dump(), written, call_date)
    return Scenario.model_validate(data)
