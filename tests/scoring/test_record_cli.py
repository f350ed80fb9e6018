"""The record: debrief, history, report, regrade, export and import from the command line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from browser import screenshot

from trainer.cli import main
from trainer.grading import load_rulebook
from trainer.records.sqlite import DB_NAME, Store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def sessions(home: Path) -> dict[str, dict[str, object]]:
    with Store(home / DB_NAME) as store:
        return {r.id: store.load(r.id).to_json() for r in store.list_sessions()}


# ---------------------------------------------------------------- debrief and history


def test_debrief_text_json_html(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--home", str(home), "debrief", "last")
    assert code == 0 and "Debrief" in out and "Score" in out  # carol's en-US call
    with Store(home / DB_NAME) as store:
        alice = next(
            r
            for r in store.list_sessions(trainee="alice")
            if r.scenario_id == "zh-first-forgetful" and r.ending_id == "ptp_full"
        )
    code, out, _ = run(capsys, "--home", str(home), "debrief", alice.id[:6], "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["score"] == 100 and data["passed"] is True
    assert all(c["met"] for c in data["checks"])
    code, out, _ = run(capsys, "--home", str(home), "debrief", alice.id, "--format", "html")
    assert code == 0 and out.startswith("<!DOCTYPE html>") and "复盘" in out
    assert "<script" not in out and "华信银行" in out


def test_debrief_of_an_unknown_session(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--home", str(home), "debrief", "ffffffff")
    assert code == 2 and out == "" and err.count("\n") == 1 and "no session" in err


def test_debrief_of_an_interrupted_call_covers_what_was_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An in-progress session is debriefed as far as it went, marked unfinished, not failed."""
    home = tmp_path / "home"
    opening = "您好,我是华信银行信用卡中心客户服务部的王丽,工号1024。"
    monkeypatch.setattr("sys.stdin", io.StringIO(opening + "\n"))  # one line, then the call stops
    code, _, err = run(capsys, "--home", str(home), "play", "zh-first-forgetful")
    assert code == 0, err
    code, out, err = run(capsys, "--home", str(home), "debrief", "last")
    assert code == 0, err
    assert "未完成" in out.splitlines()[1] and "通话未结束" in out
    assert "第1轮" in out and opening in out
    assert "unfinished" in err and "--resume" in err
    code, out, _ = run(capsys, "--home", str(home), "debrief", "last", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["finished"] is False and data["passed"] is False
    assert data["ending_id"] is None and data["checks"]
    code, out, _ = run(capsys, "--home", str(home), "debrief", "last", "--format", "html")
    assert code == 0 and "通话未结束" in out


def test_history(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "--home", str(home), "history", "--trainee", "bob", "--format", "json"
    )
    rows = json.loads(out)
    assert code == 0 and [r["trainee"] for r in rows] == ["bob"] * 3
    assert {r["scenario_id"] for r in rows} == {"zh-first-loud", "zh-repeat-partial"}
    assert all(isinstance(r["score"], int) for r in rows)
    assert sorted(r["passed"] for r in rows) == [False, False, True]
    code, out, _ = run(capsys, "--home", str(home), "history")
    assert code == 0 and len(out.splitlines()) == 9 and "FAIL (critical)" in out


# ---------------------------------------------------------------- report


def test_report_csv(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--home", str(home), "report")
    rows = list(csv.DictReader(io.StringIO(out)))
    trainees = {r["name"]: r for r in rows if r["group"] == "trainee"}
    assert code == 0 and set(trainees) == {"alice", "bob", "carol"}
    alice = trainees["alice"]
    assert (alice["attempts"], alice["best"], alice["pass_rate"]) == ("3", "100", "0.667")
    assert "third_party_disclosure" in alice["top_categories"]
    scenario = next(r for r in rows if r["name"] == "zh-first-forgetful")
    assert (scenario["group"], scenario["attempts"], scenario["best"], scenario["latest"]) == (
        "scenario",
        "2",
        "100",
        "100",
    )


def test_report_csv_cells_never_run_as_formulas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "h"
    home.mkdir()
    with Store(home / DB_NAME) as store:
        sid = store.create_session(scenario_id="zh-first-forgetful", trainee='=HYPERLINK("x")')
        store.finish(sid, ending_id="ptp_full", outcome="promise_to_pay")
    code, out, _ = run(capsys, "--home", str(home), "report", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    names = [r["name"] for r in rows if r["group"] == "trainee"]
    assert code == 0 and names == ['\'=HYPERLINK("x")']


def test_report_cohorts_and_since(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--home", str(home), "report", "--define-cohort", "zh=alice,bob")
    assert code == 0 and "cohort zh" in err
    code, out, _ = run(capsys, "--home", str(home), "report", "--cohort", "zh", "--format", "json")
    data = json.loads(out)
    assert [t["name"] for t in data["trainees"]] == ["alice", "bob"] and data["sessions"] == 6
    code, out, _ = run(
        capsys, "--home", str(home), "report", "--cohort", "car*", "--format", "json"
    )
    assert [t["name"] for t in json.loads(out)["trainees"]] == ["carol"]
    code, out, _ = run(
        capsys, "--home", str(home), "report", "--since", "2999-01-01", "--format", "json"
    )
    assert json.loads(out)["sessions"] == 0
    code, _, err = run(capsys, "--home", str(home), "report", "--since", "yesterday")
    assert code == 2 and "YYYY-MM-DD" in err


def test_report_html_is_self_contained(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.html"
    code, _, _ = run(capsys, "--home", str(home), "report", "--format", "html", "-o", str(target))
    page = target.read_text(encoding="utf-8")
    assert code == 0 and page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") >= 4 and "<polyline" in page and "<rect" in page
    without_namespace = page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for needle in ("http://", "https://", "<script", "<link", " src=", "@import", "url("):
        assert needle not in without_namespace
    for name in ("alice", "bob", "carol", "首次联系", "third_party_disclosure"):
        assert name in page


def test_report_html_renders_in_a_headless_browser(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page, shot = tmp_path / "report.html", tmp_path / "report.png"
    run(capsys, "--home", str(home), "report", "--format", "html", "-o", str(page))
    data = screenshot(page, shot)
    assert data.startswith(b"\x89PNG") and len(data) > 20_000


# ---------------------------------------------------------------- regrade


def _overlay(tmp_path: Path, locale: str, body: str) -> Path:
    path = tmp_path / f"overlay-{locale}.yaml"
    path.write_text(
        f'kind: rulebook\nid: {locale}-overlay\nversion: "t1"\nextends: {locale}\n{body}',
        encoding="utf-8",
    )
    return path


def _with_rule(home: Path, rule: str) -> set[str]:
    with Store(home / DB_NAME) as store:
        return {
            r.id
            for r in store.list_sessions()
            if any(f["rule"] == rule for t in store.load(r.id).turns for f in t.findings)
        }


def test_regrade_lists_exactly_the_affected_sessions(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sessions(home)
    expected = _with_rule(home, "ZH-THR-002")
    assert expected  # bob's threatening call
    # the threat's pattern rule and the model rule that would otherwise catch it instead
    overlay = _overlay(tmp_path, "zh-CN", "disable: [ZH-THR-002, ZH-THR-090]\n")
    code, out, _ = run(
        capsys, "--home", str(home), "regrade", "--rules", str(overlay), "--format", "json"
    )
    data = json.loads(out)
    assert code == 0 and {c["session_id"] for c in data["changes"]} == expected
    (change,) = data["changes"]
    assert change["removed"][0]["rule"] == "ZH-THR-002" and change["added"] == []
    assert change["recorded_with"] == f"zh-CN {load_rulebook('zh-CN').version}"
    assert change["regraded_with"] == "zh-CN-overlay t1"
    assert data["checked"] == 6 and len(data["skipped"]) == 3  # the en-US calls
    assert sessions(home) == before  # originals untouched


def test_regrade_reports_a_verdict_that_flips(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sessions(home)
    expected = _with_rule(home, "EN-TPD-001")
    overlay = _overlay(tmp_path, "en-US", "relevel: {EN-TPD-001: minor}\n")
    code, out, _ = run(
        capsys,
        "--home",
        str(home),
        "regrade",
        "--rules",
        str(overlay),
        "--format",
        "json",
        "--exit-code",
    )
    data = json.loads(out)
    assert code == 1 and {c["session_id"] for c in data["changes"]} == expected
    (change,) = data["changes"]
    assert change["old"]["passed"] is False and change["new"]["passed"] is True
    assert change["added"][0]["severity"] == "minor"
    assert change["removed"][0]["severity"] == "critical"
    assert sessions(home) == before
    code, out, _ = run(capsys, "--home", str(home), "regrade", "--exit-code")
    assert code == 0 and out.startswith("0 of 9 sessions would change")


def test_regrade_with_another_scorecard(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    card = tmp_path / "strict.yaml"
    card.write_text(
        "kind: scorecard\nid: zh-strict\nlocale: zh-CN\nstages: [first_contact]\n"
        "extends: zh-first-contact\nchecks:\n  - id: exact_recording_notice\n"
        "    title: 用标准话术告知录音\n    weight: 100\n"
        "    detect: {text_matches: {keywords: [本次通话全程录音]}}\n",
        encoding="utf-8",
    )
    code, out, _ = run(
        capsys, "--home", str(home), "regrade", "--scorecard", str(card), "--format", "json"
    )
    data = json.loads(out)
    changed = {c["scenario_id"] for c in data["changes"]}
    # alice said "这通电话是有录音的" (passed before, fails now); bob used the standard notice
    assert code == 0 and changed == {"zh-first-forgetful"}
    assert all(c["new"]["passed"] is False for c in data["changes"])


# ---------------------------------------------------------------- export, audit, import


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_export_then_audit_gives_the_live_findings(
    home: Path, tmp_path: Path, locale: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(home / DB_NAME) as store:
        records = [store.load(r.id) for r in store.list_sessions() if r.locale == locale]
    target = tmp_path / "calls.jsonl"
    code, _, _ = run(
        capsys,
        "--home",
        str(home),
        "export",
        "--session",
        *[r.id for r in records],
        "-o",
        str(target),
    )
    assert code == 0
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert {"id", "call_id", "turn", "speaker", "text", "party", "verified", "time", "lang"} <= set(
        lines[0]
    )
    code, out, _ = run(
        capsys, "audit", str(target), "--rules", locale, "--format", "json", "--fail-on", "never"
    )
    audited = sorted(
        (h["call_id"], h["turn"], h["rule"], tuple(h["span"])) for h in json.loads(out)["findings"]
    )
    live = sorted(
        (r.id, t.index, f["rule"], tuple(f["span"]))
        for r in records
        for t in r.turns
        for f in t.findings
    )
    assert code == 0 and live and audited == live


def test_export_import_round_trip(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "all.jsonl"
    run(capsys, "--home", str(home), "export", "-o", str(target))
    other = tmp_path / "other-home"
    code, _, err = run(capsys, "--home", str(other), "import", str(target))
    assert code == 0 and "imported 9 sessions" in err
    assert sessions(other) == sessions(home)
    code, _, err = run(capsys, "--home", str(other), "import", str(target))
    assert code == 2 and "already exists" in err
    assert run(capsys, "--home", str(other), "import", str(target), "--replace")[0] == 0
    with Store(home / DB_NAME) as store:
        last = store.list_sessions(limit=1)[0].id
    first = run(capsys, "--home", str(home), "debrief", last, "--format", "json")[1]
    second = run(capsys, "--home", str(other), "debrief", last, "--format", "json")[1]
    assert first == second


def test_import_of_a_malformed_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"call_id": "a", "turn": 0, "speaker": "agent", "text": "hi"}\n{oops\n', encoding="utf-8"
    )
    code, _, err = run(capsys, "--home", str(tmp_path / "h"), "import", str(bad))
    assert code == 2 and f"{bad}:2:" in err and err.count("\n") == 1
    bad.write_text(
        '{"call_id": "a", "turn": 0, "speaker": "agent", "text": "hi"}\n', encoding="utf-8"
    )
    code, _, err = run(capsys, "--home", str(tmp_path / "h"), "import", str(bad))
    assert code == 2 and "no session header" in err


def test_sessions_record_rulebook_and_scenario_hash(home: Path) -> None:
    from scorecard_helpers import shipped

    from trainer.engine.session import scenario_hash

    with Store(home / DB_NAME) as store:
        for row in store.list_sessions():
            scenario = shipped().scenarios[row.scenario_id]
            book = load_rulebook(scenario.locale)
            assert (row.rulebook_id, row.rulebook_version) == (book.id, book.version)
            assert row.scenario_hash == scenario_hash(scenario)


def test_history_aligns_columns_by_display_width(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chinese names take two columns a character; the columns after them still line up."""
    from trainer.cli.util import display_width

    assert display_width("王丽") == 4 and display_width("alice") == 5
    assert display_width("e\u0301") == 1  # a combining accent takes no column
    home = tmp_path / "home"
    for trainee in ("王丽", "alice", "欧阳娜娜娜娜娜娜", "李"):
        monkeypatch.setattr("sys.stdin", io.StringIO("您好\n"))
        code, _, err = run(
            capsys, "--home", str(home), "play", "zh-first-forgetful", "--trainee", trainee
        )
        assert code == 0, err
    code, out, _ = run(capsys, "--home", str(home), "history")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 4
    starts = {display_width(line[: line.index("zh-first-forgetful")]) for line in lines}
    ends = {display_width(line[: line.index("in_progress")]) for line in lines}
    assert len(starts) == 1 and len(ends) == 1, out


def test_debrief_numbers_turns_as_the_app_and_names_the_outcome(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``trainer debrief`` counts the trainee's own lines, as the app's 第 N 轮 does, and
    names the outcome in the scenario's language."""
    from trainer.services.content import load_content
    from trainer.services.debrief_view import debrief_for

    with Store(home / DB_NAME) as store:
        summary = next(
            r
            for r in store.list_sessions(trainee="alice")
            if r.scenario_id == "zh-first-forgetful" and r.ending_id == "ptp_full"
        )
        record = store.load(summary.id)
    code, out, _ = run(capsys, "--home", str(home), "debrief", record.id)
    assert code == 0
    assert "结果: 承诺还款 (ptp_full)" in out
    code, raw, _ = run(capsys, "--home", str(home), "debrief", record.id, "--format", "json")
    checks = json.loads(raw)["checks"]
    agent_lines = [t.index for t in record.turns if t.speaker == "agent"]
    late = max((c for c in checks if c["turn"] in agent_lines), key=lambda c: c["turn"])
    assert late["turn"] > agent_lines.index(late["turn"]) + 1  # the numberings differ here
    own = agent_lines.index(late["turn"]) + 1  # the trainee's own line number
    assert f"{late['title']} ({late['weight']}) [第{own}轮]" in out
    content, _ = load_content()
    view = debrief_for(record, content.scenarios[record.scenario_id], content)
    assert view.agent_turn(late["turn"]) == own  # the app's debrief says the same
