"""Safe YAML loading that remembers where every key and value came from.

Content is written by people and sometimes by attackers, so loading is strict:
only the safe tags, duplicate keys are errors, tabs get a clear message, and
files, nesting and alias expansion are bounded (a "billion laughs" document is
refused at once instead of eating memory). Every value keeps its position so
schema and reference errors can point at ``file:line:column``.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from trainer.diagnostics import ContentError, Diagnostic

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000
MAX_ALIASES = 200

Path_ = tuple[str | int, ...]
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


@dataclass
class YamlDoc:
    """Plain Python data from one YAML file plus the position of every node.

    ``values[path]`` is the (line, column) of the value at ``path``;
    ``keys[path]`` the position of the mapping key that introduced it.
    """

    file: str
    data: Any
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Best position for ``path``: the exact node, else its nearest ancestor."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while True:
            if probe in table:
                return table[probe]
            if key and probe in self.values:
                return self.values[probe]
            if not probe:
                return (1, 1)
            probe = probe[:-1]

    def diag(
        self, path: Path_, code: str, message: str, hint: str = "", *, key: bool = False,
        severity: str = "error",
    ) -> Diagnostic:
        """A diagnostic pointing at ``path`` in this file."""
        line, col = self.where(path, key=key)
        return Diagnostic(self.file, line, col, code, message, hint, severity)  # type: ignore[arg-type]


class _Loader(yaml.SafeLoader):
    """SafeLoader that counts aliases; construction is done by `_Builder`."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.alias_count = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                event = self.peek_event()
                raise _Refused(
                    "Y106", f"more than {MAX_ALIASES} aliases", "use includes instead of many aliases",
                    event.start_mark,
                )
        return super().compose_node(parent, index)  # type: ignore[no-any-return]


class _Refused(Exception):
    def __init__(self, code: str, message: str, hint: str, mark: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.hint, self.mark = code, message, hint, mark


class _Builder:
    """Turns a composed node tree into Python data, recording positions and limits."""

    def __init__(self, doc: YamlDoc) -> None:
        self.doc = doc
        self.count = 0
        self.constructor = yaml.SafeLoader("")

    def build(self, node: Node, path: Path_, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _Refused("Y106", "document expands to too many values (alias bomb?)",
                           "remove recursive or repeated aliases", node.start_mark)
        if depth > MAX_DEPTH:
            raise _Refused("Y107", f"nesting deeper than {MAX_DEPTH} levels",
                           "flatten the structure", node.start_mark)
        self.doc.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, MappingNode | SequenceNode) and node.tag not in _PLAIN_TAGS:
            raise _Refused("Y105", f"tag {_short(node.tag)} is not allowed",
                           "only plain YAML values are accepted; remove the tag", node.start_mark)
        if isinstance(node, MappingNode):
            self.constructor.flatten_mapping(node)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, (*path, "<key>"), depth + 1)
                if not isinstance(key, Hashable):
                    raise _Refused("Y102", "a mapping key must be a plain value", "", key_node.start_mark)
                if key in out:
                    raise _Refused("Y104", f"duplicate key '{key}'",
                                   "each key may appear once in a mapping; remove or rename one",
                                   key_node.start_mark)
                sub = (*path, key)
                self.doc.keys[sub] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                out[key] = self.build(value_node, sub, depth + 1)
            return out
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self.constructor.construct_object(node)


def parse_yaml(text: str, file: str) -> YamlDoc:
    """Parse YAML text safely; raise `ContentError` with one positioned diagnostic."""
    doc = YamlDoc(file=file, data=None)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        doc.data = None if node is None else _Builder(doc).build(node, (), 0)
    except _Refused as exc:
        raise ContentError([_at(file, exc.mark, exc.code, exc.message, exc.hint)]) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark or exc.context_mark
        tag = _short((exc.problem or "").split("tag")[-1].strip(" :'"))
        raise ContentError([_at(file, mark, "Y105", f"tag {tag} is not allowed",
                                "only plain YAML values are accepted; remove the tag")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        if "\\t" in problem or "tab" in problem.lower():
            raise ContentError([_at(file, mark, "Y103", "tab character used for indentation",
                                    "YAML indents with spaces; replace tabs with spaces")]) from None
        raise ContentError([_at(file, mark, "Y102", f"YAML syntax error: {problem}",
                                "check indentation and quoting on this line")]) from None
    except yaml.YAMLError as exc:
        raise ContentError([Diagnostic(file, 1, 1, "Y102", f"YAML error: {exc}", "")]) from None
    except RecursionError:
        raise ContentError([Diagnostic(file, 1, 1, "Y107", "nesting too deep to read",
                                       "flatten the structure")]) from None
    finally:
        loader.dispose()
    return doc


def load_yaml(path: Path, display: str | None = None) -> YamlDoc:
    """Read and parse a YAML file with size and encoding checks.

    ``display`` is the file name shown in diagnostics (defaults to ``path``).
    """
    name = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ContentError([Diagnostic(name, 1, 1, "Y108",
                                           f"file is {size // 1024} KiB, more than {MAX_BYTES // 1048576} MiB",
                                           "split it into smaller files")])
        raw = path.read_bytes()
    except OSError as exc:
        raise ContentError([Diagnostic(name, 1, 1, "Y100", f"cannot read file: {exc.strerror}",
                                       "check the path and permissions")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        raise ContentError([Diagnostic(name, line, col, "Y101",
                                       f"invalid UTF-8 byte 0x{raw[exc.start]:02x}",
                                       "save the file as UTF-8")]) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return parse_yaml(text, name)


def _at(file: str, mark: Any, code: str, message: str, hint: str) -> Diagnostic:
    line = mark.line + 1 if mark is not None else 1
    col = mark.column + 1 if mark is not None else 1
    return Diagnostic(file, line, col, code, message, hint)


def _short(tag: str) -> str:
    """``tag:yaml.org,2002:python/object`` → ``!!python/object`` for messages."""
    for prefix in ("tag:yaml.org,2002:", "yaml.org,2002:"):
        if tag.startswith(prefix):
            return "!!" + tag[len(prefix):]
    return tag
