"""One source for the vocabularies: adding a rule category touches `trainer.vocab`, the
rulebook data and the i18n labels only.

The scratch category ``data_privacy`` (code PRV) is registered here the way a new
category would be added, and then every layer that handles categories is exercised:
rulebook schema and rule ids, the grader, breach facts in scenario conditions, the
scorecard's finding detector, the audit summary and the app's labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest

from trainer import vocab

RULEBOOK = """\
kind: rulebook
id: scratch-zh-CN
title: 临时规则
version: "1"
locale: zh-CN
rules:
  - id: ZH-PRV-001
    category: data_privacy
    severity: major
    title: 泄露身份证号
    message: 坐席在电话里念出了客户完整的身份证号。
    suggestion: 请您报一下身份证后四位,我核对一下。
    citations:
      - {instrument: 《个人信息保护法》, article: 第10条, status: verified}
    triggers: [身份证号是]
    examples:
      flag: [您的身份证号是110101199001011234, 我看到身份证号是1101开头的, 身份证号是多少我这里都有]
      pass: [请您报一下身份证后四位, 我不会在电话里念您的证件号码]
"""


@pytest.fixture
def scratch_category(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``data_privacy`` registered in the vocabulary and labelled in the app."""
    from trainer.tui import i18n

    vocab.add_category("data_privacy", "PRV")
    monkeypatch.setitem(i18n.STRINGS, "category.data_privacy", ("泄露个人信息", "data privacy"))
    yield "data_privacy"
    del vocab.CATEGORIES["data_privacy"]


def test_type_aliases_match_the_tuples() -> None:
    assert get_args(vocab.Party) == vocab.PARTIES
    assert get_args(vocab.Severity) == vocab.SEVERITIES
    assert get_args(vocab.Locale) == vocab.LOCALES
    assert get_args(vocab.Speaker) == vocab.SPEAKERS
    assert get_args(vocab.CallStage) == vocab.CALL_STAGES
    assert get_args(vocab.ScenarioStage) == vocab.SCENARIO_STAGES
    assert set(vocab.SEVERITY_RANK) == set(vocab.SEVERITIES)


def test_add_category_refuses_bad_names_and_taken_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vocab, "CATEGORIES", dict(vocab.CATEGORIES))
    with pytest.raises(ValueError, match="already belongs to 'threat'"):
        vocab.add_category("menace", "THR")
    with pytest.raises(ValueError, match="three-letter"):
        vocab.add_category("data privacy", "prv")


def test_a_scratch_category_works_end_to_end(scratch_category: str, tmp_path: Path) -> None:
    from trainer.audit.formats import summary
    from trainer.audit.run import AuditResult, Hit
    from trainer.grading import CallContext, load_rulebook
    from trainer.scenarios.lint import breach_facts
    from trainer.scoring.detectors import FindingParams
    from trainer.tui.i18n import label

    path = tmp_path / "scratch.yaml"
    path.write_text(RULEBOOK, encoding="utf-8")
    book = load_rulebook(path)  # schema, rule id and examples accept the new category
    findings = book.check(
        "您的身份证号是110101199001011234", CallContext(party="debtor", verified=True)
    )
    assert [(f.rule, f.category) for f in findings] == [("ZH-PRV-001", scratch_category)]
    assert f"breach_{scratch_category}" in breach_facts()  # usable in `exits: when:`
    assert FindingParams(category=scratch_category).category == scratch_category
    result = AuditResult()
    result.hits.append(
        Hit(record="r1", call_id=None, turn=None, file="f", line=1, column=1, finding=findings[0])
    )
    assert summary(result, "major")["by_category"] == {scratch_category: 1}
    assert label("zh", "category", scratch_category) == "泄露个人信息"


def test_an_unknown_category_is_still_refused(tmp_path: Path) -> None:
    from trainer.diagnostics import ContentError
    from trainer.grading import load_rulebook

    path = tmp_path / "scratch.yaml"
    path.write_text(RULEBOOK, encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_rulebook(path)
    found = {(d.code, d.line, d.message.split(":")[0]) for d in info.value.diagnostics}
    assert found == {("K603", 7, "'rules[0].id'"), ("K603", 8, "'rules[0].category'")}
