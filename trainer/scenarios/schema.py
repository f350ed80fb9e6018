"""JSON Schema for content files, so an instructor's editor can complete and check YAML.

Generated from the Pydantic models, then adjusted to describe what an author
*writes* rather than what the loader builds:

* a condition (``when:``) is a string such as ``"anger >= 60 and not verifies_identity"``;
* a debtor line is a plain string or a mapping (``{text, weight, when, once}``), and a
  node's ``say`` may be one line or a list of lines;
* id-keyed mappings (``nodes``, ``endings``, ``intents``…) reject keys that do not
  match the id pattern, as the loader does;
* a scenario with ``extends:`` is a partial overlay: every key is optional and
  ``null`` removes an inherited key.

The schema helps editors; ``trainer validate`` remains the authority (it also
checks references, the graph and path properties).
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from trainer.scenarios import model as m

#: Kinds this package defines, in output order.
CORE_KINDS: dict[str, type[BaseModel]] = {
    "scenario": m.Scenario,
    "personas": m.PersonaLibrary,
    "intents": m.IntentLibrary,
    "wording": m.WordingLibrary,
}

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_NAME = r"(?:not\s+[a-z][a-z0-9_]*|[a-z][a-z0-9_]*(?:\s*(?:<=|>=|==|!=|<|>)\s*-?\d+)?)"
CONDITION_PATTERN = rf"^\s*{_NAME}(?:\s+and\s+{_NAME})*\s*$"
_PARTIAL = "__partial"


def build_schema(kinds: list[str] | None = None) -> dict[str, Any]:
    """The JSON Schema for files of the given kinds (default: all core kinds).

    One kind gives a schema for exactly that kind; several give a schema
    accepting any of them (told apart by ``kind``).
    """
    names = kinds or list(CORE_KINDS)
    unknown = [name for name in names if name not in CORE_KINDS]
    if unknown:
        raise ValueError(f"unknown kind {unknown[0]!r}; one of: {', '.join(CORE_KINDS)}")
    models = [CORE_KINDS[name] for name in names]
    refs, schema = models_json_schema(
        [(model, "validation") for model in models], ref_template="#/$defs/{model}"
    )
    defs: dict[str, Any] = schema.get("$defs", {})
    _author_forms(defs)
    roots = []
    for model in models:
        ref = refs[(model, "validation")]["$ref"]
        if model is m.Scenario:
            ref = _scenario_file(defs)
        roots.append({"$ref": ref})
    title = "trainer content file" if len(names) > 1 else f"trainer {names[0]} file"
    out: dict[str, Any] = {"$schema": DIALECT, "title": title}
    if len(roots) == 1:
        out.update(roots[0])
    else:
        out["oneOf"] = roots
    out["$defs"] = dict(sorted(defs.items()))
    return out


def _author_forms(defs: dict[str, Any]) -> None:
    """Rewrite the generated definitions into the shapes authors write."""
    if "Line" not in defs:  # only scenarios have conditions and lines
        for schema in defs.values():
            _close_patterned(schema)
        return
    defs["Condition"] = {
        "type": "string",
        "title": "Condition",
        "description": "Clauses joined by 'and': 'meter >= 60', 'fact' or 'not fact'. Names "
        "are meters, facts, breach_<category> or breach_<severity>.",
        "pattern": CONDITION_PATTERN,
    }
    defs.pop("Clause", None)
    line = defs["Line"]
    defs["Line"] = {
        "title": "Line",
        "description": line.get("description", ""),
        "anyOf": [
            {"type": "string", "minLength": 1},
            {key: value for key, value in line.items() if key != "description"},
        ],
    }
    for name, field in (("Node", "say"), ("Ending", "say"), ("Fallback", "say"), ("Move", "reply")):
        many = defs[name]["properties"][field]
        defs[name]["properties"][field] = {
            "title": many.get("title", field.title()),
            "description": "One line, or a list of line variants",
            "anyOf": [
                {"$ref": "#/$defs/Line"},
                {key: value for key, value in many.items() if key != "title"},
            ],
        }
    for schema in defs.values():
        _close_patterned(schema)


def _close_patterned(schema: Any) -> None:
    """Id-keyed mappings: keys must match the id pattern (the loader enforces it)."""
    if isinstance(schema, dict):
        if "patternProperties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        for value in schema.values():
            _close_patterned(value)
    elif isinstance(schema, list):
        for value in schema:
            _close_patterned(value)


def _scenario_file(defs: dict[str, Any]) -> str:
    """A scenario file: complete, or (with ``extends:``) a partial overlay of its base."""
    for name in list(defs):
        if not name.endswith(_PARTIAL):
            defs[name + _PARTIAL] = _partial(defs[name])
    partial = defs["Scenario" + _PARTIAL]
    partial["required"] = ["kind", "id", "extends"]
    partial["description"] = (
        "A variant of another scenario: keys merge into the base's, "
        "lists replace, null removes an inherited key."
    )
    defs["ScenarioFile"] = {
        "title": "Scenario file",
        "if": {"required": ["extends"]},
        "then": {"$ref": f"#/$defs/Scenario{_PARTIAL}"},
        "else": {"$ref": "#/$defs/Scenario"},
    }
    return "#/$defs/ScenarioFile"


def _partial(schema: Any) -> Any:
    """A copy where nothing is required, refs point at partial copies and null is allowed.

    Only mappings merge, so list items keep the complete definitions.
    """
    if isinstance(schema, list):
        return [_partial(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "required":
            continue
        if key == "$ref" and isinstance(value, str):
            out[key] = value + _PARTIAL
        elif key in {"properties", "patternProperties"}:
            out[key] = {name: _nullable(_partial(sub)) for name, sub in value.items()}
        elif key in {"minItems", "minProperties", "minLength"}:
            continue
        elif key in {"items", "prefixItems", "default", "enum", "const", "examples"}:
            out[key] = value  # a list is replaced whole, so its items must be complete
        else:
            out[key] = _partial(value) if isinstance(value, dict | list) else value
    return copy.deepcopy(out)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}
