"""The evaluation set itself: well-formed, large enough, balanced, and context-aware."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import evalset


@pytest.mark.parametrize("locale", evalset.LOCALES)
def test_file_loads_and_is_large_enough(locale: str) -> None:
    items = evalset.load(locale)
    assert len(items) >= 170


@pytest.mark.parametrize("locale", evalset.LOCALES)
def test_half_violations_half_near_misses(locale: str) -> None:
    items = evalset.load(locale)
    violations = sum(1 for i in items if i.expect is not None)
    assert 0.45 <= violations / len(items) <= 0.55


@pytest.mark.parametrize("locale", evalset.LOCALES)
def test_every_category_is_covered_both_ways(locale: str) -> None:
    table = evalset.counts(evalset.load(locale))
    for name in evalset.CATEGORIES:
        assert table["violation"][name] >= 8, name
        assert table["near_miss"][name] >= 8, name
    assert "?" not in table["near_miss"], "every near-miss note names the category it imitates"


@pytest.mark.parametrize("locale", evalset.LOCALES)
def test_time_is_given_only_for_timing_items(locale: str) -> None:
    for item in evalset.load(locale):
        if item.time is not None:
            assert "harassment" in (item.expect, evalset.near_miss_of(item)), item


@pytest.mark.parametrize("locale", evalset.LOCALES)
def test_no_duplicate_items(locale: str) -> None:
    seen = set()
    for item in evalset.load(locale):
        key = (item.text, item.party, item.verified, item.time)
        assert key not in seen, f"{item.file}:{item.line} repeats an earlier item"
        seen.add(key)


@pytest.mark.parametrize("locale", evalset.LOCALES)
def test_same_words_different_context_pairs(locale: str) -> None:
    """Identical text must appear with different contexts and different verdicts.

    These pairs are what separates a context-aware grader from a word list:
    the amount stated to a verified vs unverified person, the same opening at
    10:00 vs late at night.
    """
    verdicts: dict[str, set[str | None]] = defaultdict(set)
    for item in evalset.load(locale):
        verdicts[item.text].add(item.expect)
    paired = {
        next(v for v in found if v)
        for found in verdicts.values()
        if len(found) > 1 and None in found
    }
    assert {"third_party_disclosure", "harassment"} <= paired


def test_bad_line_is_reported_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "en-US.jsonl").write_text(
        '{"text": "hi", "party": "debtor", "verified": true, "expect": null, "note": "ok"}\n'
        '{"text": "hi", "party": "boss", "verified": true, "expect": null, "note": "ok"}\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(evalset, "HERE", tmp_path)
    with pytest.raises(evalset.EvalSetError, match=r"^en-US\.jsonl:2: 'party'"):
        evalset.load("en-US")


def test_unknown_category_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "zh-CN.jsonl").write_text(
        '{"text": "x", "party": "debtor", "verified": true, "expect": "rude", "note": "n"}\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(evalset, "HERE", tmp_path)
    with pytest.raises(evalset.EvalSetError, match="'expect'"):
        evalset.load("zh-CN")
