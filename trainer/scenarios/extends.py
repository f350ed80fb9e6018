"""``extends:`` — a scenario written as a variant of another.

The easy, medium and hard versions of a persona's call share most of their
tree. Instead of copying it, a variant names its base and overrides what
differs::

    kind: scenario
    id: zh-first-forgetful-hard
    extends: zh-first-forgetful-easy
    title: 首次联系:健忘的客户(难)
    difficulty: hard
    meters: {anger: {start: 45}}
    nodes:
      purpose:
        say: ["又是银行?我很忙。"]

Merging happens on the raw YAML data, before validation, so the result is
checked exactly like a hand-written scenario:

* mappings (``briefing``, ``meters``, ``nodes``, one node…) merge key by key,
  recursively;
* lists and plain values replace the base's value whole (a node's ``moves``
  list is replaced, not appended to: order matters there);
* ``null`` removes a key of the base (``nodes: {small_talk: null}``);
* a base that declares no ``meters`` has the default ones (trust, patience,
  anger), so a variant's ``meters: {anger: {start: 45}}`` changes only anger.

Every diagnostic still points at the file and line that wrote the offending
value: the variant's own file for what it overrides, the base's file (with a
note naming the variant) for what it inherits.

`base_chain` is the one walk from an item to its ultimate base, for every kind
that has ``extends:`` (scenarios here, rulebooks and scorecards above): each
kind says how to find a base and reports a broken chain in its own words.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Generic, Literal, TypeVar

from trainer.diagnostics import Diagnostic
from trainer.scenarios.model import DEFAULT_METERS
from trainer.yamlio import Path_, YamlDoc

T = TypeVar("T")


class BrokenChain(Exception, Generic[T]):
    """Why an ``extends`` chain cannot be followed.

    ``reason`` is ``not_text`` (``extends`` is not a name), ``unknown`` (no base
    of that name) or ``cycle`` (the base is already in the chain); ``chain``
    holds the items followed so far, the starting item first and the one whose
    ``extends`` is broken last; ``name`` is what that ``extends`` says.
    """

    def __init__(
        self, reason: Literal["not_text", "unknown", "cycle"], chain: list[T], name: object
    ) -> None:
        super().__init__(f"{reason}: {name!r}")
        self.reason = reason
        self.chain = chain
        self.name = name


def base_chain(
    item: T,
    extends: Callable[[T], object],
    find: Callable[[str, T], T | None],
    key: Callable[[T], object],
) -> list[T]:
    """``item`` and the bases it extends, down to the one that extends nothing.

    ``extends`` reads an item's ``extends`` value (None: no base); ``find``
    looks a base up by that name, from the item that names it; ``key`` says
    what makes two items the same (compared with ``==``), so a chain that comes
    back to an item is a cycle. Raises
    `BrokenChain`.
    """
    chain = [item]
    keys = [key(item)]
    while (name := extends(chain[-1])) is not None:
        if not isinstance(name, str):
            raise BrokenChain("not_text", chain, name)
        base = find(name, chain[-1])
        if base is None:
            raise BrokenChain("unknown", chain, name)
        if key(base) in keys:
            raise BrokenChain("cycle", chain, name)
        chain.append(base)
        keys.append(key(base))
    return chain


class MergedDoc(YamlDoc):
    """A scenario's merged data, with positions looked up in the file that wrote each value.

    ``layers`` are the documents of the chain, the variant first and the
    ultimate base last.
    """

    def __init__(self, layers: list[YamlDoc], data: Any) -> None:
        child = layers[0]
        super().__init__(file=child.file, data=data, values=child.values, keys=child.keys)
        self.layers = layers
        #: diagnostics about this variant that point into a base's file → the same
        #: diagnostic as the base would report it about itself (without the note)
        self.inherited: dict[Diagnostic, Diagnostic] = {}

    def owner(self, path: Path_) -> YamlDoc:
        """The layer whose file wrote the value at ``path``."""
        best = self.layers[0]
        best_depth = -1
        for layer in self.layers:
            depth = _known_depth(layer, path)
            if depth > best_depth:
                best, best_depth = layer, depth
            if depth == len(path) or not isinstance(_value_at(layer.data, path[:depth]), dict):
                break  # this layer wrote the whole value: bases below are overridden
        return best

    def where(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Position of ``path`` in the file that wrote it (see `owner`)."""
        return self.owner(path).where(path, key=key)

    def diag(
        self,
        path: Path_,
        code: str,
        message: str,
        hint: str = "",
        *,
        key: bool = False,
        severity: str = "error",
    ) -> Diagnostic:
        """A diagnostic in the file that wrote ``path``; inherited values name the variant."""
        layer = self.owner(path)
        if layer is self.layers[0]:
            return layer.diag(path, code, message, hint, key=key, severity=severity)
        noted = f"{message} (in '{self.data.get('id')}', which extends this scenario)"
        diagnostic = layer.diag(path, code, noted, hint, key=key, severity=severity)
        self.inherited[diagnostic] = replace(diagnostic, message=message)
        return diagnostic

    @property
    def files(self) -> list[str]:
        """Every file of the chain, variant first."""
        return [layer.file for layer in self.layers]


def merge(base: Any, override: Any) -> Any:
    """Deep-merge ``override`` onto ``base``: mappings by key, ``null`` deletes, else replace."""
    if not (isinstance(base, dict) and isinstance(override, dict)):
        return override
    out = dict(base)
    for key, value in override.items():
        if value is None:
            out.pop(key, None)
        elif key in out:
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def resolve(
    docs: list[YamlDoc],
) -> tuple[dict[int, YamlDoc | None], list[Diagnostic]]:
    """Merge every scenario that ``extends`` another with its chain of bases.

    Returns a map from ``id(doc)`` of each extending document to its merged
    document (``None`` when the chain is broken and the file should not be
    validated further), plus the diagnostics: R308 unknown base, R309 cycle,
    S205 when ``extends`` is not text.
    """
    by_id: dict[str, YamlDoc] = {}
    for doc in docs:
        if _is_scenario(doc) and isinstance(doc.data.get("id"), str):
            by_id.setdefault(doc.data["id"], doc)
    merged: dict[int, YamlDoc | None] = {}
    problems: list[Diagnostic] = []
    for doc in docs:
        if not (_is_scenario(doc) and "extends" in doc.data):
            continue
        chain, problem = _chain(doc, by_id)
        if problem is not None:
            problems.append(problem)
            merged[id(doc)] = None
            continue
        data: Any = chain[-1].data
        if "meters" not in data:  # a variant's meters merge onto the defaults the base uses
            data = {**data, "meters": copy.deepcopy(DEFAULT_METERS)}
        for layer in reversed(chain[:-1]):
            data = merge(data, layer.data)
        merged[id(doc)] = MergedDoc(chain, data)
    return merged, problems


def _chain(doc: YamlDoc, by_id: dict[str, YamlDoc]) -> tuple[list[YamlDoc], Diagnostic | None]:
    """The documents from ``doc`` down to its ultimate base, or why they cannot be found."""
    try:
        return base_chain(
            doc,
            extends=lambda d: d.data.get("extends"),
            find=lambda name, _: by_id.get(name),
            key=lambda d: str(d.data.get("id")),
        ), None
    except BrokenChain as broken:
        chain: list[YamlDoc] = broken.chain
        ids = [str(d.data.get("id")) for d in chain]
        first = len(chain) == 1
        if broken.reason == "not_text":
            if first:
                return chain, doc.diag(
                    ("extends",),
                    "S205",
                    "'extends' must be a scenario id",
                    "write the id of the scenario this one is a variant of",
                )
            return chain, doc.diag(
                ("extends",),
                "R308",
                f"base scenario '{ids[-1]}' has a broken 'extends'",
                "fix that scenario first",
            )
        base_id = str(broken.name)
        if broken.reason == "cycle":
            cycle = " → ".join([*ids, base_id])
            return chain, doc.diag(
                ("extends",),
                "R309",
                f"extends cycle: {cycle}",
                "a scenario cannot be its own base; break the cycle",
            )
        others = [sid for sid in by_id if sid not in ids]
        close = difflib.get_close_matches(base_id, others, n=1, cutoff=0.6)
        hint = (
            f"did you mean '{close[0]}'?"
            if close
            else "name the id of a scenario in the files being validated (a file with "
            "YAML errors is not read: fix those first)"
        )
        message = (
            f"extends unknown scenario '{base_id}'"
            if first
            else f"base scenario '{ids[-1]}' extends unknown scenario '{base_id}'"
        )
        return chain, doc.diag(("extends",), "R308", message, hint)


def _is_scenario(doc: YamlDoc) -> bool:
    return isinstance(doc.data, dict) and doc.data.get("kind") == "scenario"


def _known_depth(doc: YamlDoc, path: Path_) -> int:
    """Length of the longest prefix of ``path`` that ``doc`` has a position for."""
    for depth in range(len(path), -1, -1):
        if tuple(path[:depth]) in doc.values:
            return depth
    return 0


def _value_at(data: Any, path: Path_) -> Any:
    for part in path:
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if in_dict or in_list:
            data = data[part]
        else:
            return None
    return data
