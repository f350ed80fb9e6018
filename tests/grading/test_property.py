"""The grader never crashes and its spans always lie inside the text."""

from __future__ import annotations

from datetime import time

from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.grading import CallContext, load_rulebook
from trainer.grading.normalize import normalize

ZH = load_rulebook("zh-CN")
EN = load_rulebook("en-US")

#: Arbitrary Unicode mixed with the characters and words rules care about.
SEEDS = [
    "公安",
    "公 安",
    "法yuan",
    "gong an",
    "律師",
    "欠款",
    "8,650元",
    "不是",
    "如果",
    "police",
    "p o l i c e",
    "not",
    "debt",
    "$",
    "\u200b",
    "，",
    "。",
    " ",
    "İ",
    "ß",
    "ﬁ",
]
texts = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(SEEDS)), max_size=12).map("".join)
contexts = st.builds(
    CallContext,
    speaker=st.sampled_from(["agent", "customer"]),
    party=st.sampled_from(["debtor", "third_party", "unknown"]),
    verified=st.booleans(),
    turn=st.integers(min_value=0, max_value=50),
    time=st.one_of(st.none(), st.times()),
    consent_to_late_call=st.booleans(),
    history=st.lists(texts, max_size=3).map(tuple),
)


@settings(max_examples=400, deadline=None)
@given(texts, contexts)
def test_check_never_fails_and_spans_stay_inside(text: str, ctx: CallContext) -> None:
    for book in (ZH, EN):
        findings = book.check(text, ctx)
        assert list(findings) == sorted(findings)
        for f in findings:
            assert 0 <= f.start <= f.end <= len(text)
            assert f.match == text[f.start : f.end]
            assert f.severity in ("critical", "major", "minor", "review")


@settings(max_examples=400, deadline=None)
@given(texts)
def test_normalize_offsets_are_monotonic_and_inside(text: str) -> None:
    norm, offsets = normalize(text)
    previous = 0
    for i in range(len(norm)):
        a, b = offsets.span(i, i + 1)
        assert 0 <= a <= b <= len(text)
        assert a >= previous
        previous = a


def test_context_time_edges() -> None:
    assert ZH.check("您好", CallContext(time=time(0, 0)))
    assert not ZH.check("您好", CallContext(time=time(12, 0)))


def test_only_the_first_max_graded_characters_are_read() -> None:
    """A pasted book neither stalls grading nor yields findings past the cap."""
    from trainer.grading import CallContext, load_rulebook
    from trainer.grading.rulebook import MAX_GRADED, graded_length

    line = "你这种老赖欠款不还," * 2000
    findings = load_rulebook("zh-CN").check(line, CallContext(party="third_party"))
    assert findings and all(f.end <= MAX_GRADED for f in findings)
    assert graded_length(line) == MAX_GRADED and graded_length("短") == 1
