"""CLI commands for content: ``validate``, ``schema`` and ``list``.

Imports nothing heavy at module level: ``trainer --help`` must stay fast, and
``trainer validate`` must never import Textual, transitions or the grader
unless a content plugin needs it.

Exit codes: 0 valid (warnings allowed unless ``--strict``), 1 content errors,
2 bad usage or unreadable paths.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from trainer.vocab import SCENARIO_STAGES as STAGES

if TYPE_CHECKING:
    from trainer.diagnostics import Diagnostic
    from trainer.services.content import Summary

#: Codes meaning the input could not be read at all (exit 2, not 1).
UNREADABLE = frozenset({"Y100", "Y109"})
SCHEMA_KINDS = ("scenario", "personas", "intents", "wording", "all")
LIBRARIES_HELP = (
    "also load the shipped personas, intents, wording and scorecards (not their scenarios),"
    " so a pack of your own can use them without copying"
)
#: Said once, after the first unknown intent (R302) or persona (R303) of a pack that has
#: no library of that kind: the shipped ones can be loaded beside it.
USE_SHIPPED = (
    "this pack has no {kind} library: to use the shipped one without copying it, "
    "add --shipped-libraries (docs/authoring.md, 'A pack of your own')"
)
LIBRARY_CODES = {"R302": "intents", "R303": "personas"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``validate``, ``schema`` and ``list`` to the ``trainer`` parser."""
    validate = subparsers.add_parser(
        "validate",
        help="check content files: schema, references, graph, path properties",
        description="Check content files and print every problem with file:line:column. "
        "Exit 0 valid, 1 content errors, 2 bad usage or unreadable paths.",
    )
    validate.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or folders (default: the shipped content)"
    )
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.add_argument("--strict", action="store_true", help="treat warnings as errors")
    validate.add_argument(
        "--require-approval",
        action="store_true",
        help="also fail on each line a trainee can reach that is not approved in the "
        "ledger (new, changed, or approved under other findings): codes A901-A903",
    )
    validate.add_argument("--shipped-libraries", action="store_true", help=LIBRARIES_HELP)
    validate.set_defaults(handler=run_validate, light=True)

    schema = subparsers.add_parser(
        "schema", help="print the JSON Schema of content files (for editor completion)"
    )
    schema.add_argument("--kind", choices=SCHEMA_KINDS, default="all")
    schema.set_defaults(handler=run_schema)

    listing = subparsers.add_parser("list", help="list scenarios")
    listing.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or folders (default: the shipped content)"
    )
    listing.add_argument(
        "--content",
        metavar="DIR",
        help="content folder to list instead of the shipped content (as play, test and tui take)",
    )
    listing.add_argument("--shipped-libraries", action="store_true", help=LIBRARIES_HELP)
    listing.add_argument("--stage", choices=STAGES)
    listing.add_argument("--locale", help="e.g. zh-CN or en-US")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.set_defaults(handler=run_list, light=True)


def _load(paths: list[str], *, libraries: bool = False) -> Summary:
    """The diagnostics and scenarios of the named paths (with their locale folders, and
    with ``libraries`` the shipped libraries, as context) or of the shipped content: from
    the content cache when nothing changed."""
    from trainer.paths import shipped_libraries
    from trainer.scenarios.files import context_for
    from trainer.services.content import content_summary

    if not paths:
        return content_summary()
    targets = [Path(p) for p in paths]
    context = context_for(targets) + (shipped_libraries() if libraries else [])
    return content_summary(targets, context=context)


def _library_kinds(paths: list[str]) -> set[str]:
    """The library kinds (``intents``, ``personas``) the named files and folders hold."""
    import re

    from trainer.scenarios.files import discover

    files, _ = discover([Path(p) for p in paths])
    kind = re.compile(r"^kind:\s*['\"]?(intents|personas)['\"]?\s*(?:#.*)?$", re.MULTILINE)
    found: set[str] = set()
    for path in files:
        try:
            head = path.read_text(encoding="utf-8", errors="replace")[:4096]
        except OSError:
            continue
        found.update(match.group(1) for match in kind.finditer(head))
    return found


def _suggest_libraries(args: argparse.Namespace, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """The first unknown intent (R302) or persona (R303) of a pack with no library of that
    kind says how to use the shipped one (once: the other lines are the same mistake)."""
    import dataclasses

    codes = {d.code for d in diagnostics} & set(LIBRARY_CODES)
    if not args.paths or args.shipped_libraries or not codes:
        return diagnostics
    missing = {LIBRARY_CODES[code] for code in codes} - _library_kinds(args.paths)
    out: list[Diagnostic] = []
    for diagnostic in diagnostics:
        kind = LIBRARY_CODES.get(diagnostic.code)
        if kind in missing:
            missing.discard(kind)
            note = USE_SHIPPED.format(kind="intent" if kind == "intents" else "persona")
            hint = f"{diagnostic.hint}; {note}" if diagnostic.hint else note
            diagnostic = dataclasses.replace(diagnostic, hint=hint)
        out.append(diagnostic)
    return out


def run_validate(args: argparse.Namespace) -> int:
    """Validate content and print diagnostics; the exit code says what was found."""
    try:
        diagnostics = _load(args.paths, libraries=args.shipped_libraries).diagnostics
    except FileNotFoundError as exc:
        sys.stderr.write(f"trainer validate: {exc}\n")
        return 2
    if args.require_approval:
        gate = approval_gate([Path(p) for p in args.paths], "validate")
        if gate is None:
            return 2
        diagnostics = sorted([*diagnostics, *gate], key=lambda d: (d.file, d.line, d.column))
    diagnostics = _suggest_libraries(args, list(diagnostics))
    errors = [d for d in diagnostics if d.severity == "error"]
    warnings = [d for d in diagnostics if d.severity == "warning"]
    if args.format == "json":
        json.dump(
            {"errors": [d.to_json() for d in errors], "warnings": [d.to_json() for d in warnings]},
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        sys.stdout.write("\n")
    else:
        for diagnostic in diagnostics:
            sys.stdout.write(diagnostic.format() + "\n")
        files = len({d.file for d in diagnostics})
        verdict = "invalid" if errors or (args.strict and warnings) else "valid"
        sys.stdout.write(
            f"{verdict}: {_count(len(errors), 'error')}, "
            f"{_count(len(warnings), 'warning')}"
            + (f" in {_count(files, 'file')}" if files else "")
            + "\n"
        )
    if any(d.code in UNREADABLE for d in errors):
        return 2
    if errors or (args.strict and warnings):
        return 1
    return 0


def approval_gate(paths: list[Path], command: str) -> list[Diagnostic] | None:
    """The approval gate's errors for ``paths``, or None after the one line that says
    why the ledger cannot be used."""
    from trainer.services.approvals import approval_gate as gate

    found, problem = gate(paths)
    if problem is not None:
        sys.stderr.write(f"trainer {command}: {problem}\n")
        return None
    return found


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def run_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of one kind of content file, or of all of them."""
    from trainer.scenarios.schema import build_schema

    kinds = None if args.kind == "all" else [args.kind]
    json.dump(build_schema(kinds), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """List the scenarios that load, filtered by stage and locale."""
    paths = [*([args.content] if args.content else []), *args.paths]
    if args.content and not Path(args.content).exists():
        sys.stderr.write(f"trainer list: {args.content}: no such content folder\n")
        return 2
    try:
        summary = _load(paths, libraries=args.shipped_libraries)
    except FileNotFoundError as exc:
        sys.stderr.write(f"trainer list: {exc}\n")
        return 2
    diagnostics = summary.diagnostics
    if any(d.code in UNREADABLE for d in diagnostics):
        for diagnostic in diagnostics:
            if diagnostic.code in UNREADABLE:
                sys.stderr.write(diagnostic.format() + "\n")
        return 2
    rows = [
        row
        for row in sorted(summary.scenarios, key=lambda r: (r["locale"], r["stage"], r["id"]))
        if (args.stage is None or row["stage"] == args.stage)
        and (args.locale is None or row["locale"] == args.locale)
    ]
    if args.format == "json":
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if not rows:
        sys.stdout.write("no scenarios\n")
        return 0
    widths = {
        key: max(len(key), *(len(row[key]) for row in rows))
        for key in ("id", "stage", "locale", "difficulty")
    }
    header = ("id", "stage", "locale", "difficulty", "title")
    sys.stdout.write("  ".join(h.ljust(widths.get(h, 0)) for h in header).rstrip() + "\n")
    for row in rows:
        sys.stdout.write(
            "  ".join(str(row[h]).ljust(widths.get(h, 0)) for h in header).rstrip() + "\n"
        )
    errors = sum(1 for d in diagnostics if d.severity == "error")
    if errors:
        sys.stderr.write(f"({_count(errors, 'content error')}: run 'trainer validate')\n")
    return 0
