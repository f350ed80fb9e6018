"""``trainer audit`` on every input kind and format, with its exit codes."""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from trainer.cli import main

GOOD = "您好,我是XX银行信用卡中心的王经理,工号1234"
BAD = "我是公安局经侦大队的"  # impersonation, critical
MINOR = "工号不能告诉你"  # identity, minor


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["audit", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _jsonl(path: Path, rows: list[dict[str, object] | str]) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_clean_jsonl_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _jsonl(
        tmp_path / "calls.jsonl",
        [
            {"id": "r1", "call_id": "c1", "turn": 1, "speaker": "agent", "text": GOOD},
            {"id": "r2", "call_id": "c1", "turn": 2, "speaker": "customer", "text": BAD},
            {
                "id": "r3",
                "call_id": "c1",
                "turn": 3,
                "speaker": "agent",
                "text": "您目前欠款8,650元",
                "party": "debtor",
                "verified": True,
                "extra": "ignored",
            },
        ],
    )
    code, out, _ = _run(capsys, str(path), "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert report["version"] == 1 and report["rulebook"]["id"] == "zh-CN"
    assert report["summary"]["audited"] == 2 and report["summary"]["skipped"] == 1
    assert report["findings"] == []


def test_jsonl_findings_json_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _jsonl(
        tmp_path / "calls.jsonl",
        [
            {"id": "r1", "call_id": "c1", "turn": 1, "speaker": "agent", "text": BAD},
            {
                "call_id": "c2",
                "turn": 1,
                "speaker": "agent",
                "text": "您目前欠款8,650元",
                "party": "third_party",
            },
        ],
    )
    code, out, _ = _run(capsys, str(path), "--format", "json")
    assert code == 1
    findings = json.loads(out)["findings"]
    keys = {
        "record",
        "call_id",
        "turn",
        "file",
        "line",
        "column",
        "rule",
        "category",
        "severity",
        "span",
        "match",
        "message",
        "suggestion",
        "citations",
    }
    assert all(keys <= set(f) for f in findings)
    first = findings[0]
    assert first["record"] == "r1" and first["category"] == "impersonation"
    assert first["line"] == 1 and BAD[first["span"][0] : first["span"][1]] == first["match"]
    raw = path.read_text(encoding="utf-8").splitlines()[0]
    assert raw[first["column"] - 1 :].startswith(first["match"])
    second = next(f for f in findings if f["call_id"] == "c2")
    assert second["record"].endswith("calls.jsonl:2")
    assert second["category"] == "third_party_disclosure"


def test_malformed_record_reports_line_and_audits_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _jsonl(
        tmp_path / "calls.jsonl",
        [
            {"id": "r1", "speaker": "agent", "text": GOOD},
            '{"id": "r2", "speaker": "agent", "text": ',
            {"id": "r3", "speaker": "robot", "text": GOOD},
            {"id": "r4", "speaker": "agent", "text": BAD},
        ],
    )
    code, out, err = _run(capsys, str(path), "--format", "json")
    assert code == 2
    assert f"{path}:2:" in err and "K651" in err
    assert f"{path}:3:" in err and "K652" in err
    report = json.loads(out)
    assert [f["record"] for f in report["findings"]] == ["r4"]
    assert report["summary"]["errors"] == 2


def test_fail_on_levels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "script.txt"
    path.write_text(f"{GOOD}\n{MINOR}\n", encoding="utf-8")
    assert _run(capsys, str(path))[0] == 0  # default --fail-on major
    assert _run(capsys, str(path), "--fail-on", "minor")[0] == 1
    path.write_text(f"{BAD}\n", encoding="utf-8")
    assert _run(capsys, str(path), "--fail-on", "critical")[0] == 1
    assert _run(capsys, str(path), "--fail-on", "never")[0] == 0


def test_plain_text_and_sniffing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "script"
    path.write_text(f"{GOOD}\n\n{BAD}\n", encoding="utf-8")
    code, out, _ = _run(capsys, str(path))
    assert code == 1
    assert f"{path}:3:3: critical ZH-IMP-001 [impersonation]" in out
    sniffed = tmp_path / "calls.log"
    sniffed.write_text(
        json.dumps({"speaker": "agent", "text": BAD}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    code, out, _ = _run(capsys, str(sniffed), "--format", "json")
    assert json.loads(out)["findings"][0]["record"].endswith("calls.log:1")


def test_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(
        "id,call_id,turn,speaker,text,party,verified,time\n"
        f'a,c1,1,agent,"{GOOD}",debtor,true,2025-03-01T10:00:00\n'
        f"b,c1,2,customer,{BAD},,,\n"
        'c,c1,3,agent,"您目前欠款8,650元",debtor,false,\n'
        "d,c1,4,agent,您好,debtor,maybe,\n",
        encoding="utf-8",
    )
    code, out, err = _run(capsys, str(path), "--format", "json")
    assert code == 2 and f"{path}:5:" in err
    findings = json.loads(out)["findings"]
    assert [(f["record"], f["category"], f["line"]) for f in findings] == [
        ("c", "third_party_disclosure", 4)
    ]


def test_night_call_from_iso_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _jsonl(
        tmp_path / "night.jsonl",
        [
            {
                "id": "n1",
                "call_id": "c9",
                "speaker": "customer",
                "text": "喂?",
                "time": "2025-03-01T23:10:00+08:00",
            },
            {
                "id": "n2",
                "call_id": "c9",
                "speaker": "agent",
                "text": GOOD,
                "time": "2025-03-01T23:10:05+08:00",
            },
            {
                "id": "n3",
                "call_id": "c9",
                "speaker": "agent",
                "text": GOOD,
                "time": "2025-03-01T23:11:00+08:00",
            },
        ],
    )
    code, out, _ = _run(capsys, str(path), "--format", "json")
    assert code == 1
    assert [f["record"] for f in json.loads(out)["findings"]] == ["n2"]


SCENARIO = """\
kind: scenario
id: audit-demo
title: 审计示例
locale: zh-CN
stage: first_contact
persona: demo
answerer: debtor
difficulty: easy
briefing:
  debtor_name: 李明
  honorific: 李先生
  institution: XX银行
  unit: 信用卡中心
  agent_name: 王经理
  amount_owed: 8650
  minimum_payment: 865
  days_past_due: 20
  bucket: M1
  card_last4: "1234"
  channel: 官方App
limits: {max_turns: 10, on_limit: done}
start: open
nodes:
  open:
    stage: opening
    say: 喂?
    moves:
      - {intent: greet_identify, goto: amount, establishes: [verifies_identity]}
    options:
      - text: 您好,我是XX银行信用卡中心的王经理,请问是李明先生本人吗?
        quality: best
        why: 标准开场
        intent: greet_identify
      - text: 我是公安局的,你欠钱不还
        quality: poor
        why: 冒充公安,且未核实身份就提欠款
        intent: greet_identify
  amount:
    stage: purpose
    say: 是我,什么事?
    moves:
      - {intent: state_purpose, goto: done}
    options:
      - text: 您目前欠款8,650元,今天能安排还款吗?
        quality: best
        why: 核实后说明金额
        intent: state_purpose
      - text: 钱直接打到我卡上就行
        quality: acceptable
        why: (故意写错,用来测试审计)
        intent: state_purpose
endings:
  done: {outcome: promise_to_pay}
"""


def test_scenario_audits_approved_options_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo.yaml").write_text(SCENARIO, encoding="utf-8")
    code, out, err = _run(capsys, "demo.yaml", "--format", "json")
    report = json.loads(out)
    assert code == 1, err
    assert report["summary"]["audited"] == 3  # poor option not audited
    (finding,) = report["findings"]
    assert finding["record"] == "audit-demo/amount/2" and finding["category"] == "improper_payment"
    line = SCENARIO.splitlines()[finding["line"] - 1]
    assert line[finding["column"] - 1 :].startswith(finding["match"])


def test_wording_library_and_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    sub = tmp_path / "lib" / "deep"
    sub.mkdir(parents=True)
    (sub / "wording.yaml").write_text(
        textwrap.dedent("""\
        kind: wording
        locale: zh-CN
        wording:
          opening.std:
            stage: opening
            text: 您好,我是XX银行信用卡中心的王经理,请问是李明先生本人吗?
            why: 标准开场
          purpose.bad:
            stage: opening
            text: 您欠我们8,650元
            why: 核实前不能说金额(测试用)
        """),
        encoding="utf-8",
    )
    (tmp_path / "lib" / "notes.md").write_text(BAD, encoding="utf-8")  # not an input kind
    code, out, _ = _run(capsys, "lib", "--format", "json")
    report = json.loads(out)
    assert code == 1
    assert [(f["record"], f["category"]) for f in report["findings"]] == [
        ("wording/zh-CN/purpose.bad", "third_party_disclosure")
    ]


def test_broken_scenario_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text(SCENARIO.replace("title:", "titel:"), encoding="utf-8")
    code, _, err = _run(capsys, "bad.yaml")
    assert code == 2 and "bad.yaml:3:1" in err


def test_missing_path_and_broken_rulebook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, str(tmp_path / "nope.jsonl"))
    assert code == 2 and "K650" in err
    book = tmp_path / "book.yaml"
    book.write_text("kind: rulebook\nid: x\nversion: '1'\nextends: nowhere\n", encoding="utf-8")
    script = tmp_path / "s.txt"
    script.write_text(GOOD + "\n", encoding="utf-8")
    code, _, err = _run(capsys, str(script), "--rules", str(book))
    assert code == 2 and f"{book}:4:" in err and "K606" in err
    code, _, err = _run(capsys, str(script), "--rules", "xx-XX")
    assert code == 2 and "K606" in err


def _findings_file(tmp_path: Path) -> Path:
    return _jsonl(
        tmp_path / "calls.jsonl",
        [
            {"id": "r1", "call_id": "c1", "speaker": "agent", "text": BAD},
            {"id": "r2", "call_id": "c1", "speaker": "agent", "text": MINOR},
            {"id": "r3", "call_id": "c1", "speaker": "agent", "text": GOOD},
        ],
    )


def test_sarif(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, str(_findings_file(tmp_path)), "--format", "sarif")
    assert code == 1
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert set(rule_ids) == {"ZH-IMP-001", "ZH-IDN-003"}
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"ZH-IMP-001": "error", "ZH-IDN-003": "warning"}
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1


def test_junit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, str(_findings_file(tmp_path)), "--format", "junit")
    assert code == 1
    root = ET.fromstring(out)
    assert root.tag == "testsuites"
    cases = root.findall(".//testcase")
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["r1"]  # the minor finding does not fail at the default level
    assert root.get("failures") == "1"


def test_github(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, str(_findings_file(tmp_path)), "--format", "github")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("::error file=") and ",line=1," in lines[0]
    assert "title=ZH-IMP-001 impersonation::" in lines[0]
    assert lines[1].startswith("::warning file=")


def test_jobs_give_the_same_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import trainer.audit.run as audit

    monkeypatch.setattr(audit, "CHUNK_BYTES", 2048)
    rows: list[dict[str, object] | str] = []
    for i in range(400):
        text = BAD if i % 7 == 0 else GOOD
        rows.append({"id": f"r{i}", "call_id": f"c{i // 5}", "speaker": "agent", "text": text})
    rows.insert(100, "{broken")
    path = _jsonl(tmp_path / "big.jsonl", rows)
    one = _run(capsys, str(path), "--format", "json")
    many = _run(capsys, str(path), "--format", "json", "--jobs", "2")
    assert one[0] == many[0] == 2
    assert json.loads(one[1])["findings"] == json.loads(many[1])["findings"]
    assert json.loads(many[1])["summary"]["audited"] == 400
    assert one[2] == many[2] and f"{path}:101:" in many[2]


def test_audit_text_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "out" / "report.txt"
    report.parent.mkdir()
    code, out, _ = _run(capsys, str(_findings_file(tmp_path)), "-o", str(report))
    assert code == 1 and out == ""
    assert "ZH-IMP-001" in report.read_text(encoding="utf-8")
