"""Which rulebook grades which input: one fixed book, or each input's own locale.

``trainer audit --rules NAME|FILE`` grades everything with that book. Without
``--rules`` the audit picks the shipped rulebook of each input's locale: a
scenario or wording file by its ``locale:``, a transcript record by its ``lang``
field (``zh``/``zh-CN``/``en``/``en-US``…, any case, ``_`` or ``-``), a plain
text file by its script (no Chinese character at all: en-US), and zh-CN
otherwise. A folder mixing locales is therefore graded per file (and per
record). Shipped books are loaded on first use and shared.

`BookSet` looks enough like one `Rulebook` (``id``, ``version``, ``locale``,
``rules``, ``rule(id)``) for the report writers, which name every book used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trainer.grading.rulebook import Rule, Rulebook

DEFAULT_LOCALE = "zh-CN"
#: Rule-id prefix → shipped rulebook, to rebuild findings that come from workers.
_PREFIX_LOCALE = {"ZH": "zh-CN", "EN": "en-US"}


def locale_of(lang: object, default: str = DEFAULT_LOCALE) -> str:
    """The shipped locale a ``lang`` value means (``en``, ``en_us``, ``EN-US`` → en-US)."""
    if not isinstance(lang, str) or not lang:
        return default
    code = lang.strip().lower().replace("_", "-")
    if code.startswith("en"):
        return "en-US"
    if code.startswith("zh"):
        return "zh-CN"
    return default


class BookSet:
    """The rulebooks of one audit: a fixed book, or shipped books picked by locale."""

    def __init__(
        self,
        fixed: Rulebook | None = None,
        default: str = DEFAULT_LOCALE,
        loader: Callable[[str], Rulebook] | None = None,
    ) -> None:
        #: how a shipped book is loaded by name (front ends pass their cached loader)
        self.loader = loader
        self.fixed = fixed
        self.default = default
        self.ref = fixed.source if fixed is not None else None
        self._books: dict[str, Rulebook] = {}
        self._by_lang: dict[object, Rulebook] = {}
        self.used: dict[str, Rulebook] = {}

    def get(self, locale: str | None = None) -> Rulebook:
        """The book for an input of ``locale`` (the fixed book when there is one)."""
        book = self.fixed
        if book is None:
            name = locale or self.default
            book = self._books.get(name)
            if book is None:
                from trainer.grading.rulebook import load_rulebook

                book = (self.loader or load_rulebook)(name)
                self._books[name] = book
        if book.id not in self.used:
            self.used[book.id] = book
        return book

    def for_lang(self, lang: object) -> Rulebook:
        """The book for a transcript record's ``lang`` value (cached per value)."""
        book = self._by_lang.get(lang)
        if book is None:
            book = self.get(locale_of(lang, self.default))
            self._by_lang[lang] = book
        return book

    def books(self) -> list[Rulebook]:
        """The books used so far (at least the default one)."""
        return list(self.used.values()) or [self.get()]

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id in any book of the set (KeyError when none has it)."""
        for book in self.books():
            try:
                return book.rule(rule_id)
            except KeyError:
                continue
        locale = _PREFIX_LOCALE.get(rule_id.split("-", 1)[0])
        if self.fixed is None and locale is not None:
            return self.get(locale).rule(rule_id)
        raise KeyError(rule_id)

    # --- the face of a single rulebook, for report writers

    @property
    def id(self) -> str:
        """Ids of the books used, joined with ``+``."""
        return "+".join(book.id for book in self.books())

    @property
    def version(self) -> str:
        """Versions of the books used (one when they agree)."""
        return "+".join(dict.fromkeys(str(book.version) for book in self.books()))

    @property
    def locale(self) -> str:
        """Locales of the books used, joined with ``+``."""
        return "+".join(dict.fromkeys(book.locale for book in self.books()))

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule of every book used."""
        return tuple(rule for book in self.books() for rule in book.rules)

    def describe(self) -> list[dict[str, Any]]:
        """Identity of each book used, for reports."""
        return [
            {"id": b.id, "version": b.version, "locale": b.locale, "rules": len(b.rules)}
            for b in self.books()
        ]
