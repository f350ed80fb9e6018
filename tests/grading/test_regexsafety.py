"""Regexes that can backtrack catastrophically are refused when a rulebook loads (K612)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from trainer.diagnostics import ContentError
from trainer.grading.content import RulebookSpec, regexes
from trainer.grading.rulebook import load_rulebook, shipped_dir
from trainer.regexsafety import MAX_COUNT, unsafe_regex
from trainer.yamlio import load_yaml

ROOT = Path(__file__).resolve().parents[2]
OVERLAY = ROOT / "tests" / "fixtures" / "hostile" / "redos-overlay.yaml"

RISKY = [
    "(a+)+$",
    "(a*)*b",
    "(.*)*x",
    "(?:a?)+",
    "(a|a)*$",
    "(a|aa)*c",
    "(?:\\s+(?:an|the|an))*$",
    "(x+x+)+y",
    "(\\w+\\s?)+$",
    "(?:.+,)*x",
    "(.*a){12}",
    "(a)\\1",
    "(?P<w>\\w)(?P=w)",
    "(a)?(?(1)b|c)",
    "a{1000}",
    f"x{{2,{MAX_COUNT + 1}}}",
]
SAFE = [
    "\\bdeadbeat\\b",
    "(?:foo|bar)*",
    "[ab]+c",
    "(?:ab+)*",
    "(?:\\w+ ){0,2}times",
    "(?:\\s+(?:a|an|the|any))*\\s*$",
    "(?:[a-z]+,)*x",
    "(\\w|\\d)+",
    "警察|法院",
    "x{2,100}",
]


@pytest.mark.parametrize("pattern", RISKY)
def test_risky_shapes_are_refused(pattern: str) -> None:
    assert unsafe_regex(pattern)


@pytest.mark.parametrize("pattern", SAFE)
def test_ordinary_patterns_pass(pattern: str) -> None:
    assert unsafe_regex(pattern) is None


def test_a_refused_shape_really_is_slow_and_the_fixed_one_is_not() -> None:
    """The check is about time: (a|aa)*$ is exponential in CPython, a*$ is not."""
    line = "a" * 24 + "!"
    started = time.perf_counter()
    re.match("(?:a|aa)*$", line)
    slow = time.perf_counter() - started
    started = time.perf_counter()
    re.match("a*$", line)
    assert time.perf_counter() - started < slow


@pytest.mark.parametrize("path", sorted(shipped_dir().glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_regex_is_safe(path: Path) -> None:
    """The en-US negation guard once listed 'an' and 'any' twice: exponential on "an an an…"."""
    doc = load_yaml(path, path.name)
    spec = RulebookSpec.model_validate(doc.data)
    assert [(where, p) for where, p in regexes(spec) if unsafe_regex(p)] == []


def test_an_overlay_with_a_catastrophic_guard_does_not_load() -> None:
    with pytest.raises(ContentError) as caught:
        load_rulebook(str(OVERLAY))
    [diag] = caught.value.diagnostics
    assert (diag.line, diag.code) == (9, "K612") and "(a+)+" in diag.message


def test_validate_and_audit_refuse_it_in_one_line(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    calls = tmp_path / "calls.txt"
    calls.write_text("a" * 40 + "!\n", encoding="utf-8")
    checked = run_cli("validate", str(OVERLAY))
    audited = run_cli("audit", "--rules", str(OVERLAY), str(calls))
    assert checked.returncode == 1 and audited.returncode == 2
    expected = "redos-overlay.yaml:9:12: error K612: regular expression may take exponential time"
    assert expected in checked.stdout
    assert audited.stderr.splitlines()[0].endswith("drop duplicate alternatives and backreferences")
    assert expected in audited.stderr and "Traceback" not in audited.stderr
