"""Rulebooks load, cover every category, and refuse to load when broken."""

from __future__ import annotations

import textwrap
from datetime import datetime, time
from pathlib import Path

import pytest

from trainer.diagnostics import ContentError
from trainer.grading import CATEGORIES, CallContext, Citation, Finding, load_rulebook

SHIPPED = ("zh-CN", "en-US")


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_rulebook_covers_all_categories_with_cited_tested_rules(name: str) -> None:
    book = load_rulebook(name)
    assert book.locale == name and book.id == name and book.version
    assert {rule.category for rule in book.rules} == set(CATEGORIES)
    prefix = "ZH-" if name == "zh-CN" else "EN-"
    for rule in book.rules:
        assert rule.id.startswith(prefix)
        assert rule.citations and all(isinstance(c, Citation) for c in rule.citations)
        assert all(c.status in ("verified", "verify") for c in rule.citations)
        assert len(rule.spec.examples.flag) >= 3 and len(rule.spec.examples.pass_) >= 2
        assert rule.suggestion and rule.message


def test_shipped_rulebooks_are_cached() -> None:
    assert load_rulebook("zh-CN") is load_rulebook("zh-CN")


ZH_COMPLIANT = [
    "请问是李明先生本人吗",
    "您目前欠款8,650元",
    "如果长期不还,我们可能会依法通过诉讼途径处理",
    "逾期信息会按规定报送征信系统",
    "本次通话会被录音",
    "我们不是公安局",
    "如果走诉讼程序,法院会依法判决",
    "您刚才说要报警,这是您的权利",
    "您好,我是XX银行信用卡中心的王经理,工号1234,本次通话会被录音",
]


@pytest.mark.parametrize("text", ZH_COMPLIANT)
def test_normal_collection_wording_has_no_finding(text: str) -> None:
    assert load_rulebook("zh-CN").check(text, CallContext()) == ()


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("我是公 安 局的", "ZH-IMP-001"),
        ("我是法yuan的", "ZH-IMP-002"),
        ("我是律師事務所的", "ZH-IMP-004"),
        ("你已经被法院立案了", "ZH-FAL-001"),
        ("你先转到我个人微信", "ZH-PAY-001"),
    ],
)
def test_evasions_are_caught_with_original_spans(text: str, rule: str) -> None:
    findings = load_rulebook("zh-CN").check(text, CallContext())
    hit = next(f for f in findings if f.rule == rule)
    assert text[hit.start : hit.end] == hit.match
    assert 0 <= hit.start < hit.end <= len(text)


def test_disclosure_depends_on_who_is_on_the_line() -> None:
    book = load_rulebook("zh-CN")
    text = "您目前欠款8,650元"
    assert book.check(text, CallContext(party="debtor", verified=True)) == ()
    for ctx in (
        CallContext(party="debtor", verified=False),
        CallContext(party="third_party"),
        CallContext(party="unknown", verified=False),
    ):
        assert {f.category for f in book.check(text, ctx)} == {"third_party_disclosure"}


@pytest.mark.parametrize(
    ("name", "clock", "flagged"),
    [
        ("zh-CN", time(22, 30), True),
        ("zh-CN", time(21, 30), False),
        ("zh-CN", time(7, 59), True),
        ("zh-CN", time(8, 0), False),
        ("en-US", time(21, 30), True),
        ("en-US", time(20, 59), False),
    ],
)
def test_night_calls(name: str, clock: time, flagged: bool) -> None:
    book = load_rulebook(name)
    text = "您好" if name == "zh-CN" else "Hello."
    first = book.check(text, CallContext(turn=1, time=clock))
    assert any(f.category == "harassment" for f in first) == flagged
    for f in first:
        assert 0 <= f.start <= f.end <= len(text)
    later = book.check(text, CallContext(turn=3, time=clock))
    assert not any(f.category == "harassment" for f in later)
    consent = book.check(text, CallContext(turn=1, time=clock, consent_to_late_call=True))
    assert not any(f.category == "harassment" for f in consent)
    dated = book.check(
        text, CallContext(turn=1, time=datetime(2025, 3, 1, clock.hour, clock.minute))
    )
    assert any(f.category == "harassment" for f in dated) == flagged


def test_customer_turns_are_not_graded() -> None:
    book = load_rulebook("zh-CN")
    assert book.check("我要报警,我是公安局的", CallContext(speaker="customer")) == ()


def test_mini_miranda_uses_history() -> None:
    book = load_rulebook("en-US")
    text = "Your balance is $1,250."
    found = book.check(text, CallContext(turn=1))
    assert [f.severity for f in found] == ["review"]
    assert book.check(text, CallContext(turn=1, history=("This is a debt collector.",))) == ()


def test_findings_are_frozen_sorted_and_serialisable() -> None:
    book = load_rulebook("zh-CN")
    findings = book.check("你这种老赖,我是公安局的", CallContext())
    assert list(findings) == sorted(findings)
    assert [f.start for f in findings] == sorted(f.start for f in findings)
    first = findings[0]
    assert isinstance(first, Finding)
    with pytest.raises(AttributeError):
        first.rule = "x"  # type: ignore[misc]
    data = first.to_json()
    assert data["span"] == [first.start, first.end] and data["citations"]


# ---------------------------------------------------------------- broken rulebooks

RULE = """
  - id: ZH-ABU-901
    category: abuse
    severity: minor
    title: 测试
    message: 测试规则
    suggestion: 请文明用语
    citations: [{instrument: 测试, status: verify}]
    triggers: [笨蛋]
    examples:
      flag: [你个笨蛋, 笨蛋一个, 真是笨蛋]
      pass: [您好, 谢谢]
"""


def _write(tmp_path: Path, text: str, name: str = "book.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _codes(path: Path) -> list[tuple[str, int]]:
    with pytest.raises(ContentError) as info:
        load_rulebook(str(path))
    return [(d.code, d.line) for d in info.value.diagnostics]


def test_valid_custom_rulebook_loads(tmp_path: Path) -> None:
    path = _write(tmp_path, "kind: rulebook\nid: test\nversion: '1'\nlocale: zh-CN\nrules:" + RULE)
    book = load_rulebook(str(path))
    assert [f.rule for f in book.check("你个笨蛋")] == ["ZH-ABU-901"]


def test_unknown_key_is_positioned(tmp_path: Path) -> None:
    body = RULE.replace("    title: 测试", "    titel: 测试")
    path = _write(tmp_path, "kind: rulebook\nid: test\nversion: '1'\nlocale: zh-CN\nrules:" + body)
    assert ("K601", 9) in _codes(path)


def test_bad_regex_is_positioned(tmp_path: Path) -> None:
    body = RULE.replace("    triggers: [笨蛋]", "    triggers: [笨蛋]\n    pattern: '笨(蛋'")
    path = _write(tmp_path, "kind: rulebook\nid: test\nversion: '1'\nlocale: zh-CN\nrules:" + body)
    assert _codes(path) == [("K604", 14)]


def test_failing_example_stops_loading(tmp_path: Path) -> None:
    body = RULE.replace("pass: [您好, 谢谢]", "pass: [您好, 笨蛋]")
    path = _write(tmp_path, "kind: rulebook\nid: test\nversion: '1'\nlocale: zh-CN\nrules:" + body)
    assert [c for c, _ in _codes(path)] == ["K605"]


def test_too_few_examples(tmp_path: Path) -> None:
    body = RULE.replace("flag: [你个笨蛋, 笨蛋一个, 真是笨蛋]", "flag: [你个笨蛋]")
    path = _write(tmp_path, "kind: rulebook\nid: test\nversion: '1'\nlocale: zh-CN\nrules:" + body)
    assert [c for c, _ in _codes(path)] == ["K608"]


def test_unknown_extends(tmp_path: Path) -> None:
    path = _write(tmp_path, "kind: rulebook\nid: bank\nversion: '1'\nextends: nowhere\n")
    assert _codes(path) == [("K606", 4)]


def test_extends_cycle(tmp_path: Path) -> None:
    _write(tmp_path, "kind: rulebook\nid: a\nversion: '1'\nextends: b.yaml\n", "a.yaml")
    path = _write(tmp_path, "kind: rulebook\nid: b\nversion: '1'\nextends: a.yaml\n", "b.yaml")
    assert [c for c, _ in _codes(path)] == ["K606"]


def test_overlay_disables_relevels_and_adds(tmp_path: Path) -> None:
    header = textwrap.dedent("""\
        kind: rulebook
        id: acme-bank
        version: "2025.2"
        extends: zh-CN
        disable: [ZH-FAL-005]
        relevel: {ZH-ABU-001: critical}
        rules:""")
    path = tmp_path / "book.yaml"
    path.write_text(header + RULE, encoding="utf-8")
    book = load_rulebook(str(path))
    ids = {rule.id for rule in book.rules}
    assert "ZH-FAL-005" not in ids and "ZH-ABU-901" in ids and "ZH-IMP-001" in ids
    assert book.rule("ZH-ABU-001").severity == "critical"
    assert book.locale == "zh-CN"
    assert {f.severity for f in book.check("你这种老赖")} == {"critical"}
    assert load_rulebook("zh-CN").rule("ZH-ABU-001").severity == "major"


def test_overlay_names_unknown_rule(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "kind: rulebook\nid: x\nversion: '1'\nextends: zh-CN\ndisable: [ZH-IMP-999]\n"
    )
    assert _codes(path) == [("K610", 5)]


def test_rulebook_is_a_content_kind(tmp_path: Path) -> None:
    from trainer.scenarios.loader import load_content

    typo = RULE.replace("    title: 测试", "    titel: 测试")
    _write(tmp_path, "kind: rulebook\nid: a\nversion: '1'\nlocale: zh-CN\nrules:" + typo, "a.yaml")
    regex = RULE.replace("    triggers: [笨蛋]", "    triggers: [笨蛋]\n    pattern: '笨(蛋'")
    _write(tmp_path, "kind: rulebook\nid: b\nversion: '1'\nlocale: zh-CN\nrules:" + regex, "b.yaml")
    _, diags = load_content([tmp_path])
    codes = {(Path(d.file).name, d.code) for d in diags}
    assert ("a.yaml", "S203") in codes and ("b.yaml", "K604") in codes
