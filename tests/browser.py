"""Headless Chromium for the tests of self-contained HTML pages (reports, the compliance
book): render a page to PNG, or skip the test when no browser is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def screenshot(page: Path, shot: Path, size: str = "1100,1600") -> bytes:
    """Render ``page`` in headless Chromium to ``shot`` and return the PNG's bytes.

    Skips the calling test when neither ``chromium`` nor ``chromium-browser`` is on
    PATH (CI installs it; see ``.ci/run``). Networking is off, so a page that needs
    the network renders without it.
    """
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed")
    shot.unlink(missing_ok=True)
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--window-size={size}",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    return shot.read_bytes() if shot.is_file() else b""
