"""The engine's CLI: play (script, json, guided, resume), test, explore, graph."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from engine_helpers import FIXTURES, ZH

from trainer.cli import main
from trainer.engine.graph import check_mermaid

GOOD = [
    "您好,我是示例银行信用卡中心的小王,工号1024",
    "请问您是李明先生本人吗?",
    "您的信用卡已经逾期12天了,欠款3256.40元",
    "理解,工作忙难免会忘记",
    "您可以通过手机银行App还款",
    "请问具体哪天能还上?",
    "跟您确认一下,明天下午通过App还款3256.40元",
    "感谢您的配合,再见",
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_play_script_json(tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "call.txt"
    script.write_text("# a comment\n\n" + "\n".join(GOOD) + "\n", encoding="utf-8")
    code, out, err = run(
        capsys,
        "--home",
        str(home),
        "play",
        ZH,
        "--content",
        str(FIXTURES),
        "--script",
        str(script),
        "--format",
        "json",
        "--seed",
        "7",
        "--rules",
        "none",
    )
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"scenario", "seed", "mode", "turns", "meters", "ending"}
    assert data["ending"] == {"id": "ptp_secured", "outcome": "promise_to_pay"}
    assert data["mode"] == "free" and data["seed"] == 7
    assert data["turns"][1] == {
        "speaker": "agent",
        "text": GOOD[0],
        "node": "opening",
        "intent": "greet_identify",
        "findings": [],
    }
    assert "session " in err and (home / "trainer.db").exists()


def test_play_guided_text_and_scenario_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = FIXTURES / "zh-CN" / "scenarios" / "first_contact" / f"{ZH}.yaml"
    script = tmp_path / "choices.txt"
    script.write_text("greet_identify\n1\n", encoding="utf-8")
    code, out, err = run(
        capsys,
        "play",
        str(path),
        "--guided",
        "--seed",
        "3",
        "--script",
        str(script),
        "--no-save",
        "--rules",
        "none",
    )
    assert code == 0, err
    assert "= greet_identify (1.00)" in out
    assert "(通话未结束:停在节点" in out


def test_play_bad_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "play", "no-such-scenario", "--content", str(FIXTURES), "--no-save")
    assert code == 2 and "unknown scenario 'no-such-scenario'" in err
    script = tmp_path / "s.txt"
    script.write_text("9\n", encoding="utf-8")
    code, _, err = run(
        capsys,
        "play",
        ZH,
        "--content",
        str(FIXTURES),
        "--guided",
        "--script",
        str(script),
        "--no-save",
        "--rules",
        "none",
    )
    assert code == 2 and f"{script}:1: choice 9 is not between 1 and 2" in err
    code, _, err = run(
        capsys,
        "play",
        ZH,
        "--content",
        str(FIXTURES),
        "--set",
        "anger",
        "--no-save",
        "--script",
        str(script),
    )
    assert code == 2 and "METER=NUMBER" in err
    code, _, err = run(
        capsys,
        "play",
        ZH,
        "--content",
        str(FIXTURES),
        "--from",
        "nowhere",
        "--no-save",
        "--script",
        str(script),
        "--rules",
        "none",
    )
    assert code == 2 and "nowhere" in err and "Traceback" not in err


def test_play_resume(tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = tmp_path / "first.txt"
    first.write_text("\n".join(GOOD[:3]) + "\n", encoding="utf-8")
    code, _, err = run(
        capsys,
        "--home",
        str(home),
        "play",
        ZH,
        "--content",
        str(FIXTURES),
        "--script",
        str(first),
        "--seed",
        "7",
        "--rules",
        "none",
    )
    assert code == 0
    sid = err.split("session ")[1].split()[0]
    rest = tmp_path / "rest.txt"
    rest.write_text("\n".join(GOOD[3:]) + "\n", encoding="utf-8")
    code, out, err = run(
        capsys,
        "--home",
        str(home),
        "play",
        "--resume",
        sid,
        "--content",
        str(FIXTURES),
        "--script",
        str(rest),
        "--format",
        "json",
        "--rules",
        "none",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["ending"]["id"] == "ptp_secured"
    assert len([t for t in data["turns"] if t["speaker"] == "agent"]) == len(GOOD)


def test_test_command_passes_and_fails_readably(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "test", "--content", str(FIXTURES), "--rules", "none")
    assert code == 0, out + err
    assert "3 passed, 0 failed" in out
    broken = tmp_path / "broken.golden.yaml"
    broken.write_text(
        "kind: golden\nscenario: zh-fixture-forgetful\ntranscripts:\n"
        "  - name: wrong expectation\n    steps:\n"
        "      - say: 您好,我是示例银行信用卡中心的小王,工号1024\n"
        "        expect: {node: purpose, intent: confirm_identity, meters: {trust: '<= 50'}}\n"
        "    ending: ptp_secured\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "test", str(broken), "--content", str(FIXTURES), "--rules", "none")
    assert code == 1
    assert "FAIL zh-fixture-forgetful › wrong expectation" in out
    assert "step 1: say '您好,我是示例银行信用卡中心的小王,工号1024'" in out
    assert "node" in out and "expected purpose" in out and "got      verify" in out
    assert "expected confirm_identity" in out and "got      greet_identify" in out
    assert "meters.trust" in out and "got      55" in out


def test_test_command_expected_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An expected violation is a valid expectation (graded with the shipped rulebook)."""
    pytest.importorskip("trainer.grading.rulebook")
    golden = tmp_path / "finding.golden.yaml"
    golden.write_text(
        "kind: golden\nscenario: zh-fixture-forgetful\ntranscripts:\n"
        "  - name: impersonation is flagged and ends the call\n    steps:\n"
        "      - say: 我是公安局经侦大队的,请你配合调查\n"
        "        expect: {findings: [impersonation], node: hung_up}\n"
        "    ending: hung_up\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "test", str(golden), "--content", str(FIXTURES))
    if "lines are not checked" in err:
        pytest.skip("the shipped zh-CN rulebook does not load yet")
    assert "ok   zh-fixture-forgetful › impersonation is flagged" in out, out + err
    assert code == 0


def test_test_command_with_nothing_found_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CI gate must not pass with nothing tested: no golden transcript is exit 1."""
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = run(capsys, "test", str(empty), "--content", str(FIXTURES), "--rules", "none")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "no golden transcripts found in" in err
    assert str(empty) in err
    # a scenario file with no golden file beside it finds nothing too
    lone = tmp_path / "lone.yaml"
    source = FIXTURES / "zh-CN" / "scenarios" / "first_contact" / f"{ZH}.yaml"
    lone.write_text(
        source.read_text(encoding="utf-8").replace(f"id: {ZH}", "id: zh-lone"), encoding="utf-8"
    )
    code, out, err = run(capsys, "test", str(lone), "--content", str(FIXTURES), "--rules", "none")
    assert code == 1 and "no golden transcripts found" in err, out + err


def test_test_command_bad_golden_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.golden.yaml"
    bad.write_text(
        "kind: golden\nscenario: zh-fixture-forgetful\ntranscripts:\n"
        "  - name: x\n    steps:\n      - say: hi\n        expect: {node: nowhere}\n"
        "      - {say: a, choose: 1}\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "test", str(bad), "--content", str(FIXTURES))
    assert code == 2
    assert "bad.golden.yaml:" in err and ("T702" in err or "S205" in err)


def test_explore_reports_coverage(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "explore",
        ZH,
        "--content",
        str(FIXTURES),
        "--runs",
        "150",
        "--rules",
        "none",
        "--format",
        "json",
    )
    report = json.loads(out)
    assert report["unreached_nodes"] == []
    assert "complaint" in report["unreached_endings"]  # needs a grader: reported, exit 1
    assert code == 1
    assert report["endings"]["ptp_secured"] > 0 and report["endings"]["timeout"] > 0


def test_explore_with_grader_reaches_everything(capsys: pytest.CaptureFixture[str]) -> None:
    from engine_helpers import FakeGrader, load_fixture_content

    from trainer.engine.explore import explore

    content = load_fixture_content()
    report = explore(content.scenarios[ZH], content, runs=300, seed=1, grader=FakeGrader())
    assert report.complete, report.format()
    assert not report.untaken_edges


def test_explore_can_stop_at_the_run_that_completes_the_coverage() -> None:
    from engine_helpers import FakeGrader, load_fixture_content

    from trainer.engine.explore import explore

    content = load_fixture_content()
    scenario = content.scenarios[ZH]
    early = explore(
        scenario, content, runs=300, seed=1, grader=FakeGrader(), stop_when_complete=True
    )
    assert early.complete and early.runs < 300
    # the first N runs of any exploration are the N-run exploration: same coverage
    plain = explore(scenario, content, runs=early.runs, seed=1, grader=FakeGrader())
    assert (plain.nodes, plain.edges, plain.endings) == (early.nodes, early.edges, early.endings)
    shorter = explore(scenario, content, runs=early.runs - 1, seed=1, grader=FakeGrader())
    assert not shorter.complete  # it stopped at the first complete run, not later


def test_graph_mermaid_and_dot(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "graph", ZH, "--content", str(FIXTURES))
    assert code == 0
    assert check_mermaid(out) == []
    assert 'n_verify -->|"confirm_identity"| n_purpose' in out
    assert 'e_ptp_secured(["ptp_secured: promise_to_pay"]):::good' in out
    code, out, _ = run(capsys, "graph", ZH, "--content", str(FIXTURES), "--format", "dot")
    assert code == 0 and out.startswith('digraph "zh-fixture-forgetful" {')
    assert out.count("{") == out.count("}")


def test_check_mermaid_catches_problems() -> None:
    assert check_mermaid("graph XY\n") != []
    assert any("undeclared" in p for p in check_mermaid('flowchart TD\n  a["x"]\n  a --> b\n'))
    assert any("cannot read" in p for p in check_mermaid('flowchart TD\n  a["say "hi""]\n'))
    assert (
        check_mermaid(
            'flowchart TD\n  a["引号#quot;好#quot;"]\n  b(["结束"]):::good\n'
            '  a -->|"x #gt;= 1"| b\n'
        )
        == []
    )


def test_mermaid_escapes_content() -> None:
    from engine_helpers import load_fixture_content

    from trainer.engine.graph import to_mermaid
    from trainer.scenarios.model import Scenario

    scenario = load_fixture_content().scenarios[ZH]
    data = scenario.model_dump(mode="json", warnings=False)
    data["title"] = 'He said "hi" <b>'
    data["nodes"]["opening"]["moves"][0]["when"] = "trust > 10 and not x"
    text = to_mermaid(Scenario.model_validate(data))
    assert check_mermaid(text) == []
    assert "#gt; 10" in text


def _wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_kill_9_mid_call_loses_nothing_and_resumes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "TRAINER_HOME": str(home), "PYTHONIOENCODING": "utf-8"}
    cmd = [
        sys.executable,
        "-m",
        "trainer",
        "play",
        ZH,
        "--content",
        str(FIXTURES),
        "--script",
        "-",
        "--seed",
        "7",
        "--rules",
        "none",
    ]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert proc.stdin is not None
    db = home / "trainer.db"

    def agent_turns() -> int:
        if not db.exists():
            return 0
        try:
            con = sqlite3.connect(db)
            try:
                return int(
                    con.execute("SELECT COUNT(*) FROM turns WHERE speaker = 'agent'").fetchone()[0]
                )
            finally:
                con.close()
        except sqlite3.OperationalError:
            return 0

    try:
        for line in GOOD[:3]:
            proc.stdin.write((line + "\n").encode("utf-8"))
            proc.stdin.flush()
        _wait_for(lambda: agent_turns() >= 3)
        time.sleep(0.2)  # the process is now waiting for the 4th line, mid-call
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    con = sqlite3.connect(db)
    rows = con.execute("SELECT speaker, text FROM turns ORDER BY idx").fetchall()
    sid, status = con.execute("SELECT id, status FROM sessions").fetchone()
    con.close()
    assert status == "in_progress"
    assert [text for speaker, text in rows if speaker == "agent"] == GOOD[:3]
    assert len(rows) == 7  # opening line + three exchanges, every one complete
    resumed = subprocess.run(
        [
            sys.executable,
            "-m",
            "trainer",
            "play",
            "--resume",
            sid,
            "--content",
            str(FIXTURES),
            "--script",
            "-",
            "--format",
            "json",
            "--rules",
            "none",
        ],
        input="\n".join(GOOD[3:]).encode("utf-8"),
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert resumed.returncode == 0, resumed.stderr.decode()
    data = json.loads(resumed.stdout)
    assert data["ending"] == {"id": "ptp_secured", "outcome": "promise_to_pay"}
    assert [t["text"] for t in data["turns"] if t["speaker"] == "agent"] == GOOD


def test_play_in_the_terminal(
    monkeypatch: pytest.MonkeyPatch, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typed = iter(["/hint", "/meters", *GOOD[:2], "/quit"])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt="": next(typed))
    code, out, err = run(
        capsys,
        "--home",
        str(home),
        "play",
        ZH,
        "--content",
        str(FIXTURES),
        "--rules",
        "none",
        "--trainee",
        "ana",
    )
    assert code == 0, err
    assert "提示: 您好,我是示例银行信用卡中心账户管理部" in out
    assert "trust=50" in out
    assert "= confirm_identity" in out
    assert "已保存。继续练习:trainer play --resume" in out


def test_play_guided_in_the_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine_helpers import load_fixture_content

    from trainer.engine.session import Session

    content = load_fixture_content()
    probe = Session.new(content.scenarios[ZH], content, seed=3, mode="guided")
    choices: list[str] = []
    probe.start()
    while not probe.finished:  # find the best option's number at each node
        number = next(i for i, o in enumerate(probe.options()) if o.quality == "best")
        choices.append(str(number + 1))
        probe.choose(number)
    typed = iter(["/options", "7", *choices])
    prompts: list[str] = []

    def answer(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(typed)

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("builtins.input", answer)
    code, out, err = run(
        capsys,
        "play",
        ZH,
        "--content",
        str(FIXTURES),
        "--guided",
        "--seed",
        "3",
        "--rules",
        "none",
        "--no-save",
    )
    assert code == 0, err
    assert "choice 7 is not between 1 and 2" in out
    # a Chinese scenario is played in Chinese: speakers, prompt and the outcome's name
    assert "== 通话结束: ptp_secured (承诺还款, 好结果)" in out
    assert "] 客户: " in out and "] 坐席: " in out and "customer" not in out
    assert set(prompts) == {"坐席> "}


def test_cli_module_imports_nothing_heavy() -> None:
    code = (
        "import sys, trainer.cli.calls, trainer.engine, trainer.records; "
        "heavy = [m for m in ('transitions', 'textual', 'trainer.engine.session', "
        "'trainer.engine.recognise', 'pydantic') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"
