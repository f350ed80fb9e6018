"""A small, strict JSON Schema (2020-12) validator for the keywords our schema uses.

The ``jsonschema`` package is not a dependency of the project, so the schema
test uses this instead. It refuses any keyword it does not implement, so a
schema change can never be silently ignored by the test.
"""

from __future__ import annotations

import re
from typing import Any

ANNOTATIONS = {"title", "description", "default", "$schema", "$defs", "examples"}
TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


class SchemaError(AssertionError):
    """The instance does not match the schema; the message says where."""


def validate(
    instance: Any, schema: dict[str, Any], root: dict[str, Any] | None = None, where: str = "$"
) -> None:
    """Raise SchemaError when ``instance`` does not match ``schema``."""
    root = root if root is not None else schema
    for key in schema:
        if key not in ANNOTATIONS and key not in _KEYWORDS:
            raise NotImplementedError(f"keyword {key!r} at {where}")
    for key, value in schema.items():
        if key in _KEYWORDS:
            _KEYWORDS[key](instance, value, schema, root, where)


def _ok(instance: Any, schema: dict[str, Any], root: dict[str, Any], where: str) -> bool:
    try:
        validate(instance, schema, root, where)
    except SchemaError:
        return False
    return True


def _ref(instance: Any, ref: str, schema: Any, root: dict[str, Any], where: str) -> None:
    assert ref.startswith("#/$defs/"), ref
    validate(instance, root["$defs"][ref.removeprefix("#/$defs/")], root, where)


def _type(instance: Any, name: str, schema: Any, root: Any, where: str) -> None:
    if name == "integer":
        good = isinstance(instance, int) and not isinstance(instance, bool)
    elif name == "number":
        good = isinstance(instance, int | float) and not isinstance(instance, bool)
    else:
        good = isinstance(instance, TYPES[name]) and not (
            name != "boolean" and isinstance(instance, bool)
        )
    if not good:
        raise SchemaError(f"{where}: expected {name}, got {instance!r}")


def _properties(instance: Any, props: dict[str, Any], schema: Any, root: Any, where: str) -> None:
    if isinstance(instance, dict):
        for key, sub in props.items():
            if key in instance:
                validate(instance[key], sub, root, f"{where}.{key}")


def _pattern_properties(
    instance: Any, props: dict[str, Any], schema: Any, root: Any, where: str
) -> None:
    if isinstance(instance, dict):
        for key, value in instance.items():
            for pattern, sub in props.items():
                if re.search(pattern, str(key)):
                    validate(value, sub, root, f"{where}.{key}")


def _additional(instance: Any, extra: Any, schema: Any, root: Any, where: str) -> None:
    if not isinstance(instance, dict):
        return
    for key, value in instance.items():
        if key in schema.get("properties", {}):
            continue
        if any(re.search(p, str(key)) for p in schema.get("patternProperties", {})):
            continue
        if extra is False:
            raise SchemaError(f"{where}: unexpected key {key!r}")
        if isinstance(extra, dict):
            validate(value, extra, root, f"{where}.{key}")


def _required(instance: Any, names: list[str], schema: Any, root: Any, where: str) -> None:
    if isinstance(instance, dict):
        missing = [name for name in names if name not in instance]
        if missing:
            raise SchemaError(f"{where}: missing {missing}")


def _items(instance: Any, sub: dict[str, Any], schema: Any, root: Any, where: str) -> None:
    if isinstance(instance, list):
        for i, item in enumerate(instance):
            validate(item, sub, root, f"{where}[{i}]")


def _any_of(instance: Any, subs: list[Any], schema: Any, root: Any, where: str) -> None:
    if not any(_ok(instance, sub, root, where) for sub in subs):
        raise SchemaError(f"{where}: matches none of anyOf ({instance!r:.80})")


def _one_of(instance: Any, subs: list[Any], schema: Any, root: Any, where: str) -> None:
    matches = sum(_ok(instance, sub, root, where) for sub in subs)
    if matches != 1:
        raise SchemaError(f"{where}: matches {matches} of oneOf")


def _if(instance: Any, cond: Any, schema: Any, root: Any, where: str) -> None:
    branch = schema.get("then") if _ok(instance, cond, root, where) else schema.get("else")
    if branch is not None:
        validate(instance, branch, root, where)


def _check(test: Any, message: str) -> Any:
    def run(instance: Any, value: Any, schema: Any, root: Any, where: str) -> None:
        if not test(instance, value):
            raise SchemaError(f"{where}: {message} {value!r} ({instance!r:.80})")

    return run


def _sized(kind: type, size: Any) -> Any:
    return lambda instance, value: not isinstance(instance, kind) or size(instance, value)


_KEYWORDS: dict[str, Any] = {
    "$ref": _ref,
    "type": _type,
    "properties": _properties,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional,
    "required": _required,
    "items": _items,
    "anyOf": _any_of,
    "oneOf": _one_of,
    "if": _if,
    "then": lambda *args: None,  # handled by "if"
    "else": lambda *args: None,
    "enum": _check(lambda i, v: i in v, "not in"),
    "const": _check(lambda i, v: i == v, "not"),
    "pattern": _check(lambda i, v: not isinstance(i, str) or re.search(v, i), "no match for"),
    "minLength": _check(_sized(str, lambda i, v: len(i) >= v), "shorter than"),
    "minItems": _check(_sized(list, lambda i, v: len(i) >= v), "fewer items than"),
    "minProperties": _check(_sized(dict, lambda i, v: len(i) >= v), "fewer keys than"),
    "minimum": _check(_sized(int | float, lambda i, v: i >= v), "below"),
    "maximum": _check(_sized(int | float, lambda i, v: i <= v), "above"),
    "exclusiveMinimum": _check(_sized(int | float, lambda i, v: i > v), "not above"),
}
