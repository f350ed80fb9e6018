"""What the agent said about themselves: the name, staff number and call-back number a
trainee gave, so the persona repeats those and not the briefing's.

A trainee who opens with "Hi, this is Sam Ortiz with Crestline, employee ID 3318" must
hear "Okay, Sam Ortiz" back, not the name printed in the scenario's briefing. Only
clear self-introductions count (a capitalised name after "this is / my name is", a
number after 工号 / "employee ID", a phone number said as one): anything vaguer keeps
the briefing's value.
"""

from __future__ import annotations

import re

_STAFF_ID = re.compile(
    r"(?:工号|员工号|编号)\s*(?:是|为)?\s*[::]?\s*([A-Za-z]?\d{3,8})(?!\d)"
    r"|\b(?:employee|staff|agent|operator)\s+(?:id|number|no\.?|#)\s*(?:is\s+)?[:#]?\s*"
    r"([A-Za-z]?\d{3,8})\b",
    re.IGNORECASE,
)
_EN_NAME = re.compile(
    r"\b(?:[Mm]y name is|[Mm]y name's|[Tt]his is|I'm|I am|[Ii]t's)\s+"
    r"([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)(?=\s+(?:with|from|at|calling|and|here|over)\b|\s*[,.;!]|$)"
)
#: Words that look like a name after "this is / it's" but are not one.
_NOT_NAMES = frozenset({"Regarding", "About", "Important", "Urgent", "Okay", "Fine", "Just"})
_PHONE = re.compile(
    r"(?<!\d)(?:1-)?\d{3}[-. ]\d{3}[-. ]\d{4}(?:,?\s*(?:ext\.?|extension|x)\s*\d{1,6})?(?!\d)"
    r"|(?<!\d)(?:400|800)-?\d{3}-?\d{4}(?!\d)",
    re.IGNORECASE,
)
#: Words that mark a number as the agent's own call-back number.
_CALLBACK_CUE = re.compile(
    r"call (?:me|us|back)|reach me|at\s*$|回电|打(?:这个|我的?)?(?:电话|号码)?|拨打|找我|联系我",
    re.IGNORECASE,
)


def introduced(text: str, locale: str) -> dict[str, str]:
    """Placeholder values (``agent_name``, ``staff_id``, ``callback_number``) that the
    agent's line gives about the agent; empty when it gives none."""
    found: dict[str, str] = {}
    staff = _STAFF_ID.search(text)
    if staff is not None:
        found["staff_id"] = staff.group(1) or staff.group(2)
    if locale.startswith("en"):
        for name in _EN_NAME.finditer(text):
            if name.group(1).split()[0] not in _NOT_NAMES:
                found["agent_name"] = name.group(1)
                break
    for phone in _PHONE.finditer(text):
        before = text[max(0, phone.start() - 24) : phone.start()]
        if _CALLBACK_CUE.search(before):
            found["callback_number"] = phone.group(0)
            break
    return found
