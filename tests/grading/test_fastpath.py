"""The fast paths give exactly what the slow paths give.

`normalize` skips the rewrites when a cheap gate says nothing can change;
`Rulebook.check` keeps one automaton per kind of context; a verified rulebook
loads without running its examples. Each is checked against the plain way.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.diagnostics import ContentError
from trainer.grading import CallContext, load_rulebook, verification
from trainer.grading.normalize import PINYIN_WORDS, normalize, normalize_full

PIECES = [
    "公安",
    "公 安",
    "公,安,局",
    "法yuan",
    "gong an",
    "li an",
    "lvshi",
    "律師",
    "黑名單",
    "ＰＯＬＩＣＥ",
    "p o l i c e",
    "d3adbeat",
    "l@wyer",
    "vx",
    "XX银行",
    "App",
    "\u200b",
    "\u00ad",
    "·",
    "*",
    " ",
    ",",
    "8,650元",
    "an",
    "fa",
    *[word for word, _ in PINYIN_WORDS],
    *[syllable for _, syllables in PINYIN_WORDS for syllable in syllables],
]
texts = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=8).map("".join)


def _spans(norm: object) -> list[tuple[int, int]]:
    text, offsets = norm  # type: ignore[misc]
    size = len(text)
    return [offsets.span(a, b) for a in range(size + 1) for b in range(a, size + 1)]


@settings(max_examples=600, deadline=None)
@given(texts)
def test_fast_normalize_equals_the_full_one(text: str) -> None:
    fast, full = normalize(text), normalize_full(text)
    assert fast.text == full.text
    assert _spans(fast) == _spans(full)


@pytest.mark.parametrize(
    "text",
    ["逾期信息会按规定报送征信系统。", "请通过银行官方App或柜台还款。", "Your balance is $1,250."],
)
def test_plain_text_takes_the_identity_map(text: str) -> None:
    assert normalize(text).offsets.identity
    assert normalize(text).text == normalize_full(text).text


CONTEXTS = [
    CallContext(party="debtor", verified=True, turn=2),
    CallContext(party="debtor", verified=False, turn=1),
    CallContext(party="third_party", verified=False, turn=2),
    CallContext(party="unknown", verified=False, turn=1),
]


@pytest.mark.parametrize("name", ["zh-CN", "en-US"])
def test_context_plans_hold_exactly_the_rules_that_apply(name: str) -> None:
    book = load_rulebook(name)
    for ctx in CONTEXTS:
        plan = book._plan(ctx)
        expected = {r.id for r in book.rules if r.triggers and r.applies(ctx, False)}
        assert {r.id for r in plan.rules} == expected
        assert book._plan(ctx) is plan  # built once per kind of context


BOOK = textwrap.dedent(
    """\
    kind: rulebook
    id: tiny
    version: "1"
    locale: zh-CN
    rules:
      - id: TINY-THR-001
        category: threat
        severity: major
        title: t
        message: m
        suggestion: s
        citations: [{instrument: x, status: verify}]
        triggers: [后果自负]
        examples:
          flag: [后果自负, 你后果自负, 不还就后果自负]
          pass: [请尽快还款, 谢谢]
    """
)


def test_a_verified_book_loads_without_its_examples_until_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(BOOK, encoding="utf-8")
    book = load_rulebook(path)
    assert verification.known(book.verify_key)
    # the record lives in the cache folder, not only in memory
    verification.forget()
    assert verification.known(book.verify_key)
    # an edit makes a new key: the (now failing) examples run again
    path.write_text(BOOK.replace("pass: [请尽快还款", "pass: [后果自负"), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_rulebook(path)
    assert any(d.code == "K605" for d in caught.value.diagnostics)


def test_a_broken_regex_is_reported_even_after_verification(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(BOOK, encoding="utf-8")
    load_rulebook(path)
    path.write_text(
        BOOK.replace("triggers: [后果自负]", "triggers: [后果自负]\n    pattern: '(后果'"),
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as caught:
        load_rulebook(path)
    assert [d.code for d in caught.value.diagnostics] == ["K604"]
