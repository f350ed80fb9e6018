"""The briefing's account facts as plain (label, value) rows, for every front end.

The app's briefing screen and ``trainer play`` show the same account card before
the first line (who the debtor is, what is owed, the minimum, days past due, the
card, the channel, the call time, earlier promises) and the same objectives, so the
rows are built here once, free of Textual, and each front end only draws them.
Values are authored text: front ends show them as text, never as markup.
"""

from __future__ import annotations

from trainer.scenarios.model import Scenario

#: key → (zh-CN, en): the labels of the account card. The app's interface table
#: (`trainer.tui.i18n.STRINGS`) includes these, so each label is written once.
BRIEFING_STRINGS: dict[str, tuple[str, str]] = {
    "briefing.account": ("账户信息", "Account"),
    "briefing.debtor": ("持卡人", "Cardholder"),
    "briefing.you": ("您的身份", "You are"),
    "briefing.amount": ("欠款金额", "Amount owed"),
    "briefing.minimum": ("最低还款额", "Minimum payment"),
    "briefing.days": ("逾期天数", "Days past due"),
    "briefing.due_date": ("到期还款日", "Payment was due"),
    "briefing.card": ("卡号尾号", "Card ending"),
    "briefing.channel": ("官方还款渠道", "Official channel"),
    "briefing.call_time": ("通话时间", "Call time"),
    "briefing.promises": ("此前承诺", "Earlier promises"),
    "briefing.promises.none": ("无", "none"),
    "briefing.promise.kept": ("已兑现", "kept"),
    "briefing.promise.broken": ("未兑现", "broken"),
    "briefing.objectives": ("本次目标", "Objectives"),
}


def is_english(language: str) -> bool:
    """Whether ``language`` (an interface language or a content locale) reads English."""
    return language.lower().startswith("en")


def _word(language: str, key: str) -> str:
    zh, en = BRIEFING_STRINGS[key]
    return en if is_english(language) else zh


def money(value: float) -> str:
    """An amount as the briefing writes it: ``8,650.00``."""
    return f"{value:,.2f}"


def fact_rows(
    language: str, scenario: Scenario, call_time: str | None = None
) -> list[tuple[str, str]]:
    """(label, value) rows of the account card in reading order, labelled in ``language``.

    ``call_time`` replaces the briefing's own when the call is placed at another
    time (``trainer play --time``), so the card shows the clock the grader uses.
    """
    return [(label, value) for _, label, value in _keyed_rows(language, scenario, call_time)]


#: The rows that stay in view during a call (the app's sidebar): who, what, when, history.
DURING_CALL = (
    "briefing.debtor",
    "briefing.amount",
    "briefing.minimum",
    "briefing.card",
    "briefing.due_date",
    "briefing.days",
    "briefing.promises",
)


def call_rows(language: str, scenario: Scenario) -> list[tuple[str, str]]:
    """The account facts a trainee looks up mid-call (name, amount, card, due date,
    earlier promises), in the order of `DURING_CALL`, without the notes of promises."""
    keyed = _keyed_rows(language, scenario, None, notes=False)
    return [
        (label, value) for key in DURING_CALL for row_key, label, value in keyed if row_key == key
    ]


def _keyed_rows(
    language: str, scenario: Scenario, call_time: str | None, *, notes: bool = True
) -> list[tuple[str, str, str]]:
    b = scenario.briefing
    you = " · ".join(part for part in (b.institution, b.unit, b.agent_name, b.staff_id) if part)
    facts = [
        ("briefing.debtor", f"{b.debtor_name} ({b.honorific})"),
        ("briefing.you", you),
        ("briefing.amount", money(b.amount_owed)),
        ("briefing.minimum", money(b.minimum_payment)),
        ("briefing.days", f"{b.days_past_due} ({b.bucket})"),
        *([("briefing.due_date", b.due_date)] if b.due_date else []),
        ("briefing.card", b.card_last4),
        ("briefing.channel", b.channel),
        ("briefing.call_time", call_time or b.call_time),
    ]
    for promise in b.earlier_promises:
        state = _word(
            language, "briefing.promise.kept" if promise.kept else "briefing.promise.broken"
        )
        note = f" — {promise.note}" if promise.note and notes else ""
        facts.append(
            ("briefing.promises", f"{promise.date}: {money(promise.amount)} ({state}){note}")
        )
    if not b.earlier_promises:
        facts.append(("briefing.promises", _word(language, "briefing.promises.none")))
    return [(key, _word(language, key), value) for key, value in facts]


def objectives(scenario: Scenario) -> tuple[str, ...]:
    """What the call should achieve: the scenario's objectives, else what it teaches."""
    if scenario.objectives:
        return tuple(scenario.objectives)
    return (scenario.teaches,) if scenario.teaches else ()


def briefing_lines(language: str, scenario: Scenario, call_time: str | None = None) -> list[str]:
    """The briefing as plain text lines for a terminal: the account card, then the objectives."""
    rows = fact_rows(language, scenario, call_time)
    colon = ": " if is_english(language) else ":"
    lines = [f"{_word(language, 'briefing.account')}{colon}"]
    lines += [f"  {name}{colon}{value}" for name, value in rows]
    goals = objectives(scenario)
    if goals:
        lines.append(f"{_word(language, 'briefing.objectives')}{colon}")
        lines += [f"  • {goal}" for goal in goals]
    return lines
