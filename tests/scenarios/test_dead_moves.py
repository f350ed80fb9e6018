"""G406: a move the engine can never take, because an earlier move at its node wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.scenarios.loader import context_for, load_content

BROKEN = Path(__file__).resolve().parents[1] / "fixtures" / "broken"


def _variant(tmp_path: Path, moves: str, meters: str = "") -> Path:
    """A variant of the clean fixture base whose ``close`` node has these moves."""
    root = tmp_path / "zh"
    for sub in ("intents", "personas"):
        (root / sub).mkdir(parents=True)
        for src in (BROKEN / sub).glob("*.yaml"):
            (root / sub / src.name).write_text(src.read_text("utf-8"), "utf-8")
    (root / "scenarios").mkdir()
    (root / "scenarios" / "base.yaml").write_text(
        (BROKEN / "base.yaml").read_text("utf-8"), "utf-8"
    )
    path = root / "scenarios" / "variant.yaml"
    path.write_text(
        "kind: scenario\nid: dead-variant\nextends: broken-base\n"
        + meters
        + "nodes:\n  close:\n    moves:\n"
        + moves,
        "utf-8",
    )
    return path


def _g406(path: Path) -> list[tuple[int, str]]:
    _, diagnostics = load_content([path], context=context_for([path]))
    assert not [d for d in diagnostics if d.severity == "error" and d.code != "X900"], diagnostics
    return [(d.line, d.message) for d in diagnostics if d.code == "G406"]


def _moves(*whens: str | None, intent: str = "close_politely") -> str:
    text = ""
    for i, when in enumerate(whens):
        text += f"      - intent: {intent}\n        goto: {'paid' if i % 2 == 0 else 'hung_up'}\n"
        if when is not None:
            text += f'        when: "{when}"\n'
    return text


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (None, None),  # the first always wins
        (None, "trust >= 60"),
        ("trust >= 45", "trust >= 60"),  # 60+ is always 45+
        ("trust > 40", "trust == 50"),
        ("trust >= 0", None),  # trust's declared minimum is 0: always true
        ("anger < 50", "anger <= 49 and trust >= 10"),
        ("verifies_identity", "verifies_identity and trust >= 50"),
        ("not breach_major", "not breach_major"),
        ("trust != 70", "trust <= 69"),
    ],
)
def test_shadowed_move_is_reported(tmp_path: Path, first: str | None, second: str | None) -> None:
    found = _g406(_variant(tmp_path, _moves(first, second)))
    assert len(found) == 1
    _, message = found[0]
    assert "move 'close_politely' at node 'close' can never be taken" in message
    assert "move 1 has the same intent" in message


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("trust >= 45", None),  # the second catches trust < 45
        ("trust >= 60", "trust >= 45"),  # 45..59 go to the second
        ("trust >= 65 and anger < 45", None),
        ("trust >= 50", "trust < 50"),  # mutually exclusive
        ("verifies_identity", "not verifies_identity"),
        ("verifies_identity", None),
        ("trust != 70", "trust >= 60"),  # 70 goes to the second
    ],
)
def test_reachable_moves_are_not_reported(
    tmp_path: Path, first: str | None, second: str | None
) -> None:
    assert _g406(_variant(tmp_path, _moves(first, second))) == []


def test_other_intents_do_not_shadow(tmp_path: Path) -> None:
    moves = _moves(None, intent="state_purpose") + _moves(None, intent="close_politely")
    assert _g406(_variant(tmp_path, moves)) == []


@pytest.mark.parametrize(
    "when",
    [
        "trust > 80 and trust < 50",
        "trust > 100",
        "verifies_identity and not verifies_identity",
        "trust == 5 and trust != 5",
    ],
)
def test_a_condition_that_never_holds_is_reported(tmp_path: Path, when: str) -> None:
    found = _g406(_variant(tmp_path, _moves(when)))
    assert len(found) == 1 and "can never hold" in found[0][1]


def test_declared_bounds_are_used(tmp_path: Path) -> None:
    meters = "meters:\n  trust: {start: 50, min: 20, max: 80}\n"
    assert _g406(_variant(tmp_path, _moves("trust >= 20", None), meters))  # always true
    assert _g406(_variant(tmp_path / "b", _moves("trust > 85"), meters))  # above max
    assert not _g406(_variant(tmp_path / "c", _moves("trust >= 21", None), meters))


def test_the_shadowed_move_is_pointed_at(tmp_path: Path) -> None:
    found = _g406(_variant(tmp_path, _moves(None, "trust >= 60")))
    # line 1 kind, 2 id, 3 extends, 4 nodes, 5 close, 6 moves, 7-8 first move, 9 second
    assert found[0][0] == 9
