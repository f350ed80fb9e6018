"""The project's vocabularies, in one place: locales, parties, speakers, severities,
rule categories and call stages.

Every module that names one of these reads it from here, so adding a rule
category means adding it to `CATEGORIES` (with its three-letter rule-id code),
writing its rules in the rulebooks, and giving it labels in the app's i18n
table — nothing else (a test registers a scratch category to prove it).

The ``Literal`` aliases are for the type checker; the tuples are what the code
checks against at run time (a test keeps the two equal).
"""

from __future__ import annotations

from typing import Literal

Locale = Literal["zh-CN", "en-US"]
LOCALES: tuple[str, ...] = ("zh-CN", "en-US")

#: Who is on the line with the agent.
Party = Literal["debtor", "third_party", "unknown"]
PARTIES: tuple[str, ...] = ("debtor", "third_party", "unknown")

Speaker = Literal["agent", "customer"]
SPEAKERS: tuple[str, ...] = ("agent", "customer")

#: Finding severities, from the most to the least serious.
Severity = Literal["critical", "major", "minor", "review"]
SEVERITIES: tuple[str, ...] = ("critical", "major", "minor", "review")
#: Rank of each severity: higher is more serious (``review`` is 0, it never fails a gate).
SEVERITY_RANK: dict[str, int] = {"critical": 3, "major": 2, "minor": 1, "review": 0}

#: The rule categories (docs/domain.md §4) and the three-letter code of each in rule ids
#: (``ZH-IMP-001``). Ordered as reports list them. Mutable on purpose: a content pack
#: or a test may add a category with `add_category` before loading rulebooks.
CATEGORIES: dict[str, str] = {
    "impersonation": "IMP",
    "threat": "THR",
    "abuse": "ABU",
    "false_claim": "FAL",
    "third_party_disclosure": "TPD",
    "harassment": "HAR",
    "identity": "IDN",
    "improper_payment": "PAY",
    "public_exposure": "PUB",
}

#: Kinds of call a scenario trains (the four families of the handbook).
ScenarioStage = Literal["first_contact", "repeat_contact", "third_party", "special"]
SCENARIO_STAGES: tuple[str, ...] = ("first_contact", "repeat_contact", "third_party", "special")

#: The stages of one call, in order; nodes name theirs so the app can show progress.
CallStage = Literal[
    "opening", "verification", "purpose", "reason", "negotiation", "promise", "close"
]
CALL_STAGES: tuple[str, ...] = (
    "opening",
    "verification",
    "purpose",
    "reason",
    "negotiation",
    "promise",
    "close",
)


#: How each shipped category is named to people, (zh-CN, English): the app, the
#: instructor's dashboard and reports share them. A pack's own category shows its id.
CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "impersonation": ("冒充公检法", "impersonation"),
    "threat": ("威胁恐吓", "threat"),
    "abuse": ("辱骂侮辱", "abuse"),
    "false_claim": ("虚假陈述", "false claim"),
    "third_party_disclosure": ("向第三人泄露", "third-party disclosure"),
    "harassment": ("骚扰", "harassment"),
    "identity": ("未表明身份", "identity"),
    "improper_payment": ("不当还款渠道", "improper payment"),
    "public_exposure": ("公开曝光", "public exposure"),
}


def add_category(name: str, code: str) -> None:
    """Register a rule category and its rule-id code (``[A-Z]{3}``), e.g. for a content pack."""
    if not name.isidentifier() or not (len(code) == 3 and code.isalpha() and code.isupper()):
        raise ValueError(
            f"category {name!r} / code {code!r}: use a snake_case name and a "
            "three-letter upper-case code"
        )
    taken = {c: n for n, c in CATEGORIES.items()}
    if taken.get(code, name) != name:
        raise ValueError(f"code {code!r} already belongs to {taken[code]!r}")
    CATEGORIES[name] = code


def category_names() -> tuple[str, ...]:
    """The category names, in report order."""
    return tuple(CATEGORIES)


def rule_id_pattern() -> str:
    """The regular expression a rule id must match (``ZH-IMP-001``), for today's categories."""
    codes = "|".join(CATEGORIES.values())
    return rf"^[A-Z][A-Z0-9]*-({codes})-\d{{3}}$"
