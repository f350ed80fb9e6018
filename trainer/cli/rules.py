"""CLI commands of the grader: ``trainer audit`` and ``trainer rules test|list|show``.

Nothing heavy is imported here; handlers import the grader when they run.
Exit codes: 0 clean, 1 findings at or above ``--fail-on`` (or failing rule
examples), 2 unreadable input or a broken rulebook.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from trainer.grading.content import ExampleSpec
    from trainer.grading.rulebook import Rulebook

FORMATS = ("text", "json", "sarif", "junit", "github")
FAIL_LEVELS = ("critical", "major", "minor", "never")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``audit`` and ``rules`` to the ``trainer`` command."""
    audit = subparsers.add_parser(
        "audit",
        help="grade transcripts, scripts and scenarios against a rulebook",
        description="Audit agent utterances in transcript JSONL/CSV, plain-text scripts "
        "(one utterance per line), scenario and wording YAML, or folders of them.",
    )
    audit.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to audit")
    audit.add_argument(
        "--rules",
        default=None,
        metavar="NAME|FILE",
        help="shipped rulebook name (zh-CN, en-US) or a rulebook file (default: each "
        "input's own locale: a content file's 'locale:', a record's 'lang', else zh-CN)",
    )
    audit.add_argument("--format", choices=FORMATS, default="text", help="report format")
    audit.add_argument(
        "--fail-on",
        choices=FAIL_LEVELS,
        default="major",
        help="exit 1 when a finding is at least this severe (default: major)",
    )
    audit.add_argument(
        "--jobs",
        type=_jobs,
        default=None,
        metavar="N",
        help="worker processes (default: one per available CPU when the transcripts and "
        "scripts add up to 32 MB or more, else 1; 0 = one per CPU)",
    )
    audit.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    audit.add_argument(
        "--require-approval",
        action="store_true",
        help="also fail (exit 1) on each taught line of the content paths that is not "
        "approved in the ledger, printed with its file:line:col",
    )
    # light: the content kinds are wired by `_audit` itself, only when an input may be content
    audit.set_defaults(handler=_audit, light=True)

    rules = subparsers.add_parser("rules", help="test, list and show compliance rules")
    sub = rules.add_subparsers(dest="rules_command", metavar="ACTION")
    test = sub.add_parser("test", help="run every rule's examples; confusion matrices")
    test.add_argument(
        "rulebook",
        nargs="?",
        default=None,
        metavar="RULEBOOK",
        help="name or file (default: every shipped rulebook)",
    )
    test.add_argument("--format", choices=("text", "json"), default="text")
    test.set_defaults(handler=_rules_test)
    listing = sub.add_parser("list", help="list the rules of a rulebook")
    listing.add_argument("rulebook", nargs="?", default="zh-CN", metavar="RULEBOOK")
    listing.add_argument("--category", help="only this category")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.set_defaults(handler=_rules_list, light=True)
    show = sub.add_parser("show", help="show one rule in full")
    show.add_argument("rule_id", metavar="ID", help="rule id, e.g. ZH-IMP-001")
    show.add_argument(
        "--rules",
        default=None,
        metavar="NAME|FILE",
        help="rulebook (default: picked from the id's prefix)",
    )
    show.set_defaults(handler=_rules_show, light=True)
    from trainer.cli import train as train_cmd

    train_cmd.add_parser(sub)
    rules.set_defaults(handler=lambda args: _usage(rules))


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    if value == 0:
        import os

        return os.cpu_count() or 1
    return value


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _load(ref: str, check_examples: bool = True) -> Rulebook | None:
    """The rulebook, or None after printing its diagnostics."""
    from trainer.diagnostics import ContentError
    from trainer.services.rulebooks import load_rulebook

    try:
        return load_rulebook(ref, check_examples=check_examples)
    except ContentError as exc:
        for diag in exc.diagnostics:
            sys.stderr.write(diag.format() + "\n")
        sys.stderr.write(f"rulebook '{ref}' cannot be used\n")
        return None


class _Encodable(io.TextIOBase):
    """A text stream that writes through `trainer.safetext.encodable` (a report file:
    a lone surrogate from the input becomes U+FFFD instead of a failed write)."""

    def __init__(self, inner: IO[str]) -> None:
        from trainer.safetext import encodable

        self.inner = inner
        self._encodable = encodable

    def write(self, text: str) -> int:
        self.inner.write(self._encodable(text))
        return len(text)


def _audit(args: argparse.Namespace) -> int:
    from trainer.audit.formats import ReportWriter, SpoolError
    from trainer.audit.run import audit
    from trainer.diagnostics import ContentError
    from trainer.grading.books import BookSet

    if not all(_transcript(raw) for raw in args.paths):
        from trainer.services.content import wire

        wire()  # scenario and wording YAML are read with the loader's content kinds
    if args.rules:
        book = _load(args.rules, check_examples=False)
        if book is None:
            return 2
        books = BookSet(book)
        books.ref = args.rules
    else:
        from trainer.services.rulebooks import load_rulebook as cached

        books = BookSet(loader=cached)  # compiled books come from the content cache
    try:
        report = ReportWriter(args.format, books, args.fail_on)
    except OSError as exc:
        sys.stderr.write(f"cannot write the report's temporary file: {exc.strerror or exc}\n")
        return 2
    with report:
        try:
            # the report is written as the audit goes (spooled on disk), so memory
            # stays flat whatever the size of the input
            result = audit(args.paths, books, jobs=args.jobs, sink=report.add)
        except ContentError as exc:  # a shipped rulebook picked by locale does not load
            for diag in exc.diagnostics:
                sys.stderr.write(diag.format() + "\n")
            return 2
        except SpoolError as exc:
            sys.stderr.write(f"cannot write the report's temporary file: {exc}\n")
            return 2
        for diag in [*result.errors, *result.notices]:
            sys.stderr.write(diag.format() + "\n")
        try:
            if args.output:
                with open(args.output, "w", encoding="utf-8") as handle:
                    report.finish(result, _Encodable(handle))
            else:
                report.finish(result, sys.stdout)
        except (OSError, SpoolError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else str(exc)
            sys.stderr.write(f"{args.output or 'standard output'}: cannot write report: {why}\n")
            return 2
    if result.errors:
        return 2
    unapproved = False
    if args.require_approval:
        from trainer.cli.content import approval_gate

        content = [Path(p) for p in args.paths if _is_content(Path(p))]
        gate = approval_gate(content, "audit") if content else []
        if gate is None:
            return 2
        for diag in gate:
            sys.stderr.write(diag.format() + "\n")
        unapproved = bool(gate)
    return 1 if report.fails() or unapproved else 0


def _transcript(raw: str) -> bool:
    """Whether an audit input is surely no content: standard input, or a file named
    as JSONL, CSV or text (a folder or any other name may hold YAML)."""
    from trainer.audit.run import CSV_SUFFIXES, JSONL_SUFFIXES, TEXT_SUFFIXES

    path = Path(raw)
    if raw == "-":
        return True
    return (
        path.suffix.lower() in JSONL_SUFFIXES + CSV_SUFFIXES + TEXT_SUFFIXES and not path.is_dir()
    )


def _is_content(path: Path) -> bool:
    """Whether an audit input is content the ledger governs (a YAML file or a folder)."""
    return path.is_dir() or path.suffix in (".yaml", ".yml")


def _rules_test(args: argparse.Namespace) -> int:
    import json

    from trainer.grading.rulebook import shipped_names
    from trainer.grading.ruletest import format_report, run_examples

    refs = [args.rulebook] if args.rulebook else shipped_names()
    status = 0
    reports = {}
    for ref in refs:
        book = _load(ref, check_examples=False)
        if book is None:
            return 2
        report = run_examples(book)
        reports[book.id] = report.to_json()
        if args.format == "text":
            sys.stdout.write(format_report(book, report) + "\n")
        if not report.ok:
            status = 1
    if args.format == "json":
        sys.stdout.write(json.dumps(reports, ensure_ascii=False, indent=2) + "\n")
    return status


def _rules_list(args: argparse.Namespace) -> int:
    import json

    from trainer.diagnostics import ContentError
    from trainer.services.rulebooks import rulebook_summary

    try:
        book = rulebook_summary(args.rulebook)  # the cache's JSON side: no grader import
    except ContentError as exc:
        for diag in exc.diagnostics:
            sys.stderr.write(diag.format() + "\n")
        sys.stderr.write(f"rulebook '{args.rulebook}' cannot be used\n")
        return 2
    rules = [r for r in book.rules if not args.category or r["category"] == args.category]
    if args.format == "json":
        sys.stdout.write(json.dumps(rules, ensure_ascii=False, indent=2) + "\n")
        return 0
    sys.stdout.write(f"{book.id} {book.version} ({book.locale}): {len(rules)} rules\n")
    for r in rules:
        sys.stdout.write(f"{r['id']:<12} {r['severity']:<9} {r['category']:<24} {r['title']}\n")
    return 0


def _rules_show(args: argparse.Namespace) -> int:
    ref = args.rules or ("en-US" if args.rule_id.upper().startswith("EN-") else "zh-CN")
    book = _load(ref)
    if book is None:
        return 2
    try:
        rule = book.rule(args.rule_id.upper())
    except KeyError:
        sys.stderr.write(
            f"no rule '{args.rule_id}' in rulebook {book.id}; see 'trainer rules list {book.id}'\n"
        )
        return 2
    out = [
        f"{rule.id}  {rule.title}",
        f"category: {rule.category}    severity: {rule.severity}",
        f"why:      {rule.message}",
        f"instead:  {rule.suggestion}",
        "sources:",
    ]
    out += [f"  - {c}" + (f" <{c.url}>" if c.url else "") for c in rule.citations]
    when = {k: v for k, v in rule.when.model_dump().items() if v is not None}
    if when:
        out.append(f"applies:  {when}")
    if rule.triggers:
        out.append(f"triggers: {', '.join(rule.triggers)}")
    if rule.spec.model and book.classifier is not None:
        threshold = rule.spec.threshold or book.classifier.thresholds.get(rule.category, 0.0)
        quality = book.classifier.metrics.get(rule.category, {})
        out.append(
            f"model:    learned stage ({book.classifier.source}), fires at p ≥ {threshold:.3f}; "
            f"out-of-fold recall {quality.get('oof_recall')}, false positives "
            f"{quality.get('oof_false_positives')}/{quality.get('compliant')}"
        )
    out.append("flags:")
    out += [f"  ✗ {e.text}" + _ctx(e) for e in rule.spec.examples.flag]
    out.append("passes:")
    out += [f"  ✓ {e.text}" + _ctx(e) for e in rule.spec.examples.pass_]
    out.append(f"defined:  {rule.source}:{rule.line}")
    sys.stdout.write("\n".join(out) + "\n")
    return 0


def _ctx(example: ExampleSpec) -> str:
    parts = []
    if example.party != "debtor":
        parts.append(f"party={example.party}")
    if not example.verified:
        parts.append("unverified")
    if example.time:
        parts.append(f"at {example.time}")
    if example.consent:
        parts.append("consent")
    if example.turn != 1:
        parts.append(f"turn {example.turn}")
    return f"  ({', '.join(parts)})" if parts else ""
