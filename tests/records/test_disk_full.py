"""A full disk in the middle of a call: one line, an exit code, and every exchange
committed before it is kept (the store writes each exchange in one transaction)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from namespaces import in_namespace, mount_problem

SMALL = mount_problem("-t tmpfs -o size=200k tmpfs {folder}")


@pytest.mark.skipif(SMALL is not None, reason=str(SMALL))
def test_a_full_disk_mid_call_is_one_line_and_keeps_what_was_said(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    lines = tmp_path / "lines.txt"
    opening = "您好,我是华信银行信用卡中心的小陈,工号5521。请问是周建国先生本人吗?"
    # each long line is a few tens of KB in the store: the 200 KB disk fills mid-call
    lines.write_text(opening + "\n" + ("我理解您的情况" * 400 + "\n") * 40, encoding="utf-8")
    trainer = f"{sys.executable} -m trainer --home {home}"
    script = (
        f"mount -t tmpfs -o size=200k tmpfs {home} && "
        f"{trainer} play zh-first-forgetful --seed 3 < {lines}; echo play=$?; "
        f"{trainer} export > {tmp_path}/kept.jsonl; echo export=$?"
    )
    result = in_namespace(script)
    assert "play=2" in result.stdout, result.stdout[-500:] + result.stderr[-500:]
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "database or disk is full" in errors[0]
    assert "everything saved before is kept" in errors[0]
    assert "Traceback" not in result.stderr
    # the exchanges before the disk filled are in the store, in order
    assert "export=0" in result.stdout
    kept = (tmp_path / "kept.jsonl").read_text(encoding="utf-8").splitlines()
    assert any(opening in line for line in kept), kept[:2]
    assert len(kept) >= 3  # the opening exchange and at least one long line after it
