"""Hostile audit inputs: one bad record or byte costs its own line, never the whole audit.

Each fixture in tests/fixtures/hostile/ used to crash the audit with a traceback
(a list as ``lang``, ``Infinity`` as ``turn``, lone surrogates, control characters
in JUnit XML) or reject a whole file for one Latin-1 byte.
"""

from __future__ import annotations

import json
import xml.dom.minidom
from pathlib import Path

import pytest

from trainer.audit.formats import FORMATS
from trainer.grading.rulebook import MAX_GRADED

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"

#: fixture → (expected one-line error on stderr, exit code, findings from the good records)
CASES = {
    "audit-lang-list.jsonl": ("1:1: error K652: bad value for 'lang': ['en-US']", 2, 1),
    "audit-turn-huge.jsonl": ("2:1: error K652: bad value for 'turn': inf", 2, 1),
    "audit-latin1.jsonl": (
        "2:22: error K651: line is not UTF-8 text (byte 0xe9 at column 22)",
        2,
        2,
    ),
    "audit-latin1.csv": ("3:6: error K651: line is not UTF-8 text (byte 0xe9 at column 6)", 2, 2),
    "audit-surrogates.jsonl": ("", 1, 1),
    "audit-control.jsonl": ("", 1, 1),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_written_and_the_good_records_audited(  # type: ignore[no-untyped-def]
    run_cli, tmp_path: Path, name: str, fmt: str
) -> None:
    error, code, findings = CASES[name]
    out = tmp_path / f"report.{fmt}"
    result = run_cli("audit", str(HOSTILE / name), "--format", fmt, "-o", str(out))
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    if error:
        assert f"{name}:{error}" in result.stderr
    text = out.read_text(encoding="utf-8")  # written, and valid UTF-8
    if fmt == "json":
        assert json.loads(text)["summary"]["findings"] == findings
    if fmt == "sarif":
        assert len(json.loads(text)["runs"][0]["results"]) == findings
    if fmt == "junit":
        xml.dom.minidom.parseString(text.encode("utf-8"))  # well-formed


def test_surrogates_become_replacement_characters_on_the_terminal(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("audit", str(HOSTILE / "audit-surrogates.jsonl"))
    assert result.returncode == 1 and "(record \ufffd)" in result.stdout


def test_junit_shows_control_characters_as_pictures(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "a.xml"
    run_cli("audit", str(HOSTILE / "audit-control.jsonl"), "--format", "junit", "-o", str(out))
    doc = xml.dom.minidom.parse(str(out))
    names = [case.getAttribute("name") for case in doc.getElementsByTagName("testcase")]
    assert "a\u2401\u241b[2J\u2407" in names


def test_streaming_a_latin1_line_on_standard_input_reports_only_that_line(  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    import os
    import subprocess
    import sys

    data = (HOSTILE / "audit-latin1.jsonl").read_bytes()
    piped = subprocess.run(
        [sys.executable, "-m", "trainer", "audit", "-", "--format", "json"],
        input=data,
        capture_output=True,
        check=False,
        timeout=120,
        env=dict(os.environ, PYTHONIOENCODING="utf-8"),
    )
    assert piped.returncode == 2
    assert b"-:2:22: error K651: line is not UTF-8 text" in piped.stderr
    assert json.loads(piped.stdout)["summary"]["findings"] == 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_ungraded_tail_of_a_long_line_is_reported(  # type: ignore[no-untyped-def]
    run_cli, tmp_path: Path, fmt: str
) -> None:
    """A violation after the cap is not found, so the audit says what it did not read."""
    text = "a" * MAX_GRADED + " You deadbeat, pay now."
    calls = tmp_path / "long.jsonl"
    calls.write_text(json.dumps({"id": "r1", "text": text, "lang": "en-US"}) + "\n", "utf-8")
    short = tmp_path / "short.txt"
    short.write_text("Hello, this is Anna from the bank.\n", encoding="utf-8")
    out = tmp_path / "report"
    result = run_cli("audit", str(calls), str(short), "--format", fmt, "-o", str(out))
    assert result.returncode == 0
    tail = f"characters {MAX_GRADED + 1}-{len(text)} ({len(text) - MAX_GRADED} more) were not"
    column = len('{"id": "r1", "text": "') + MAX_GRADED + 1
    assert f"long.jsonl:1:{column}: warning K653: record r1:" in result.stderr
    report = out.read_text(encoding="utf-8")
    assert "K653" in report and "long.jsonl" in report
    assert result.stderr.count("K653") == 1  # the short line is not named
    if fmt in ("text", "json", "sarif", "junit"):
        assert tail in report
    if fmt == "json":
        assert json.loads(report)["summary"]["notices"] == 1


def test_the_tail_of_a_plain_text_line_is_reported_too(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "script.txt"
    script.write_text("hello\n" + "b" * (MAX_GRADED + 5) + "\n", encoding="utf-8")
    result = run_cli("audit", str(script))
    assert f"script.txt:2:{MAX_GRADED + 1}: warning K653" in result.stderr
    assert "1 notice(s)" in result.stdout
