"""Mounts of a test's own, in a user namespace: a read-only folder or a tiny filesystem,
which tests running as root cannot get from chmod."""

from __future__ import annotations

import shutil
import subprocess
import tempfile


def mount_problem(arguments: str) -> str | None:
    """Why ``mount ARGUMENTS`` (``{folder}`` standing for a scratch folder) cannot be
    done in a user namespace here (a reason for skipping), or None when it can."""
    if shutil.which("unshare") is None:
        return "no unshare command"
    with tempfile.TemporaryDirectory() as folder:
        probe = subprocess.run(
            ["unshare", "-Urm", "sh", "-c", "mount " + arguments.format(folder=folder)],
            capture_output=True,
            text=True,
            check=False,
        )
    return None if probe.returncode == 0 else f"cannot mount here: {probe.stderr}"


def in_namespace(script: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the shell ``script`` in a fresh user and mount namespace (no standard input)."""
    return subprocess.run(
        ["unshare", "-Urm", "sh", "-c", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
