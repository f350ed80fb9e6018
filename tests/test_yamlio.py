"""Safe YAML loading: positions, duplicate keys, unsafe tags and bounded expansion."""

from __future__ import annotations

import pytest

from trainer.diagnostics import ContentError
from trainer.yamlio import parse_yaml


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
