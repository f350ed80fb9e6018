"""Safe YAML loading: positions, duplicate keys, unsafe tags and bounded expansion."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer import yamlio
from trainer.diagnostics import ContentError, Diagnostic
from trainer.yamlio import load_yaml, parse_yaml


def _error(text: str) -> tuple[str, int, int]:
    with pytest.raises(ContentError) as info:
        parse_yaml(text, "f.yaml")
    diag = info.value.diagnostics[0]
    return diag.code, diag.line, diag.column


def test_positions_of_keys_and_values() -> None:
    doc = parse_yaml("a:\n  b: [1, {c: 2}]\n", "f.yaml")
    assert doc.data == {"a": {"b": [1, {"c": 2}]}}
    assert doc.keys[("a", "b")] == (2, 3)
    assert doc.values[("a", "b", 1, "c")] == (2, 14)
    assert doc.where(("a", "b", 5)) == doc.values[("a", "b")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb: 2\na: 3\n", ("Y104", 3, 1)),
        ("a:\n\tb: 1\n", ("Y103", 2, 1)),
        ("a: !!python/object/apply:os.system ['ls']\n", ("Y105", 1, 4)),
        ("a: [1, 2\nb: 3\n", ("Y102", 2, 2)),
    ],
)
def test_bad_yaml_is_pointed_at(text: str, expected: tuple[str, int, int]) -> None:
    assert _error(text) == expected


def test_alias_bomb_is_refused() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    code, _, _ = _error("\n".join(lines) + "\n")
    assert code == "Y106"


BROKEN_YAML = sorted((Path(__file__).parent / "fixtures" / "broken").glob("Y1*.yaml"))
HOSTILE = {
    "deep-flow": "a: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep-flow-short": "a: " + "[" * 80 + "]" * 80 + "\n",
    "deep-block": "".join("  " * i + f"k{i}:\n" for i in range(300)),
    "nul": "kind: scenario\x00\n",
    "quote-then-text": "a: 'x' y\n",
    "under-indented": "a:\n  - x\n - y\n",
    "unclosed": "a: [1, 2\n",
    "colon": "a: 1\n b: 2\n",
    "self-alias": "a: &a {b: *a}\n",
    "self-alias-list": "a: &a [1, *a]\n",
}


@pytest.fixture(params=["libyaml", "pure-python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test once with each YAML parser build (libyaml skipped when absent)."""
    if request.param == "libyaml" and yamlio._FastLoader is None:
        pytest.skip("PyYAML was built without libyaml here")
    monkeypatch.setenv("TRAINER_PURE_YAML", "1" if request.param == "pure-python" else "0")
    assert yamlio.use_libyaml() is (request.param == "libyaml")
    return str(request.param)


def _diagnostic(text: str) -> Diagnostic:
    with pytest.raises(ContentError) as info:
        parse_yaml(text, "f.yaml")
    return info.value.diagnostics[0]


def test_too_deep_is_y107_with_its_hint_on_every_parser(parser: str) -> None:
    """Newer libyaml builds stop at 1,000 levels themselves; the user still sees Y107."""
    for name in ("deep-flow", "deep-flow-short", "deep-block"):
        diag = _diagnostic(HOSTILE[name])
        assert (diag.code, diag.hint) == ("Y107", "flatten the structure"), (name, diag)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_diagnostics_do_not_depend_on_the_parser(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINER_PURE_YAML", "1")
    pure = _diagnostic(HOSTILE[name])
    monkeypatch.setenv("TRAINER_PURE_YAML", "0")
    assert _diagnostic(HOSTILE[name]) == pure


@pytest.mark.parametrize("path", BROKEN_YAML, ids=[p.stem for p in BROKEN_YAML])
def test_broken_yaml_fixtures_same_on_every_parser(path: Path, parser: str) -> None:
    """The Y1xx fixtures give their code at the expected place with either parser."""
    header = path.read_bytes().split(b"\n", 1)[0].decode()
    code, place = header.removeprefix("# expect: ").split()[:2]
    line, col = (int(part) for part in place.split(":"))
    try:
        doc = load_yaml(path)
    except ContentError as exc:
        found = [(d.code, d.line, d.column) for d in exc.diagnostics]
    else:
        assert code not in {"Y101", "Y102", "Y103", "Y104", "Y105", "Y106", "Y107"}, doc
        return
    assert (code, line, col) in found


ROOT = Path(__file__).parents[1]
SHIPPED_AND_FIXTURES = sorted(
    [*(ROOT / "content").rglob("*.yaml"), *(ROOT / "tests").rglob("*.yaml")]
)


def _outcome(path: Path) -> object:
    try:
        doc = load_yaml(path)
    except ContentError as exc:
        return exc.diagnostics
    return doc.data, doc.values, doc.styles


@pytest.mark.skipif(yamlio._FastLoader is None, reason="PyYAML was built without libyaml here")
def test_shipped_content_reads_the_same_on_both_parsers(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that only one parser build can read would break on someone else's machine."""
    for path in SHIPPED_AND_FIXTURES:
        monkeypatch.setenv("TRAINER_PURE_YAML", "0")
        fast = _outcome(path)
        monkeypatch.setenv("TRAINER_PURE_YAML", "1")
        assert fast == _outcome(path), path


def test_unquoted_question_mark_in_a_flow_list_is_refused_on_both_parsers(parser: str) -> None:
    diag = _diagnostic("say: [好吧?, 行]\n")
    assert (diag.code, diag.line, diag.column) == ("Y102", 1, 9)
    assert '"?"' in diag.hint


def test_a_value_that_contains_itself_is_refused_at_once(parser: str) -> None:
    """``a: &a {b: *a}`` used to loop for ever in the expansion check."""
    for name in ("self-alias", "self-alias-list"):
        diag = _diagnostic(HOSTILE[name])
        assert diag.code == "Y106" and "recursive alias" in diag.message


#: Structure errors in YAML's own words, and the cause the hint must name.
STRUCTURE = {
    "quote-then-text": ('say: "好的"我明天还\nnext: 1\n', "starts with a quote", "我明天还"),
    "quote-then-text-in-list": ('say:\n  - "好的"我明天还\n  - 再见\n', "starts with a quote", ""),
    "apostrophe": ("say: 'don't do that'\n", "apostrophe twice", ""),
    "under-indented-key": (
        "briefing:\n  debtor_name: 周\n honorific: 周先生\n",
        "indented less than line 2",
        "2 spaces",
    ),
    "over-indented-key": (
        "briefing:\n  debtor_name: 周\n    honorific: 周先生\n",
        "indented more than line 2",
        "2 spaces",
    ),
    "under-indented-item": ("say:\n  - 喂\n - 你好\n", "list item is indented less", "2 spaces"),
    "key-among-items": ("say:\n  - 喂\n  next: 1\n", "indented like the list items", "0 spaces"),
    "colon-in-value": ("say: 注意: 这是测试\n", "': ' inside an unquoted value", "quote"),
    "item-without-dash": ("examples:\n  - 一\n  二\n", "start this line with '- '", ""),
}


@pytest.mark.parametrize("name", sorted(STRUCTURE))
def test_yaml_structure_errors_name_their_usual_cause(name: str, parser: str) -> None:
    text, cause, detail = STRUCTURE[name]
    found = _diagnostic(text)
    assert found.code == "Y102", found
    assert found.message.startswith("YAML syntax error: "), found  # YAML's own words stay
    assert cause in found.hint and detail in found.hint, found.hint
