"""Scorecards are content: validated at load time with positioned C8xx diagnostics."""

from __future__ import annotations

from pathlib import Path

import pytest
from shipped import shipped_content

from trainer.diagnostics import Diagnostic
from trainer.paths import content_root
from trainer.scenarios.loader import load_content
from trainer.scoring.detectors import DETECTORS, compile_detect
from trainer.scoring.model import Scorecard, resolve

GOOD = """\
kind: scorecard
id: test-card
locale: zh-CN
stages: [first_contact]
checks:
  - id: verify_first
    title: 先核实
    weight: 20
    detect:
      fact_before: {fact: verifies_identity, before: [debt_detail]}
"""


def _load(tmp_path: Path, text: str, name: str = "card.yaml") -> list[Diagnostic]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    _, diags = load_content([path])
    return [d for d in diags if d.file.endswith(name)]


def test_shipped_scorecards_are_valid() -> None:
    content, diags = shipped_content()
    assert [d for d in diags if d.code.startswith("C8")] == []
    cards = [x.obj for x in content.of_kind("scorecard")]
    covered = {(c.locale, s) for c in cards if isinstance(c, Scorecard) for s in c.stages}
    stages = ("first_contact", "repeat_contact", "third_party", "special")
    assert covered == {(loc, s) for loc in ("zh-CN", "en-US") for s in stages}


def test_a_good_card_loads(tmp_path: Path) -> None:
    assert _load(tmp_path, GOOD) == []


def test_unknown_detector_points_at_its_name(tmp_path: Path) -> None:
    text = GOOD.replace("fact_before: {", "fact_befor: {")
    (diag,) = _load(tmp_path, text)
    assert (diag.code, diag.line, diag.column) == ("C801", 10, 7)
    assert "fact_befor" in diag.message and "fact_before" in diag.hint


def test_unknown_parameter(tmp_path: Path) -> None:
    text = GOOD.replace("before: [debt_detail]", "befor: [debt_detail]")
    (diag,) = _load(tmp_path, text)
    assert diag.code == "C802" and diag.line == 10
    assert "befor" in diag.message and "before" in diag.hint


def test_bad_parameter_value(tmp_path: Path) -> None:
    text = GOOD.replace("fact: verifies_identity", "fact: verified")
    (diag,) = _load(tmp_path, text)
    assert diag.code == "C802" and diag.line == 10 and "verified" in diag.message


def test_bad_regex(tmp_path: Path) -> None:
    text = GOOD.replace(
        "fact_before: {fact: verifies_identity, before: [debt_detail]}",
        "text_matches: {patterns: ['(录音']}",
    )
    (diag,) = _load(tmp_path, text)
    assert diag.code == "C807" and diag.line == 10


def test_detector_inside_any_of(tmp_path: Path) -> None:
    text = GOOD.replace(
        "      fact_before: {fact: verifies_identity, before: [debt_detail]}\n",
        "      any_of:\n        - fact: {fact: states_recording}\n        - amount_said: {}\n",
    )
    (diag,) = _load(tmp_path, text)
    assert (diag.code, diag.line) == ("C801", 12)


def test_duplicate_check_and_zero_weights(tmp_path: Path) -> None:
    text = GOOD.replace("weight: 20", "weight: 0") + GOOD.split("checks:\n")[1].replace(
        "weight: 20", "weight: 0"
    )
    codes = sorted(d.code for d in _load(tmp_path, text))
    assert codes == ["C803", "C809"]


def test_unknown_extends_and_drop(tmp_path: Path) -> None:
    text = GOOD.replace("stages: [first_contact]\n", "extends: no-such-card\n")
    (diag,) = _load(tmp_path, text)
    assert diag.code == "C806" and diag.line == 4
    text = GOOD.replace(
        "stages: [first_contact]\n", "extends: zh-first-contact\ndrop: [no_such_check]\n"
    )
    (diag,) = _load(tmp_path, text)
    assert diag.code == "C806" and "no_such_check" in diag.message


def test_scenario_naming_an_unknown_scorecard(tmp_path: Path) -> None:
    source = content_root() / "zh-CN/scenarios/first_contact/zh-first-forgetful.yaml"
    text = source.read_text(encoding="utf-8").replace(
        "pass_mark: 75\n", "pass_mark: 75\nscorecard: zh-frist-contact\n"
    )
    path = tmp_path / "zh-first-forgetful.yaml"
    path.write_text(text, encoding="utf-8")
    _, diags = load_content([path], context=[content_root() / "zh-CN"])
    (diag,) = [d for d in diags if d.code == "C804"]
    assert "zh-first-contact" in diag.hint and diag.file.endswith("zh-first-forgetful.yaml")


def test_extends_merges_checks() -> None:
    content, _ = shipped_content()
    cards = {x.obj.id: x.obj for x in content.of_kind("scorecard") if isinstance(x.obj, Scorecard)}
    repeat = resolve(cards["zh-repeat-contact"], cards)
    ids = [c.id for c in repeat.checks]
    assert "identify_first" in ids and "consequences_truthful" in ids
    assert len(ids) == len(set(ids))
    assert repeat.pass_mark == cards["zh-first-contact"].pass_mark
    reason = next(c for c in repeat.checks if c.id == "reason_asked")
    assert "跳票" in reason.title or "承诺" in reason.title


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_every_detector_is_documented(name: str) -> None:
    assert DETECTORS[name].doc
    doc = (Path(__file__).resolve().parents[2] / "docs" / "scorecards.md").read_text(
        encoding="utf-8"
    )
    assert f"`{name}`" in doc


def test_compile_reports_wrong_shapes() -> None:
    assert compile_detect({"a": 1, "b": 2})[1][0][1] == "C802"
    assert compile_detect({"any_of": {}})[1][0][1] == "C802"
    detector, problems = compile_detect({"no_finding": None})
    assert detector is not None and problems == []
