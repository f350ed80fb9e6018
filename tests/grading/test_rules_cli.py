"""``trainer rules test|list|show``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trainer.cli import main


def test_rules_test_passes_for_shipped_rulebooks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "test"]) == 0
    out = capsys.readouterr().out
    assert "rulebook zh-CN" in out and "rulebook en-US" in out
    assert "0 failure(s): PASS" in out
    assert "ZH-IMP-001" in out and "impersonation" in out


def test_rules_test_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "test", "en-US", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["en-US"]["ok"] is True
    assert data["en-US"]["categories"]["impersonation"]["fn"] == 0


def test_rules_test_fails_on_a_bad_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = tmp_path / "bank.yaml"
    book.write_text(
        """\
kind: rulebook
id: bank
version: "1"
extends: zh-CN
rules:
  - id: ZH-ABU-901
    category: abuse
    severity: minor
    title: 测试
    message: 测试
    suggestion: 请文明用语
    citations: [{instrument: 测试, status: verify}]
    triggers: [笨蛋]
    examples:
      flag: [你个笨蛋, 笨蛋一个, 你真聪明]
      pass: [您好, 谢谢]
""",
        encoding="utf-8",
    )
    assert main(["rules", "test", str(book)]) == 1
    out = capsys.readouterr().out
    assert "ZH-ABU-901 flag[2] should be flagged: '你真聪明'" in out
    assert "FAIL" in out


def test_rules_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list", "zh-CN", "--category", "impersonation"]) == 0
    out = capsys.readouterr().out
    assert "ZH-IMP-001" in out and "ZH-THR-001" not in out
    assert main(["rules", "show", "EN-TPD-001"]) == 0
    out = capsys.readouterr().out
    assert "third_party_disclosure" in out and "1692" in out and "party=third_party" in out
    assert main(["rules", "show", "ZH-NOPE-001"]) == 2
