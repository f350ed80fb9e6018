"""Y110: the YAML flow-list comma trap, and the styles `trainer.yamlio` records for it.

``say: [好的,谢谢提醒,再见。]`` is valid YAML that loads as three lines; nothing
in the data says it was meant as one. The loader keeps how each value was
written (flow or block, quoted or plain) so the lint can tell.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.scenarios.lint import looks_split
from trainer.scenarios.loader import context_for, load_content
from trainer.yamlio import parse_yaml

BROKEN = Path(__file__).resolve().parents[1] / "fixtures" / "broken"


def test_yamlio_records_flow_collections_and_quoting() -> None:
    text = 'a: [好的,谢谢, "x"]\nb:\n  - c\n  - |\n    d\nc: {x: 1}\nd: plain\n'
    doc = parse_yaml(text, "f.yaml")
    assert doc.data["a"] == ["好的", "谢谢", "x"]
    assert doc.flows == {("a",): (1, 16), ("c",): (6, 10)}
    assert doc.styles[("a", 2)] == '"'
    assert doc.styles[("b", 1)] == "|"
    assert doc.is_plain(("a", 0)) and doc.is_plain(("d",)) and doc.is_plain(("b", 0))
    assert not doc.is_plain(("a", 2))  # quoted
    assert not doc.is_plain(("a",))  # a collection, not a scalar
    assert not doc.is_plain(("nope",))  # not in the file


@pytest.mark.parametrize(
    ("items", "split"),
    [
        (["好的", "谢谢提醒", "再见。"], True),
        (["嗯", "挂了。"], True),
        (["行", "你等着", "我现在就打你们客服投诉。(挂断)"], True),
        (["喂?", "哪位?"], False),  # each item is a sentence: deliberate variants
        (["好的。", "再见"], False),
        (["only one"], False),
        (["Okay", "thanks", "bye."], True),
        (["Sure", "I can pay by Friday."], True),
        (["yes", "no"], False),  # short English alternatives
        (["Hello?", "Who is this?"], False),
        (["Yes", "No"], False),
    ],
)
def test_looks_split(items: list[str], split: bool) -> None:
    assert looks_split(items) is split


@pytest.mark.parametrize(
    ("items", "split"),
    [
        (["自报机构和姓氏", "核实身份", "约定金额、日期和渠道"], False),  # a spaced list of phrases
        (["你好", "您好"], False),
        (["好的", "谢谢提醒", "再见。"], True),  # only the last item ends the sentence
        (["Okay", "thanks", "bye."], True),
    ],
)
def test_looks_split_with_spaces_after_the_commas(items: list[str], split: bool) -> None:
    assert looks_split(items, tight=False) is split


def _scenario_file(tmp_path: Path, say_line: str) -> Path:
    """A variant of the clean fixture base whose closing line is ``say_line``."""
    target = tmp_path / "zh" / "scenarios"
    target.mkdir(parents=True)
    for sub in ("intents", "personas"):
        (tmp_path / "zh" / sub).mkdir()
        for src in (BROKEN / sub).glob("*.yaml"):
            (tmp_path / "zh" / sub / src.name).write_text(src.read_text("utf-8"), "utf-8")
    (target / "base.yaml").write_text((BROKEN / "base.yaml").read_text("utf-8"), "utf-8")
    path = target / "variant.yaml"
    path.write_text(
        "kind: scenario\nid: flow-variant\nextends: broken-base\nnodes:\n"
        f"  close:\n    say: {say_line}\n",
        "utf-8",
    )
    return path


def _y110(path: Path) -> list[tuple[int, int, str]]:
    _, diagnostics = load_content([path], context=context_for([path]))
    return [(d.line, d.column, d.message) for d in diagnostics if d.code == "Y110"]


def test_trap_is_reported_in_the_variant_file(tmp_path: Path) -> None:
    found = _y110(_scenario_file(tmp_path, "[好的,谢谢提醒,再见。]"))
    assert found == [
        (6, 10, "'say: [...]' is read as 3 separate lines: '好的' | '谢谢提醒' | '再见。'")
    ]


@pytest.mark.parametrize(
    "say_line",
    [
        '["好的,谢谢提醒,再见。"]',  # quoted: one line
        "好的,谢谢提醒,再见。",  # plain scalar outside a flow list: one line
        '["喂?", "哪位?"]',  # two deliberate variants (a '?' must be quoted in [ ])
        "[好的, {text: 再见。, weight: 2}]",  # not all plain scalars
        "[\n      好的,\n      再见。]",  # spread over lines: deliberate
        "[好的, 行]",  # a spaced list of short variants
    ],
)
def test_no_warning_when_the_list_is_meant(tmp_path: Path, say_line: str) -> None:
    assert _y110(_scenario_file(tmp_path, say_line)) == []


def test_intent_examples_are_checked_but_keywords_are_not(tmp_path: Path) -> None:
    path = tmp_path / "intents.yaml"
    path.write_text(
        "kind: intents\nlocale: zh-CN\nintents:\n  greet_identify:\n    description: 问候\n"
        "    examples: [您好,我是华信银行的王经理。]\n"
        "    keywords: [我是华信银行, 我姓, 工号]\n",
        "utf-8",
    )
    _, diagnostics = load_content([path])
    found = [(d.code, d.line, d.column, d.severity) for d in diagnostics]
    assert found == [("Y110", 6, 15, "warning")]
