"""Safe YAML loading that remembers where every key and value came from.

Content is written by people and sometimes by attackers, so loading is strict:
only the safe tags, duplicate keys are errors, tabs get a clear message, and
files, nesting and alias expansion are bounded (a "billion laughs" document is
refused at once instead of eating memory). Every value keeps its position so
schema and reference errors can point at ``file:line:column``.

How each value was *written* is kept too (quoted or plain, ``[flow]`` or block
style), because some mistakes are invisible in the data: ``say: [好的,谢谢,再见。]``
loads as three lines, exactly like a deliberate list (see `YamlDoc.flows`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, Protocol, cast

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from trainer.diagnostics import ContentError, Diagnostic

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 100_000
MAX_ALIASES = 200

Path_ = tuple[str | int, ...]
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


@dataclass
class YamlDoc:
    """Plain Python data from one YAML file plus the position of every node.

    ``values[path]`` is the (line, column) of the value at ``path``;
    ``keys[path]`` the position of the mapping key that introduced it.
    ``flows[path]`` is the end position (line, column just after the closing
    bracket) of each collection written in flow style (``[a, b]``, ``{a: 1}``);
    ``styles[path]`` the quoting of each scalar that is not plain (``'``, ``"``,
    ``|`` or ``>``): a scalar absent from it was written without quotes.
    """

    file: str
    data: Any
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    flows: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    styles: dict[Path_, str] = field(default_factory=dict)

    def is_plain(self, path: Path_) -> bool:
        """Whether the scalar at ``path`` was written without quotes or a block indicator."""
        return path in self.values and path not in self.styles and path not in self.flows

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
        self,
        path: Path_,
        code: str,
        message: str,
        hint: str = "",
        *,
        key: bool = False,
        severity: str = "error",
    ) -> Diagnostic:
        """A diagnostic pointing at ``path`` in this file."""
        line, col = self.where(path, key=key)
        return Diagnostic(self.file, line, col, code, message, hint, severity)  # type: ignore[arg-type]


class _Composer(Composer):
    """Builds the node tree from parser events, refusing oversized or over-deep documents.

    Counting happens while composing, before any value is built, so a "billion
    laughs" document or a megabyte of ``[1,1,1…]`` is refused with bounded memory.
    """

    def _init_limits(self) -> None:
        self.alias_count = 0
        self.node_count = 0
        self.depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event: Any = self.peek_event()  # type: ignore[attr-defined]
        if isinstance(event, yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                raise _Refused(
                    "Y106",
                    f"more than {MAX_ALIASES} aliases",
                    "write the values out instead of repeating aliases",
                    event.start_mark,
                )
        self.node_count += 1
        if self.node_count > MAX_NODES:
            raise _Refused(
                "Y106",
                f"more than {MAX_NODES} values in one file",
                "split it into smaller files",
                event.start_mark,
            )
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(
                "Y107",
                f"nesting deeper than {MAX_DEPTH} levels",
                "flatten the structure",
                event.start_mark,
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _PureLoader(_Composer, yaml.SafeLoader):
    """Pure-Python parser with the same limits: the reference for every diagnostic."""

    def __init__(self, stream: str) -> None:
        yaml.SafeLoader.__init__(self, stream)
        self._init_limits()


_FastLoader: Any = None
if yaml.__with_libyaml__:  # libyaml's parser is ~15x faster; composing stays bounded in Python
    from yaml._yaml import CParser

    class _CLoader(_Composer, CParser, SafeConstructor, Resolver):
        """libyaml events, Python composition with limits."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            _Composer.__init__(self)
            self._init_limits()

    _FastLoader = _CLoader


def use_libyaml() -> bool:
    """Whether documents are parsed with libyaml (fast path) or pure Python.

    ``TRAINER_PURE_YAML=1`` forces the pure-Python parser, so the suite can be run
    on both paths; diagnostics are the same either way (see `parse_yaml`).
    """
    return _FastLoader is not None and os.environ.get("TRAINER_PURE_YAML", "") in ("", "0")


class _Mark(Protocol):
    """A parser position: the pure and the C parser each have their own mark class."""

    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...
    @property
    def index(self) -> int: ...


class _Refused(Exception):
    def __init__(self, code: str, message: str, hint: str, mark: _Mark | None) -> None:
        super().__init__(message)
        self.code, self.message, self.hint, self.mark = code, message, hint, mark


class _Builder:
    """Turns a composed node tree into Python data, recording positions and limits."""

    def __init__(self, doc: YamlDoc) -> None:
        self.doc = doc
        self.count = 0
        self.constructor = yaml.SafeLoader("")

    def build(self, node: Node, path: Path_, depth: int, in_flow: bool = False) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _Refused(
                "Y106",
                "document expands to too many values (alias bomb?)",
                "remove recursive or repeated aliases",
                node.start_mark,
            )
        if depth > MAX_DEPTH:
            raise _Refused(
                "Y107",
                f"nesting deeper than {MAX_DEPTH} levels",
                "flatten the structure",
                node.start_mark,
            )
        doc = self.doc
        mark = node.start_mark
        if path not in doc.values:
            doc.values[path] = (mark.line + 1, mark.column + 1)
        if type(node) is ScalarNode:
            if node.style and path not in doc.styles:
                doc.styles[path] = node.style
            if in_flow and not node.style and "?" in node.value:
                # libyaml reads `[好吧?, 行]` as text, the YAML 1.1 parser refuses it: refuse
                # it everywhere, so a file valid on one machine is not broken on another
                raise _Refused(
                    "Y102",
                    "YAML syntax error: '?' in unquoted text inside [ ] or { }",
                    _QUESTION_HINT,
                    mark,
                )
            make = _SCALARS.get(node.tag)
            if make is not None:  # the plain kinds, without construct_object's bookkeeping
                return make(self.constructor, node)
            return self.constructor.construct_object(node)
        assert isinstance(node, CollectionNode)  # the composer makes no other kind
        if node.flow_style and path not in doc.flows:
            doc.flows[path] = (node.end_mark.line + 1, node.end_mark.column + 1)
        if node.tag not in _PLAIN_TAGS:
            raise _Refused(
                "Y105",
                f"tag {_short(node.tag)} is not allowed",
                "only plain YAML values are accepted; remove the tag",
                mark,
            )
        flow = in_flow or bool(node.flow_style)
        if type(node) is SequenceNode:
            return [
                self.build(item, (*path, i), depth + 1, flow) for i, item in enumerate(node.value)
            ]
        assert type(node) is MappingNode
        self.constructor.flatten_mapping(node)
        out: dict[Any, Any] = {}
        keys = doc.keys
        for key_node, value_node in node.value:
            key = self.build(key_node, (*path, "<key>"), depth + 1, flow)
            if not isinstance(key, Hashable):
                raise _Refused(
                    "Y102",
                    "a mapping key must be a plain value",
                    "use text or a number as the key",
                    key_node.start_mark,
                )
            if key in out:
                raise _Refused(
                    "Y104",
                    f"duplicate key '{key}'",
                    "each key may appear once in a mapping; remove or rename one",
                    key_node.start_mark,
                )
            sub: Path_ = (*path, cast("str | int", key))
            keys[sub] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = self.build(value_node, sub, depth + 1, flow)
        return out


#: Constructors of the plain scalar kinds, called directly by `_Builder.build` (every
#: other tag, allowed or not, goes through ``construct_object`` as before).
_SCALARS: dict[str, Any] = {
    tag: SafeConstructor.yaml_constructors[tag]
    for tag in (
        "tag:yaml.org,2002:str",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
    )
}


def _check_expansion(root: Node) -> None:
    """Refuse a document whose aliases would expand past `MAX_NODES` values, or that
    contains itself (``a: &a {b: *a}``).

    Sizes are computed once per distinct node (aliases share nodes), so the
    check costs as much as the file, not as much as its expansion. A node met
    again while its own children are still being counted is a recursive alias.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children: list[Node] = []
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                children += [key_node, value_node]
        elif isinstance(node, SequenceNode):
            children = list(node.value)
        if done or not children:
            open_nodes.discard(key)
            total = 1 + sum(sizes.get(id(child), 0) for child in children)
            if total > MAX_NODES:
                raise _Refused(
                    "Y106",
                    "document expands to too many values (alias bomb?)",
                    "remove recursive or repeated aliases",
                    node.start_mark,
                )
            sizes[key] = total
            continue
        open_nodes.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                raise _Refused(
                    "Y106",
                    "an alias refers to a value that contains it (recursive alias)",
                    "write the value out instead of referring to itself",
                    child.start_mark,
                )
            if id(child) not in sizes:
                stack.append((child, False))


def parse_yaml(text: str, file: str) -> YamlDoc:
    """Parse YAML text safely; raise `ContentError` with one positioned diagnostic.

    A valid document is parsed with libyaml when it is installed. A document
    that libyaml refuses is parsed again with the pure-Python parser, and *its*
    error is reported: libyaml's messages, positions and own limits (newer
    builds stop at 1,000 nesting levels with a generic syntax error) vary with
    the build, while the project's diagnostics (Y107 for a too-deep document,
    the same Y102 wording everywhere) must not.
    """
    if use_libyaml():
        try:
            return _parse_with(_FastLoader, text, file, fast=True)
        except _ParserSpecific:
            pass
    return _parse_with(_PureLoader, text, file)


class _ParserSpecific(Exception):
    """libyaml refused a document: the pure-Python parser says why, the same way everywhere."""


def _parse_with(loader_class: Any, text: str, file: str, *, fast: bool = False) -> YamlDoc:
    """Parse ``text`` with one loader class; every failure becomes a `ContentError`.

    With ``fast`` (libyaml), a refusal by the parser itself raises `_ParserSpecific`
    instead; the project's own limits (Y104–Y107) are reported directly, as they
    do not depend on the parser.
    """
    doc = YamlDoc(file=file, data=None)
    loader = None
    error: BaseException | None = None
    try:
        loader = loader_class(text)
        node = loader.get_single_node()
        if node is not None:
            if loader.alias_count:
                # without aliases every node has one parent: the tree is as big as the
                # composer counted (at most MAX_NODES) and cannot contain itself
                _check_expansion(node)
            doc.data = _Builder(doc).build(node, (), 0)
    except (yaml.YAMLError, RecursionError) as exc:
        if fast:
            raise _ParserSpecific() from None
        error = exc
    except _Refused as exc:
        if fast and exc.code == "Y102":
            raise _ParserSpecific() from None
        raise ContentError([_at(file, exc.mark, exc.code, exc.message, exc.hint)]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if error is not None:
        _report(text, file, error)
    return doc


def _report(text: str, file: str, exc: BaseException) -> NoReturn:
    """Raise the positioned `ContentError` for an error of the (pure-Python) parser."""
    if isinstance(exc, yaml.constructor.ConstructorError):
        mark = exc.problem_mark or exc.context_mark
        tag = _short((exc.problem or "").split("tag")[-1].strip(" :'"))
        raise ContentError(
            [
                _at(
                    file,
                    mark,
                    "Y105",
                    f"tag {tag} is not allowed",
                    "only plain YAML values are accepted; remove the tag",
                )
            ]
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        if "\\t" in problem or "tab" in problem.lower() or _tab_at(text, mark):
            raise ContentError(
                [
                    _at(
                        file,
                        mark,
                        "Y103",
                        "tab character used for indentation",
                        "YAML indents with spaces; replace tabs with spaces",
                    )
                ]
            )
        hint = "check indentation and quoting on this line"
        if _char_at(text, mark) == "?" and "got '?'" in problem:
            hint = _QUESTION_HINT
        elif _char_at(text, mark) in {"{", "}"} or _PLACEHOLDER.search(_line_at(text, mark)):
            hint = (
                "a line with a {placeholder} inside [ ] or at the start of a value must be "
                'quoted: "…{name}…"'
            )
        elif any(words in problem for words in _STRUCTURE_PROBLEMS):
            hint = _structure_hint(text, mark) or hint
        if exc.context_mark is not None and mark is not None and mark.index >= len(text.rstrip()):
            # the file ended inside something left open: point where it was opened
            mark = exc.context_mark
            hint = f"{exc.context} that is never closed; check brackets and quotes from here"
            if any(words in problem for words in _STRUCTURE_PROBLEMS):
                hint = _structure_hint(text, mark) or hint
        raise ContentError([_at(file, mark, "Y102", f"YAML syntax error: {problem}", hint)])
    if isinstance(exc, yaml.reader.ReaderError):
        before = text[: exc.position]
        line, col = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        raise ContentError(
            [
                Diagnostic(
                    file,
                    line,
                    col,
                    "Y102",
                    f"character U+{_codepoint(exc.character):04X} is not allowed in YAML",
                    "remove control characters from the file",
                )
            ]
        )
    if isinstance(exc, RecursionError):
        raise ContentError(
            [Diagnostic(file, 1, 1, "Y107", "nesting too deep to read", "flatten the structure")]
        )
    message = " ".join(str(exc).split())
    raise ContentError(
        [Diagnostic(file, 1, 1, "Y102", f"YAML error: {message}", "check the file's syntax")]
    )


def load_yaml(path: Path, display: str | None = None) -> YamlDoc:
    """Read and parse a YAML file with size and encoding checks.

    ``display`` is the file name shown in diagnostics (defaults to ``path``).
    """
    name = display or str(path)
    from trainer.paths import regular_file_problem

    problem = regular_file_problem(path)
    if problem is not None:
        raise ContentError(
            [Diagnostic(name, 1, 1, "Y100", problem, "give a YAML file saved on disk")]
        )
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            limit = MAX_BYTES // 1048576
            raise ContentError(
                [
                    Diagnostic(
                        name,
                        1,
                        1,
                        "Y108",
                        f"file is {size // 1024} KiB, more than {limit} MiB",
                        "split it into smaller files",
                    )
                ]
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ContentError(
            [
                Diagnostic(
                    name,
                    1,
                    1,
                    "Y100",
                    f"cannot read file: {exc.strerror}",
                    "check the path and permissions",
                )
            ]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", errors="replace")) + 1
        raise ContentError(
            [
                Diagnostic(
                    name,
                    line,
                    col,
                    "Y101",
                    f"invalid UTF-8 byte 0x{raw[exc.start]:02x}",
                    "save the file as UTF-8",
                )
            ]
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return parse_yaml(text, name)


_QUESTION_HINT = (
    'a "?" inside [ ] or { } must be quoted: write ["好吧?", 行] or put each line '
    'on its own "- " line'
)
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


#: The parsers' words for a line that does not fit the structure around it: PyYAML's and
#: libyaml's ("did not find expected key", "did not find expected '-' indicator").
_STRUCTURE_PROBLEMS = (
    "expected <block end>",
    "did not find expected key",
    "did not find expected '-' indicator",
    "mapping values are not allowed",
    "could not find expected ':'",
)
_KEY_LINE = re.compile(
    r"^(?P<indent> *)(?P<dash>- +)?(?P<key>[^\s#'\"][^:#]*?):(?: +(?P<value>.*))?$"
)
_ITEM_LINE = re.compile(r"^(?P<indent> *)- +(?P<value>.*)$")


def _quoted_then_more(value: str) -> str | None:
    """The text after the closing quote of a value that starts with a quote
    (``"好的"我明天还`` → ``我明天还``), or None."""
    value = value.strip()
    if not value or value[0] not in "\"'":
        return None
    quote, i = value[0], 1
    while i < len(value):
        if value[i] == "\\" and quote == '"':
            i += 2
            continue
        if value[i] == quote:
            if quote == "'" and value[i + 1 : i + 2] == "'":  # '' is an apostrophe
                i += 2
                continue
            rest = value[i + 1 :].strip()
            return rest if rest and not rest.startswith("#") else None
        i += 1
    return None


def _excerpt(text: str, size: int = 40) -> str:
    """``text`` for a hint: at most ``size`` characters."""
    return text if len(text) <= size else text[: size - 1] + "…"


def _structure_hint(text: str, mark: _Mark | None) -> str | None:
    """The usual cause of a structure error at ``mark``, said plainly, or None.

    Two causes cover most of what authors meet: a value that starts with a quote but
    goes on after the closing quote, and a key or list item indented differently from
    the keys or items it belongs with; a ': ' in an unquoted value is the third.
    """
    line = _line_at(text, mark)
    if mark is None or not line.strip():
        return None
    found = _KEY_LINE.match(line) or _ITEM_LINE.match(line)
    value = (found.group("value") or "") if found else ""
    if (rest := _quoted_then_more(value)) is not None:
        if value.strip()[0] == "'":
            return (
                f"this value starts with ' so YAML ends it at the next ' and cannot read "
                f"'{_excerpt(rest)}' after it: inside '…' write an apostrophe twice ('') "
                'or put the whole line in "…"'
            )
        return (
            "this value starts with a quote, so YAML ends it at the closing quote and "
            f"cannot read '{_excerpt(rest)}' after it: put the whole line in quotes of the "
            f"other kind ('{_excerpt(value.strip())}'), or use Chinese quotes “…” inside it"
        )
    if value and value.lstrip()[:1] not in ("'", '"') and ": " in value:
        return (
            "a ': ' inside an unquoted value starts a mapping: quote the value "
            '("…: …") or write the Chinese colon "："'
        )
    above = [
        (number, candidate)
        for number, candidate in enumerate(text.split("\n")[: mark.line])
        if candidate.strip() and not candidate.lstrip().startswith("#")
    ]
    if not above:
        return None
    return _indent_hint(line, above)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _indent_hint(line: str, above: list[tuple[int, str]]) -> str | None:
    """Why ``line`` does not fit under the lines ``above`` it (numbered from 0)."""
    number, previous = above[-1]
    indent, previous_indent = _indent(line), _indent(previous)
    here = "a list item" if line.lstrip().startswith("- ") else "this key"
    if indent < previous_indent:
        outer = sorted({_indent(c) for _, c in above if _indent(c) < indent})
        sibling = next(
            (
                (n, c)
                for n, c in reversed(above)
                if _indent(c) == previous_indent and _KEY_LINE.match(c)
            ),
            None,
        )
        like = (
            f"line it up with '{sibling[1].strip()[:30]}' on line {sibling[0] + 1} "
            f"({previous_indent} spaces)"
            if sibling
            else f"indent it {previous_indent} spaces like line {number + 1}"
        )
        parent = f", or with its parent's keys ({outer[-1]} spaces)" if outer else ""
        return (
            f"{here} is indented less than line {number + 1} but more than its parent: "
            f"{like}{parent}"
        )
    previous_key = _KEY_LINE.match(previous)
    if indent > previous_indent and previous_key and previous_key.group("value"):
        return (
            f"{here} is indented more than line {number + 1}, which already has a value: "
            f"line it up with '{previous.strip()[:30]}' ({previous_indent} spaces)"
        )
    if _ITEM_LINE.match(previous) and indent == previous_indent and here == "this key":
        holder = next(
            (
                (n, c)
                for n, c in reversed(above)
                if _indent(c) < indent and c.rstrip().endswith(":")
            ),
            None,
        )
        if _KEY_LINE.match(line) and holder is not None:
            return (
                "this key is indented like the list items above it: a key beside "
                f"'{holder[1].strip()}' (line {holder[0] + 1}) goes {_indent(holder[1])} "
                "spaces in; a list item starts with '- '"
            )
        return f"line {number + 1} is a list item: start this line with '- ' too"
    return None


def _line_at(text: str, mark: _Mark | None) -> str:
    """The text of the line a parser mark is on ('' when out of range)."""
    lines = text.split("\n")
    return lines[mark.line] if mark is not None and 0 <= mark.line < len(lines) else ""


def _char_at(text: str, mark: _Mark | None) -> str:
    """The character at a parser mark ('' when out of range)."""
    if mark is None or not 0 <= mark.index < len(text):
        return ""
    return text[mark.index]


def _codepoint(character: str | int) -> int:
    return ord(character) if isinstance(character, str) else int(character)


def _tab_at(text: str, mark: _Mark | None) -> bool:
    """Whether the error position sits on a tab or in tab-indented whitespace."""
    if mark is None:
        return False
    lines = text.split("\n")
    if not 0 <= mark.line < len(lines):
        return False
    line = lines[mark.line]
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    return "\t" in indent or line[mark.column : mark.column + 1] == "\t"


def _at(file: str, mark: _Mark | None, code: str, message: str, hint: str) -> Diagnostic:
    line = mark.line + 1 if mark is not None else 1
    col = mark.column + 1 if mark is not None else 1
    return Diagnostic(file, line, col, code, message, hint)


def _short(tag: str) -> str:
    """``tag:yaml.org,2002:python/object`` → ``!!python/object`` for messages."""
    for prefix in ("tag:yaml.org,2002:", "yaml.org,2002:"):
        if tag.startswith(prefix):
            return "!!" + tag[len(prefix) :]
    return tag
