"""Load content files into typed objects, collecting every problem with its position.

A content folder holds YAML files that each start with ``kind:``. Loading never
stops at the first problem: every file is read, every schema error is mapped
back to the line and column of the offending key or value, and the caller gets
a `ContentSet` plus a list of `Diagnostic`s.

Other packages add their own kinds (rulebooks, scorecards, golden transcripts)
with `register_kind`, so one ``trainer validate`` checks everything.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from trainer.diagnostics import ContentError, Diagnostic
from trainer.gcpause import paused
from trainer.scenarios import model as m

# Discovery lives in the light `files` module (the cache keys content without pydantic);
# these names are re-exported for the loader's callers.
from trainer.scenarios.files import (
    MAX_ENTRIES,
    MAX_FILES,
    YAML_SUFFIXES,
    context_for,
    discover,
)
from trainer.scenarios.files import (
    display_name as _display,
)
from trainer.yamlio import YamlDoc, load_yaml

__all__ = [
    "MAX_ENTRIES",
    "MAX_FILES",
    "YAML_SUFFIXES",
    "ContentSet",
    "Loaded",
    "context_for",
    "discover",
    "load_content",
    "parse_doc",
    "parse_file",
    "register_check",
    "register_kind",
]


@dataclass
class Loaded:
    """One successfully parsed file: its model object and its positions."""

    doc: YamlDoc
    obj: BaseModel


@dataclass
class ContentSet:
    """Everything loaded from one or more content folders, indexed for lookup."""

    scenarios: dict[str, m.Scenario] = field(default_factory=dict)
    personas: dict[str, m.Persona] = field(default_factory=dict)
    intents: dict[str, dict[str, m.Intent]] = field(default_factory=dict)  # locale → id → intent
    #: Learned example lines (kind ``examples``): locale → intent id → lines.
    examples: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    wording: dict[str, dict[str, m.Wording]] = field(default_factory=dict)  # locale → id → wording
    files: list[Loaded] = field(default_factory=list)
    sources: dict[str, YamlDoc] = field(default_factory=dict)  # scenario id → its YamlDoc
    extra: dict[str, list[Loaded]] = field(default_factory=dict)  # other kinds by kind name
    _libraries: dict[str, dict[str, m.Intent]] = field(default_factory=dict, repr=False)

    def intents_for(self, scenario: m.Scenario) -> dict[str, m.Intent]:
        """The intents a scenario can use: its locale's library (with the learned example
        lines of its locale added to each intent) plus its own."""
        merged = dict(self._library(scenario.locale))
        merged.update(scenario.intents)
        return merged

    def _library(self, locale: str) -> dict[str, m.Intent]:
        cached = self._libraries.get(locale)
        if cached is None:
            learned = self.examples.get(locale, {})
            cached = {
                intent_id: (
                    intent.model_copy(update={"examples": (*intent.examples, *learned[intent_id])})
                    if learned.get(intent_id)
                    else intent
                )
                for intent_id, intent in self.intents.get(locale, {}).items()
            }
            self._libraries[locale] = cached
        return cached

    def of_kind(self, kind: str) -> list[Loaded]:
        """Loaded files of a registered extra kind (e.g. ``golden``, ``scorecard``)."""
        return self.extra.get(kind, [])


#: kind name → model class. Other packages add theirs with `register_kind`.
KINDS: dict[str, type[BaseModel]] = {
    "scenario": m.Scenario,
    "personas": m.PersonaLibrary,
    "intents": m.IntentLibrary,
    "wording": m.WordingLibrary,
    "examples": m.ExampleSet,
}

#: Checks run after all files are loaded: (content set) → diagnostics.
CHECKS: list[Callable[[ContentSet], Iterable[Diagnostic]]] = []


def register_kind(kind: str, model: type[BaseModel]) -> None:
    """Let another package (grading, engine) add a content kind to the loader."""
    KINDS[kind] = model


def register_check(check: Callable[[ContentSet], Iterable[Diagnostic]]) -> None:
    """Add a whole-content check (references, graph lint, path properties…)."""
    if check not in CHECKS:
        CHECKS.append(check)


# ---------------------------------------------------------------- one file


def parse_file(path: Path, display: str | None = None) -> tuple[Loaded | None, list[Diagnostic]]:
    """Load one file into its model; on failure return the diagnostics instead."""
    try:
        doc = load_yaml(path, display)
    except ContentError as exc:
        return None, exc.diagnostics
    return parse_doc(doc)


def parse_doc(doc: YamlDoc) -> tuple[Loaded | None, list[Diagnostic]]:
    """Validate a parsed YAML document against the model its ``kind`` names."""
    data = doc.data
    if not isinstance(data, dict):
        return None, [
            doc.diag(
                (),
                "S201",
                "a content file must be a mapping with a 'kind' key",
                "start the file with 'kind: scenario' (or personas, intents…)",
            )
        ]
    kind = data.get("kind")
    if kind not in KINDS:
        hint = _did_you_mean(str(kind), KINDS) or f"one of: {', '.join(sorted(KINDS))}"
        where: tuple[str | int, ...] = ("kind",) if "kind" in data else ()
        message = "missing 'kind'" if kind is None else f"unknown kind '{kind}'"
        return None, [doc.diag(where, "S202", message, hint)]
    model = KINDS[str(kind)]
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        return None, schema_diagnostics(doc, exc, model)
    except Exception as exc:  # a model's bug must not become a traceback
        problem = _internal(f"the '{kind}' model", exc)
        return None, [doc.diag((), problem.code, problem.message, problem.hint)]
    return Loaded(doc, obj), []


def schema_diagnostics(
    doc: YamlDoc,
    exc: ValidationError,
    model: type[BaseModel],
) -> list[Diagnostic]:
    """Turn Pydantic errors into positioned diagnostics with hints."""
    out: list[Diagnostic] = []
    seen: set[tuple[Any, ...]] = set()
    for err in exc.errors(include_url=False):
        loc = _clean_loc(err["loc"])
        kind = err["type"]
        key = (loc, kind)
        if key in seen:
            continue
        seen.add(key)
        field_name = str(loc[-1]) if loc else ""
        if kind == "extra_forbidden":
            allowed = _allowed_keys(model, loc[:-1], doc.data)
            hint = _did_you_mean(field_name, allowed) or (
                f"allowed keys: {', '.join(sorted(allowed))}" if allowed else "remove it"
            )
            out.append(doc.diag(loc, "S203", f"unknown key '{field_name}'", hint, key=True))
        elif kind == "missing":
            out.append(
                doc.diag(
                    loc[:-1],
                    "S204",
                    f"missing required key '{field_name}'",
                    f"add '{field_name}:' here",
                )
            )
        else:
            message = err["msg"].removeprefix("Value error, ")
            got = err.get("input")
            shown = f" (got {got!r})" if isinstance(got, str | int | float | bool) else ""
            hint = _type_hint(kind, err)
            out.append(doc.diag(loc, "S205", f"'{_dotted(loc)}': {message}{shown}", hint))
    return out


def _clean_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Drop Pydantic's internal location parts (union tags, function names)."""
    return tuple(
        part
        for part in loc
        if not (
            isinstance(part, str)
            and (part.startswith("function-") or part in {"str", "dict[str,any]", "Condition"})
        )
    )


def _dotted(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(file)"


def _type_hint(kind: str, err: ErrorDetails) -> str:
    if kind.startswith("literal_error"):
        expected = str(err.get("ctx", {}).get("expected", ""))
        choices = re.findall(r"'([^']*)'", expected)
        close = _did_you_mean(str(err.get("input")), choices) if choices else ""
        return close or f"expected {expected or 'one of the allowed values'}"
    if kind == "string_pattern_mismatch":
        return f"must match {err.get('ctx', {}).get('pattern', 'the pattern')}"
    if kind in {"int_parsing", "int_type", "float_parsing", "float_type"}:
        return "write a number"
    if kind in {"string_type"}:
        return "write text (quote it if it looks like a number)"
    if kind in {"dict_type", "model_type"}:
        return "write a mapping (key: value lines)"
    if kind in {"list_type", "tuple_type"}:
        return "write a list (lines starting with '- ')"
    if kind == "too_short":
        return "add at least one item"
    return ""


def _allowed_keys(model: type[BaseModel], loc: tuple[str | int, ...], data: Any) -> list[str]:
    """Field names of the model found at ``loc`` (walking nested models and containers)."""
    current: Any = model
    for part in loc:
        if current is None:
            return []
        if isinstance(part, int) or not _is_model(current):
            current = _inner_model(current)
            if isinstance(part, int) or current is None:
                continue
        fields = current.model_fields
        # a field's model, or (for dicts keyed by id) the model of the values
        current = _inner_model(fields[part].annotation if part in fields else current)
    if current is not None and not _is_model(current):
        current = _inner_model(current)
    return list(current.model_fields) if _is_model(current) else []


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _inner_model(tp: Any) -> Any:
    """The model class inside ``X | None``, ``tuple[X, ...]``, ``dict[str, X]``…"""
    if _is_model(tp):
        return tp
    for arg in getattr(tp, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    origin = getattr(tp, "__origin__", None)
    if origin is not None and getattr(tp, "__metadata__", None) is not None:
        return _inner_model(origin)
    return None


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


# ---------------------------------------------------------------- whole sets


@paused()
def load_content(
    paths: Iterable[Path] | None = None,
    *,
    context: Iterable[Path] | None = None,
) -> tuple[ContentSet, list[Diagnostic]]:
    """Load every content file under ``paths`` (default: the shipped content).

    ``context`` names more files or folders that are loaded so references
    resolve (the persona and intent libraries beside a single scenario being
    validated) but whose own problems are not reported.

    Scenarios with ``extends:`` are merged with their base first (see
    `trainer.scenarios.extends`). Registered checks (references, graph lint,
    path properties) run afterwards. Returns the content set and all
    diagnostics (errors and warnings), sorted.
    """
    from trainer.paths import content_root
    from trainer.scenarios import extends

    problems = _import_plugins()
    roots = list(paths) if paths else [content_root()]
    files, found_problems = discover(roots)
    problems += found_problems
    targets = {path.resolve() for path in files}
    extra_files, _ = discover(list(context or []))
    all_files = files + [path for path in extra_files if path.resolve() not in targets]

    docs: list[YamlDoc] = []
    reported: set[str] = set()
    for path in all_files:
        display = _display(path, roots)
        is_target = path.resolve() in targets
        if is_target:
            reported.add(display)
        try:
            docs.append(load_yaml(path, display))
        except ContentError as exc:
            if is_target:
                problems.extend(exc.diagnostics)

    merged, extend_problems = extends.resolve(docs)
    problems.extend(extend_problems)
    content = ContentSet()
    variants: list[extends.MergedDoc] = []  # the targets'
    all_variants: list[extends.MergedDoc] = []
    for doc in docs:
        use = merged.get(id(doc), doc)
        if use is None:
            continue  # broken extends chain, already reported
        loaded, diags = parse_doc(use)
        if isinstance(use, extends.MergedDoc):
            all_variants.append(use)
            if doc.file in reported:
                variants.append(use)
            # a schema error inside an inherited value is the base file's own error
            own = [d for d in diags if d.file == use.file]
            if loaded is None and not own:
                base = use.layers[1]
                own = [
                    doc.diag(
                        ("extends",),
                        "R308",
                        f"base scenario '{base.data.get('id')}' has errors",
                        f"fix {base.file} first (run 'trainer validate' on it)",
                    )
                ]
            diags = own
        problems.extend(diags)
        if loaded is not None:
            problems.extend(_index(content, loaded))
    for check in CHECKS:
        try:
            problems.extend(check(content))
        except Exception as exc:  # a plugin's bug must not hide the other diagnostics
            problems.append(_internal(f"check {check.__module__}.{check.__name__}", exc))
    if context is not None:
        # context files are there for their ids; only the targets' problems are reported,
        # including those a target variant inherits from a base file
        inherited = {d for variant in variants for d in variant.inherited}
        problems = [
            d
            for d in problems
            if d.file in reported or d in inherited or d.code in {"Y100", "Y109", INTERNAL}
        ]
    # a variant inheriting a problem its base reports itself adds nothing but noise
    kept = set(problems)
    echoes = {
        d for variant in all_variants for d, plain in variant.inherited.items() if plain in kept
    }
    return content, sorted(kept - echoes)


def _index(content: ContentSet, loaded: Loaded) -> list[Diagnostic]:
    """Add a loaded file to the set; duplicate ids are diagnostics (R305)."""
    obj, doc = loaded.obj, loaded.doc
    content.files.append(loaded)
    problems: list[Diagnostic] = []
    if isinstance(obj, m.Scenario):
        if obj.id in content.scenarios:
            problems.append(
                doc.diag(
                    ("id",),
                    "R305",
                    f"duplicate scenario id '{obj.id}'",
                    "scenario ids must be unique; rename one",
                )
            )
        else:
            content.scenarios[obj.id] = obj
            content.sources[obj.id] = doc
    elif isinstance(obj, m.PersonaLibrary):
        for i, persona in enumerate(obj.personas):
            if persona.id in content.personas:
                problems.append(
                    doc.diag(
                        ("personas", i, "id"),
                        "R305",
                        f"duplicate persona id '{persona.id}'",
                        "rename one",
                    )
                )
            content.personas.setdefault(persona.id, persona)
    elif isinstance(obj, m.IntentLibrary):
        table = content.intents.setdefault(obj.locale, {})
        for intent_id, intent in obj.intents.items():
            if intent_id in table:
                problems.append(
                    doc.diag(
                        ("intents", intent_id),
                        "R305",
                        f"duplicate intent id '{intent_id}' in {obj.locale}",
                        "rename one",
                        key=True,
                    )
                )
            table.setdefault(intent_id, intent)
    elif isinstance(obj, m.ExampleSet):
        table3 = content.examples.setdefault(obj.locale, {})
        for intent_id, lines in obj.intents.items():
            table3[intent_id] = (*table3.get(intent_id, ()), *lines)
    elif isinstance(obj, m.WordingLibrary):
        table2 = content.wording.setdefault(obj.locale, {})
        for wid, wording in obj.wording.items():
            if wid in table2:
                problems.append(
                    doc.diag(
                        ("wording", wid),
                        "R305",
                        f"duplicate wording id '{wid}'",
                        "rename one",
                        key=True,
                    )
                )
            table2.setdefault(wid, wording)
    else:
        kind = str(doc.data.get("kind"))
        content.extra.setdefault(kind, []).append(loaded)
    return problems


def _import_plugins() -> list[Diagnostic]:
    """Register this package's own checks (references, graph lint, path properties).

    Kinds and checks of upper layers (rulebooks, scorecards, golden transcripts)
    are registered by `trainer.services.content.wire`, which the command line,
    the app and the services call before loading: this layer never names them.
    """
    from trainer.scenarios import lint  # noqa: F401  (registers its checks)

    return []


#: Code of a diagnostic that reports a bug in trainer itself, not in the content.
INTERNAL = "X900"


def _internal(where: str, exc: BaseException) -> Diagnostic:
    return Diagnostic(
        "(trainer)",
        1,
        1,
        INTERNAL,
        f"internal error in {where}: {type(exc).__name__}: {exc}",
        "this is a bug in trainer, not in your content; please report it",
    )
