"""``trainer schema``: JSON Schema that accepts the shipped files and rejects broken ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from minischema import SchemaError, validate

from trainer.paths import content_root
from trainer.scenarios.schema import CORE_KINDS, build_schema
from trainer.yamlio import load_yaml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*.yaml")):
        data = load_yaml(path).data
        if isinstance(data, dict) and data.get("kind") in CORE_KINDS:
            found.append(path)
    return found


SHIPPED = _files(content_root())
VALID = _files(FIXTURES / "valid")


@pytest.fixture(scope="module")
def schema(run_cli_module: Any) -> dict[str, Any]:
    result = run_cli_module("schema")
    assert result.returncode == 0
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


@pytest.fixture(scope="module")
def run_cli_module():  # type: ignore[no-untyped-def]
    """``trainer ARGS`` in a real interpreter (module scope: the schema is built once)."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "trainer", *args],
            cwd=root,
            env=dict(os.environ, PYTHONPATH=str(root)),
            capture_output=True,
            text=True,
            check=False,
        )

    return run


def test_there_is_something_to_check() -> None:
    assert VALID
    assert {load_yaml(p).data["kind"] for p in VALID} == set(CORE_KINDS)


@pytest.mark.parametrize("path", SHIPPED + VALID, ids=lambda p: p.name)
def test_files_validate_against_the_schema(path: Path, schema: dict[str, Any]) -> None:
    validate(load_yaml(path).data, schema)


@pytest.mark.parametrize("kind", list(CORE_KINDS))
def test_one_kind_schema(kind: str, run_cli: Any) -> None:
    result = run_cli("schema", "--kind", kind)
    one = json.loads(result.stdout)
    assert one["title"] == f"trainer {kind} file"
    for path in VALID:
        data = load_yaml(path).data
        if data["kind"] == kind:
            validate(data, one)
        else:
            with pytest.raises(SchemaError):
                validate(data, one)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["nodes"]["close"]["moves"][0].update(gotoo="x"),
        lambda d: d.update(difficulty="extreme"),
        lambda d: d["nodes"].update({"Bad Id": d["nodes"]["close"]}),
        lambda d: d["exits"][0].update(when="anger >>= 3"),
        lambda d: d["nodes"]["close"].pop("stage"),
        lambda d: d["nodes"]["close"].update(say=[]),
        lambda d: d["briefing"].update(card_last4=8848),
    ],
    ids=[
        "unknown-key",
        "bad-enum",
        "bad-node-id",
        "bad-condition",
        "missing-key",
        "empty-say",
        "number-not-text",
    ],
)
def test_schema_rejects_mistakes(schema: dict[str, Any], change: Any) -> None:
    easy = FIXTURES / "valid" / "zh-CN" / "scenarios" / "first_contact" / "forgetful-easy.yaml"
    data = load_yaml(easy).data
    validate(data, schema)
    change(data)
    with pytest.raises(SchemaError):
        validate(data, schema)


def test_variant_is_a_partial_overlay(schema: dict[str, Any]) -> None:
    variant = {
        "kind": "scenario",
        "id": "v",
        "extends": "base",
        "nodes": {"close": {"say": "嗯", "fallback": None}},
        "exits": None,
    }
    validate(variant, schema)
    with pytest.raises(SchemaError):
        validate(
            {"kind": "scenario", "id": "v", "extends": "base", "nodes": {"close": {"gotoo": 1}}},
            schema,
        )
    with pytest.raises(SchemaError):
        validate({"kind": "scenario", "id": "v"}, schema)  # not a variant: everything required


def test_conditions_and_lines_are_written_as_strings() -> None:
    defs = build_schema(["scenario"])["$defs"]
    assert defs["Condition"]["type"] == "string"
    assert {"type": "string", "minLength": 1} in defs["Line"]["anyOf"]
    with pytest.raises(ValueError, match="unknown kind"):
        build_schema(["rulebook"])


def test_bad_kind_is_usage_error(run_cli: Any) -> None:
    result = run_cli("schema", "--kind", "nope")
    assert result.returncode == 2
