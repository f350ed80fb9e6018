"""References, graph lint and path properties on small scenarios built in the test."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from trainer.diagnostics import Diagnostic
from trainer.scenarios import lint
from trainer.scenarios.loader import load_content
from trainer.yamlio import parse_yaml

BROKEN = Path(__file__).resolve().parents[1] / "fixtures" / "broken"
BASE: dict[str, Any] = parse_yaml(
    (BROKEN / "base.yaml").read_text(encoding="utf-8"), "base.yaml"
).data


def _check(tmp_path: Path, scenario: dict[str, Any]) -> list[Diagnostic]:
    """Validate one scenario with the broken-fixture libraries as context."""
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False), encoding="utf-8")
    _, diagnostics = load_content([path], context=[BROKEN / "personas", BROKEN / "intents"])
    return [d for d in diagnostics if d.code != "X900"]


def _codes(diagnostics: list[Diagnostic], severity: str = "error") -> list[str]:
    return [d.code for d in diagnostics if d.severity == severity]


@pytest.fixture
def base() -> dict[str, Any]:
    scenario = copy.deepcopy(BASE)
    scenario["id"] = "lint-test"
    return scenario


def test_base_is_clean(tmp_path: Path, base: dict[str, Any]) -> None:
    assert _check(tmp_path, base) == []


def test_disclosure_on_a_longer_path_is_found(tmp_path: Path, base: dict[str, Any]) -> None:
    """The shortest path verifies first; a detour that skips verification must still fail."""
    base["nodes"]["opening"]["moves"].append(
        {"intent": "ask_promise", "goto": "detour", "establishes": ["identifies_self"]}
    )
    base["nodes"]["detour"] = {
        "stage": "negotiation",
        "say": ["嗯?"],
        "moves": [{"intent": "greet_identify", "goto": "purpose"}],
        "options": [{"text": "您好", "quality": "best", "why": "w", "intent": "greet_identify"}],
    }
    base["nodes"]["opening"]["options"].append(
        {"text": "哪天还?", "quality": "poor", "why": "w", "intent": "ask_promise"}
    )
    diagnostics = _check(tmp_path, base)
    assert _codes(diagnostics) == ["P501"]
    (problem,) = diagnostics
    assert "opening → detour → purpose" in problem.message
    assert (problem.line, problem.column) == _position_of(tmp_path, "- intent: state_purpose")


def _position_of(tmp_path: Path, needle: str) -> tuple[int, int]:
    """Line and column of the mapping that starts after ``- `` in the written file."""
    lines = (tmp_path / "s.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if needle in text)
    return line, lines[line - 1].index(needle) + 3


def test_fact_guard_makes_disclosure_safe(tmp_path: Path, base: dict[str, Any]) -> None:
    base["nodes"]["opening"]["moves"].append(
        {
            "intent": "state_purpose",
            "goto": "close",
            "when": "verifies_identity",
            "establishes": ["discloses_debt"],
        }
    )
    base["nodes"]["opening"]["options"].append(
        {"text": "欠款", "quality": "poor", "why": "w", "intent": "state_purpose"}
    )
    assert _codes(_check(tmp_path, base)) == []
    base["nodes"]["opening"]["moves"][-1]["when"] = "anger < 50"  # a meter guard is no guard
    assert set(_codes(_check(tmp_path, base))) == {"P501", "P503"}


def test_fallback_loop_cannot_skip_checks(tmp_path: Path, base: dict[str, Any]) -> None:
    """Fallback gotos are paths too: skipping verification through one is found."""
    base["nodes"]["opening"]["fallback"] = {"say": ["什么?"], "goto": "purpose"}
    diagnostics = _check(tmp_path, base)
    assert set(_codes(diagnostics)) == {"P501", "P503"}


def test_third_party_until_the_debtor_takes_the_phone(tmp_path: Path, base: dict[str, Any]) -> None:
    base["stage"] = "third_party"
    base["answerer"] = "spouse"
    assert _codes(_check(tmp_path, base)) == ["P502"]
    base["nodes"]["verify"]["party"] = "debtor"  # the debtor comes to the phone
    assert _codes(_check(tmp_path, base)) == []


def test_good_ending_needs_identification_in_first_contact(
    tmp_path: Path, base: dict[str, Any]
) -> None:
    base["nodes"]["opening"]["moves"][0]["goto"] = "paid"
    base["nodes"]["opening"]["moves"][0]["establishes"] = []
    diagnostics = _check(tmp_path, base)
    assert "P503" in _codes(diagnostics)
    assert any("good ending 'paid' is reached" in d.message for d in diagnostics)
    base["stage"] = "repeat_contact"
    assert "P503" not in _codes(_check(tmp_path, base))


def test_dead_end_and_unreachable(tmp_path: Path, base: dict[str, Any]) -> None:
    base["nodes"]["close"]["moves"] = []
    del base["nodes"]["close"]["fallback"]
    diagnostics = _check(tmp_path, base)
    assert _codes(diagnostics) == ["G402"]
    assert set(_codes(diagnostics, "warning")) == {"G403", "R310"}


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("angr >= 3", "unknown meter 'angr' in condition"),
        ("anger", "meter 'anger' needs a comparison"),
        ("verifies_identity > 1", "'verifies_identity' is a fact and cannot be compared"),
        ("breach_thret", "unknown name 'breach_thret' in condition"),
    ],
)
def test_condition_names(tmp_path: Path, base: dict[str, Any], when: str, message: str) -> None:
    base["exits"] = [{"when": when, "ending": "hung_up"}]
    diagnostics = _check(tmp_path, base)
    assert [(d.code, d.message) for d in diagnostics] == [("R306", message)]


@pytest.mark.parametrize(
    "when",
    ["breach_threat", "breach_critical and anger >= 80", "not verifies_identity and patience < 10"],
)
def test_valid_condition_names(tmp_path: Path, base: dict[str, Any], when: str) -> None:
    base["exits"] = [{"when": when, "ending": "hung_up"}]
    assert _check(tmp_path, base) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("应还{amount}元", "unknown placeholder '{amount}'"),
        ("应还{amount_owed元", "unbalanced brace: write '{{' or '}}' for a literal brace"),
        ("{amount_owed:.2f}", "'{amount_owed:.2f}' is not a plain placeholder"),
    ],
)
def test_placeholders(tmp_path: Path, base: dict[str, Any], text: str, message: str) -> None:
    base["nodes"]["purpose"]["say"] = [text]
    (problem,) = _check(tmp_path, base)
    assert problem.code == "R304" and problem.message.startswith(message)


def test_literal_braces_and_extra_fields(tmp_path: Path, base: dict[str, Any]) -> None:
    base["briefing"]["extra"] = {"city": "成都"}
    base["nodes"]["purpose"]["say"] = ["{{不是占位符}} 我在{city},欠{amount_owed}"]
    assert _check(tmp_path, base) == []


def test_references_to_targets(tmp_path: Path, base: dict[str, Any]) -> None:
    base["limits"]["on_limit"] = "close"
    base["start"] = "paid"
    messages = {d.message for d in _check(tmp_path, base) if d.code == "R301"}
    assert messages == {"on_limit 'close' is a node, not an ending", "start 'paid' is an ending"}


def test_path_search_is_bounded(
    tmp_path: Path, base: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lint, "MAX_STATES", 2)
    assert "P500" in _codes(_check(tmp_path, base), "warning")


def test_wide_tree_is_checked_quickly(tmp_path: Path, base: dict[str, Any]) -> None:
    """60 nodes, each with moves to every later node: exponentially many paths, few states."""
    import time

    nodes: dict[str, Any] = {}
    names = [f"n{i}" for i in range(60)]
    for i, name in enumerate(names):
        later = names[i + 1 :] or ["close"]
        nodes[name] = {
            "stage": "reason",
            "say": ["嗯"],
            "moves": [{"intent": "ask_promise", "goto": target} for target in later],
            "options": [{"text": "好", "quality": "best", "why": "w", "intent": "ask_promise"}],
        }
    base["nodes"]["purpose"]["moves"][0]["goto"] = "n0"
    base["nodes"].update(nodes)
    started = time.monotonic()
    diagnostics = _check(tmp_path, base)
    assert time.monotonic() - started < 10
    assert _codes(diagnostics) == []
