"""``extends:``: variants merge onto their base before validation, with positions kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.scenarios.extends import merge
from trainer.scenarios.loader import load_content

VALID = Path(__file__).resolve().parents[1] / "fixtures" / "valid"
BASE = VALID / "zh-CN" / "scenarios" / "first_contact" / "forgetful-easy.yaml"


def test_merge_rules() -> None:
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 1, "c": {"z": 1}}
    over = {"a": {"y": [3]}, "c": None, "d": 4}
    assert merge(base, over) == {"a": {"x": 1, "y": [3]}, "b": 1, "d": 4}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 1, "c": {"z": 1}}  # not mutated


def test_variant_overrides_and_inherits() -> None:
    content, diagnostics = load_content([VALID])
    assert [d for d in diagnostics if d.severity == "error"] == []
    easy = content.scenarios["fx-first-forgetful-easy"]
    hard = content.scenarios["fx-first-forgetful-hard"]
    assert hard.extends == "fx-first-forgetful-easy" and easy.extends is None
    assert hard.difficulty == "hard"
    assert hard.meters["anger"].start == 35 and hard.meters["trust"].start == 50
    assert hard.limits.max_turns == 14 and hard.limits.on_limit == "nothing_agreed"
    assert hard.nodes["opening"].say[0].text == "喂?谁啊?我在开会。"
    assert hard.nodes["opening"].moves == easy.nodes["opening"].moves
    assert hard.nodes["reason"].say[1].when is not None
    assert hard.briefing == easy.briefing


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the valid fixture set to add variants to."""
    import shutil

    shutil.copytree(VALID, tmp_path / "c")
    return tmp_path / "c"


def test_null_removes_an_inherited_key(tree: Path) -> None:
    _write(
        tree,
        "v.yaml",
        "kind: scenario\nid: fx-v\nextends: fx-first-forgetful-easy\n"
        "exits: null\nnodes:\n  promise:\n    fallback: null\n",
    )
    content, diagnostics = load_content([tree])
    assert [d for d in diagnostics if d.severity == "error"] == []
    variant = content.scenarios["fx-v"]
    assert variant.exits == () and variant.nodes["promise"].fallback is None
    # the ending only the exit reached is now unreachable: reported in the base file
    unreached = [d for d in diagnostics if d.code == "G403"]
    assert len(unreached) == 1
    assert Path(unreached[0].file).name == BASE.name
    assert "(in 'fx-v', which extends this scenario)" in unreached[0].message


def test_error_in_override_points_at_the_variant(tree: Path) -> None:
    variant = _write(
        tree,
        "v.yaml",
        "kind: scenario\nid: fx-v\nextends: fx-first-forgetful-easy\n"
        "nodes:\n  close:\n    moves:\n      - intent: close_politely\n"
        "        gotoo: ptp_secured\n",
    )
    _, diagnostics = load_content([tree])
    errors = [d for d in diagnostics if d.severity == "error"]
    assert {(Path(d.file).name, d.line, d.column, d.code) for d in errors} == {
        (variant.name, 8, 9, "S203"),
        (variant.name, 7, 9, "S204"),
    }
    assert "did you mean 'goto'?" in next(d.hint for d in errors if d.code == "S203")


def test_chain_of_variants_and_cycles(tree: Path) -> None:
    _write(
        tree, "v1.yaml", "kind: scenario\nid: fx-v1\nextends: fx-first-forgetful-hard\ntitle: v1\n"
    )
    _write(tree, "a.yaml", "kind: scenario\nid: fx-a\nextends: fx-b\n")
    _write(tree, "b.yaml", "kind: scenario\nid: fx-b\nextends: fx-a\n")
    _write(tree, "c.yaml", "kind: scenario\nid: fx-c\nextends: fx-a\n")
    _write(tree, "d.yaml", "kind: scenario\nid: fx-d\nextends: [fx-a]\n")
    content, diagnostics = load_content([tree])
    v1 = content.scenarios["fx-v1"]
    assert v1.title == "v1" and v1.difficulty == "hard" and v1.meters["anger"].start == 35
    found = {(Path(d.file).name, d.code, d.line, d.column) for d in diagnostics}
    assert {
        ("a.yaml", "R309", 3, 10),
        ("b.yaml", "R309", 3, 10),
        ("c.yaml", "R309", 3, 10),
        ("d.yaml", "S205", 3, 10),
    } <= found
    message = next(d.message for d in diagnostics if Path(d.file).name == "a.yaml")
    assert message == "extends cycle: fx-a → fx-b → fx-a"
    assert not {"fx-a", "fx-b", "fx-c", "fx-d"} & set(content.scenarios)


def test_unknown_base_suggests_a_close_id(tree: Path) -> None:
    _write(tree, "v.yaml", "kind: scenario\nid: fx-v\nextends: fx-first-forgetful-esay\n")
    _, diagnostics = load_content([tree])
    (problem,) = [d for d in diagnostics if d.code == "R308"]
    assert (problem.line, problem.column) == (3, 10)
    assert problem.hint == "did you mean 'fx-first-forgetful-easy'?"


def test_variant_alone_with_context_reports_inherited_problems(tree: Path) -> None:
    from trainer.scenarios.loader import context_for

    easy = tree / "zh-CN" / "scenarios" / "first_contact" / "forgetful-easy.yaml"
    easy.write_text(easy.read_text().replace("goto: confirm", "goto: confrim"))
    hard = tree / "zh-CN" / "scenarios" / "first_contact" / "forgetful-hard.yaml"
    assert context_for([hard]) == [(tree / "zh-CN").resolve()]
    _, diagnostics = load_content([hard], context=context_for([hard]))
    (error,) = [d for d in diagnostics if d.severity == "error"]
    assert error.code == "R301" and Path(error.file).name == easy.name
    assert "'fx-first-forgetful-hard', which extends" in error.message
    # validating the whole tree reports the base's own error once, not once per variant
    _, everything = load_content([tree])
    assert [d.code for d in everything if d.severity == "error"] == ["R301"]


def test_variant_meters_merge_onto_default_meters(tree: Path) -> None:
    """The base writes no meters (so it has trust, patience, anger); the variant changes one."""
    base = tree / "zh-CN" / "scenarios" / "first_contact" / "forgetful-easy.yaml"
    text = base.read_text(encoding="utf-8")
    start, end = text.index("meters:\n"), text.index("exits:\n")
    base.write_text(text[:start] + text[end:], encoding="utf-8")
    content, diagnostics = load_content([tree])
    assert [d for d in diagnostics if d.severity == "error"] == []
    hard = content.scenarios["fx-first-forgetful-hard"]
    assert {name: meter.start for name, meter in hard.meters.items()} == {
        "trust": 50,
        "patience": 40,
        "anger": 35,
    }


def test_single_line_forms(tree: Path) -> None:
    _write(
        tree,
        "v.yaml",
        "kind: scenario\nid: fx-v\nextends: fx-first-forgetful-easy\n"
        'nodes:\n  confirm:\n    fallback: {say: "你找谁?"}\n    moves:\n'
        "      - {intent: confirm_identity, goto: verify, reply: 嗯。}\n",
    )
    content, diagnostics = load_content([tree])
    assert [d for d in diagnostics if d.severity == "error"] == []
    node = content.scenarios["fx-v"].nodes["confirm"]
    assert node.fallback is not None and node.fallback.say[0].text == "你找谁?"
    assert node.moves[0].reply[0].text == "嗯。"
