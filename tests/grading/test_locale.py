"""``trainer audit`` grades each input with the rulebook of its own locale.

Without ``--rules``: a content file by its ``locale:``, a transcript record by
its ``lang``, a plain-text script by its script; ``--rules`` overrides all.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trainer.cli import main
from trainer.grading.books import BookSet, locale_of
from trainer.paths import content_root

EN_BAD = "We'll be watching you, so pay today."  # EN-THR-001
ZH_BAD = "我是公安局经侦大队的"  # ZH-IMP-001


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = main(["audit", *args, "--format", "json"])
    out, _ = capsys.readouterr()
    return code, json.loads(out)


@pytest.mark.parametrize(
    ("lang", "locale"),
    [
        ("en", "en-US"),
        ("EN_us", "en-US"),
        ("zh", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        (None, "zh-CN"),
        ("", "zh-CN"),
        ("fr-FR", "zh-CN"),
        (3, "zh-CN"),
    ],
)
def test_lang_values(lang: object, locale: str) -> None:
    assert locale_of(lang) == locale


def test_jsonl_records_use_their_lang(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "calls.jsonl"
    rows = [
        {"id": "z", "call_id": "c1", "speaker": "agent", "text": ZH_BAD},
        {"id": "e", "call_id": "c2", "speaker": "agent", "text": EN_BAD, "lang": "en-US"},
        {"id": "e2", "call_id": "c3", "speaker": "agent", "text": ZH_BAD, "lang": "en"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    code, report = _run(capsys, str(path))
    assert code == 1
    found = {(f["record"], f["rule"]) for f in report["findings"]}  # type: ignore[union-attr]
    assert found == {("z", "ZH-IMP-001"), ("e", "EN-THR-001")}
    assert {b["id"] for b in report["rulebooks"]} == {"zh-CN", "en-US"}  # type: ignore[union-attr]
    # --rules fixes one book for every record
    code, report = _run(capsys, str(path), "--rules", "zh-CN")
    assert {f["rule"] for f in report["findings"]} == {"ZH-IMP-001"}  # type: ignore[union-attr]
    assert [b["id"] for b in report["rulebooks"]] == ["zh-CN"]  # type: ignore[index]


def test_plain_text_without_chinese_is_en_us(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "en.txt").write_text(f"Hello, this is Jane.\n{EN_BAD}\n", encoding="utf-8")
    (tmp_path / "zh.txt").write_text(f"您好\n{ZH_BAD}\n", encoding="utf-8")
    code, report = _run(capsys, str(tmp_path))
    assert code == 1
    rules = {(Path(str(f["file"])).name, f["rule"]) for f in report["findings"]}  # type: ignore[union-attr]
    assert rules == {("en.txt", "EN-THR-001"), ("zh.txt", "ZH-IMP-001")}


WORDING = """\
kind: wording
locale: en-US
wording:
  close_politely:
    stage: close
    text: "{text}"
    why: test
"""


def test_wording_file_uses_its_locale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.yaml").write_text(WORDING.format(text=EN_BAD), encoding="utf-8")
    code, report = _run(capsys, "w.yaml")
    assert code == 1
    assert [f["rule"] for f in report["findings"]] == ["EN-THR-001"]  # type: ignore[union-attr]
    code, report = _run(capsys, "w.yaml", "--rules", "zh-CN")
    assert code == 0 and report["findings"] == []


def test_shipped_content_is_clean_in_both_locales(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _run(capsys, str(content_root()))
    summary = report["summary"]
    assert code == 0, report["findings"]
    assert report["findings"] == [] and summary["errors"] == 0  # type: ignore[index]
    assert summary["audited"] > 500  # type: ignore[index]
    assert {b["id"] for b in report["rulebooks"]} == {"zh-CN", "en-US"}  # type: ignore[union-attr]


def test_bookset_finds_rules_of_books_loaded_elsewhere() -> None:
    books = BookSet()
    assert books.rule("EN-THR-001").category == "threat"
    assert books.rule("ZH-IMP-001").category == "impersonation"
    with pytest.raises(KeyError):
        books.rule("XX-IMP-001")
