"""``audit --jobs`` workers end with their parent, even when it is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

linux_only = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="reads /proc to find the workers"
)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@linux_only
def test_workers_exit_when_the_audit_is_killed(tmp_path: Path) -> None:
    files = []
    for n in range(8):
        path = tmp_path / f"calls{n}.txt"
        path.write_text(
            "".join(f"Line {n}-{i}: you deadbeat, pay {i} now.\n" for i in range(40_000)),
            encoding="utf-8",
        )
        files.append(str(path))
    parent = subprocess.Popen(
        [sys.executable, "-m", "trainer", "audit", "--jobs", "2", "--rules", "en-US", *files],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while len(workers) < 2 and time.monotonic() < deadline and parent.poll() is None:
            time.sleep(0.1)
            workers = _children(parent.pid)
        assert len(workers) >= 2, "the audit did not start two workers"
        time.sleep(0.5)  # the workers are busy grading
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 5
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [w for w in workers if _alive(w)]
    finally:
        if parent.poll() is None:
            parent.kill()
    for pid in left:  # clean up before failing
        os.kill(pid, signal.SIGKILL)
    assert left == [], "workers outlived the killed audit"
