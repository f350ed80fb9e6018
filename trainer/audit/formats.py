"""Audit report formats: text, JSON, SARIF 2.1.0, JUnit XML and GitHub annotations.

Formats are separate from rules: each writer takes the `AuditResult` and the
rulebook and returns text. JSON is the stable machine format (``version: 1``);
SARIF lets code-scanning tools show findings on the lines of scripts; JUnit
lets CI list them as failed test cases; GitHub lines become annotations.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from trainer.audit.run import AuditResult, Hit
from trainer.grading.books import BookSet
from trainer.safetext import visible
from trainer.vocab import SEVERITIES, SEVERITY_RANK, category_names

if TYPE_CHECKING:
    from trainer.grading.rulebook import Rulebook

    #: What a report names: the one rulebook of the audit, or the set it picked from.
    Books = Rulebook | BookSet

FORMATS = ("text", "json", "sarif", "junit", "github")
FAIL_LEVELS = ("critical", "major", "minor", "never")

_SARIF_LEVEL = {"critical": "error", "major": "error", "minor": "warning", "review": "note"}
_GITHUB_LEVEL = {"critical": "error", "major": "error", "minor": "warning", "review": "notice"}


def fails(result: AuditResult, fail_on: str) -> bool:
    """True when some finding reaches the ``fail_on`` severity."""
    if fail_on == "never":
        return False
    floor = SEVERITY_RANK[fail_on]
    return any(hit.finding.rank >= floor for hit in result.hits)


def summary(result: AuditResult, fail_on: str) -> dict[str, Any]:
    """Counts for the report header."""
    by_severity: Counter[str] = Counter(hit.finding.severity for hit in result.hits)
    by_category = Counter(hit.finding.category for hit in result.hits)
    return {
        "files": result.files,
        "records": result.records,
        "audited": result.audited,
        "skipped": result.skipped,
        "findings": len(result.hits),
        "by_severity": {s: by_severity.get(s, 0) for s in SEVERITIES},
        "by_category": {c: by_category[c] for c in category_names() if by_category.get(c)},
        "errors": len(result.errors),
        "notices": len(result.notices),
        "fail_on": fail_on,
        "failed": fails(result, fail_on),
    }


def render(fmt: str, result: AuditResult, book: Books, fail_on: str) -> str:
    """The report in format ``fmt``."""
    writer = {"text": _text, "json": _json, "sarif": _sarif, "junit": _junit, "github": _github}[
        fmt
    ]
    return writer(result, book, fail_on)


def _book(book: Books) -> dict[str, Any]:
    return {"id": book.id, "version": book.version, "locale": book.locale, "rules": len(book.rules)}


def _books(book: Books) -> list[dict[str, Any]]:
    """Every rulebook the audit used (several when inputs of several locales were graded)."""
    return book.describe() if isinstance(book, BookSet) else [_book(book)]


def _finding_rows(hits: list[Hit]) -> list[str]:
    """One JSON object per hit, in the documented key order.

    The rule's own fields (category, message, suggestion, citations) are encoded
    once per rule and spliced in: a big audit has many findings of few rules.
    """
    dumps = json.dumps
    static: dict[tuple[str, str], tuple[str, str]] = {}
    rows = []
    for hit in hits:
        f = hit.finding
        parts = static.get((f.rule, f.severity))
        if parts is None:
            head = dumps(
                {"rule": f.rule, "category": f.category, "severity": f.severity}, ensure_ascii=False
            )[1:-1]
            tail = dumps(
                {
                    "message": f.message,
                    "suggestion": f.suggestion,
                    "citations": [c.to_json() for c in f.citations],
                },
                ensure_ascii=False,
            )[1:-1]
            parts = static[(f.rule, f.severity)] = (head, tail)
        where = dumps(
            {
                "record": hit.record,
                "call_id": hit.call_id,
                "turn": hit.turn,
                "file": hit.file,
                "line": hit.line,
                "column": hit.column,
            },
            ensure_ascii=False,
        )[1:-1]
        match = dumps(f.match, ensure_ascii=False)
        rows.append(
            f'{{{where}, {parts[0]}, "span": [{f.start}, {f.end}], "match": {match}, {parts[1]}}}'
        )
    return rows


def _text(result: AuditResult, book: Books, fail_on: str) -> str:
    lines = []
    for hit in result.hits:
        f = hit.finding
        lines.append(
            f"{hit.file}:{hit.line}:{hit.column}: {f.severity} {f.rule} [{f.category}] {f.message}"
        )
        lines.append(f"    matched: {f.match!r} (record {hit.record})")
        lines.append(f"    instead: {f.suggestion}")
    lines.extend(diag.format() for diag in result.notices)
    s = summary(result, fail_on)
    counts = ", ".join(f"{n} {sev}" for sev, n in s["by_severity"].items() if n) or "none"
    notices = f", {s['notices']} notice(s)" if s["notices"] else ""
    lines.append(
        f"{book.id} {book.version}: {s['audited']} utterances audited in "
        f"{s['files']} file(s), {s['findings']} finding(s) ({counts}), "
        f"{s['errors']} input error(s){notices}"
    )
    return "\n".join(lines) + "\n"


def _json(result: AuditResult, book: Books, fail_on: str) -> str:
    """The JSON report: readable header, one finding per line (fast for big audits)."""

    def items(rows: list[str]) -> str:
        if not rows:
            return "[]"
        return "[\n    " + ",\n    ".join(rows) + "\n  ]"

    used = _books(book)
    head = json.dumps(used[0] if len(used) == 1 else _book(book), ensure_ascii=False)
    books = json.dumps(used, ensure_ascii=False)
    counts = json.dumps(summary(result, fail_on), ensure_ascii=False)
    findings = items(_finding_rows(result.hits))
    errors = items([json.dumps(d.to_json(), ensure_ascii=False) for d in result.errors])
    notices = items([json.dumps(d.to_json(), ensure_ascii=False) for d in result.notices])
    return (
        f'{{\n  "version": 1,\n  "rulebook": {head},\n  "rulebooks": {books},\n'
        f'  "summary": {counts},\n  "findings": {findings},\n  "errors": {errors},\n'
        f'  "notices": {notices}\n}}\n'
    )


def _sarif(result: AuditResult, book: Books, fail_on: str) -> str:
    used = sorted({hit.finding.rule for hit in result.hits})
    index = {rid: i for i, rid in enumerate(used)}
    rules = []
    for rid in used:
        rule = book.rule(rid)
        rules.append(
            {
                "id": rule.id,
                "name": rule.title,
                "shortDescription": {"text": rule.title},
                "fullDescription": {"text": rule.message},
                "help": {
                    "text": f"{rule.message}\nInstead: {rule.suggestion}\nSources: "
                    + "; ".join(str(c) for c in rule.citations)
                },
                "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
                "properties": {
                    "category": rule.category,
                    "severity": rule.severity,
                    "citations": [c.to_json() for c in rule.citations],
                    "tags": [rule.category, "compliance"],
                },
            }
        )
    results = []
    for hit in result.hits:
        f = hit.finding
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "level": _SARIF_LEVEL[f.severity],
                "message": {"text": f"{f.message} Matched: {f.match!r}. Instead: {f.suggestion}"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": hit.file.replace("\\", "/")},
                            "region": {
                                "startLine": hit.line,
                                "startColumn": hit.column,
                                "endColumn": hit.column + max(1, f.end - f.start),
                                "snippet": {"text": f.match},
                            },
                        }
                    }
                ],
                "partialFingerprints": {
                    "record/rule/span": f"{hit.record}/{f.rule}/{f.start}-{f.end}"
                },
                "properties": {
                    "record": hit.record,
                    "call_id": hit.call_id,
                    "turn": hit.turn,
                    "category": f.category,
                    "severity": f.severity,
                },
            }
        )
    notifications = [
        {
            "level": d.severity,
            "message": {"text": f"{d.code}: {d.message}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": d.file},
                        "region": {"startLine": d.line, "startColumn": d.column},
                    }
                }
            ],
        }
        for d in [*result.errors, *result.notices]
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "trainer-audit",
                "version": str(book.version),
                "rules": rules,
                "properties": {"rulebook": _book(book), "rulebooks": _books(book)},
            }
        },
        "results": results,
        "invocations": [
            {"executionSuccessful": not result.errors, "toolExecutionNotifications": notifications}
        ],
    }
    data = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _junit(result: AuditResult, book: Books, fail_on: str) -> str:
    """One test suite per file, one failed test case per record with findings.

    Clean records are summarised in one passing case per file (a 300,000-record
    transcript would otherwise make an unusable report).
    """
    from xml.sax import saxutils  # only here: it pulls in urllib

    def escape(text: str) -> str:
        return saxutils.escape(_xml_chars(text))

    def quoteattr(text: str) -> str:
        return saxutils.quoteattr(_xml_chars(text))

    by_file: dict[str, list[Hit]] = {}
    for hit in result.hits:
        by_file.setdefault(hit.file, []).append(hit)
    errors_by_file: dict[str, list[Any]] = {}
    for diag in result.errors:
        errors_by_file.setdefault(diag.file, []).append(diag)
    notices_by_file: dict[str, list[Any]] = {}
    for diag in result.notices:
        notices_by_file.setdefault(diag.file, []).append(diag)
    files = sorted(set(by_file) | set(errors_by_file) | set(notices_by_file))
    suites = []
    total_tests = total_failures = total_errors = 0
    for name in files:
        hits = by_file.get(name, [])
        records: dict[str, list[Hit]] = {}
        for hit in hits:
            records.setdefault(hit.record, []).append(hit)
        cases = []
        for record, group in records.items():
            failing = [h for h in group if fails_one(h, fail_on)]
            body = "\n".join(
                f"{h.file}:{h.line}:{h.column}: {h.finding.severity} "
                f"{h.finding.rule} [{h.finding.category}] {h.finding.message} "
                f"matched {h.finding.match!r}; instead: {h.finding.suggestion}"
                for h in group
            )
            rules = ", ".join(sorted({h.finding.rule for h in group}))
            if failing:
                inner = (
                    f'<failure message={quoteattr(rules)} type="compliance">'
                    f"{escape(body)}</failure>"
                )
            else:
                inner = f"<system-out>{escape(body)}</system-out>"
            cases.append(
                f"    <testcase classname={quoteattr(name)} name={quoteattr(record)}>"
                f"{inner}</testcase>"
            )
            total_failures += bool(failing)
        for diag in errors_by_file.get(name, []):
            cases.append(
                f"    <testcase classname={quoteattr(name)} "
                f"name={quoteattr(f'{diag.file}:{diag.line}')}>"
                f'<error message={quoteattr(diag.code)} type="input">'
                f"{escape(diag.format())}</error></testcase>"
            )
            total_errors += 1
        for diag in notices_by_file.get(name, []):
            cases.append(
                f"    <testcase classname={quoteattr(name)} "
                f"name={quoteattr(f'{diag.file}:{diag.line} ungraded')}>"
                f"<skipped message={quoteattr(diag.code)}>"
                f"{escape(diag.format())}</skipped></testcase>"
            )
        failures = sum(1 for c in cases if "<failure" in c)
        errs = sum(1 for c in cases if "<error" in c)
        total_tests += len(cases)
        suites.append(
            f'  <testsuite name={quoteattr(name)} tests="{len(cases)}" '
            f'failures="{failures}" errors="{errs}">\n' + "\n".join(cases) + "\n  </testsuite>"
        )
    clean = result.audited - sum(len({h.record for h in hs}) for hs in by_file.values())
    suites.append(
        f'  <testsuite name="clean" tests="1" failures="0" errors="0">\n'
        f'    <testcase classname="audit" name="{max(clean, 0)} utterances without '
        f'findings"/>\n  </testsuite>'
    )
    total_tests += 1
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites name={quoteattr("trainer audit " + book.id)} tests="{total_tests}" '
        f'failures="{total_failures}" errors="{total_errors}">\n'
        + "\n".join(suites)
        + "\n</testsuites>\n"
    )


#: Characters XML 1.0 does not allow (C0 controls but tab and line ends, U+FFFE/FFFF,
#: lone surrogates); a record id or line holding them must not make the report unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_chars(text: str) -> str:
    """``text`` with characters XML cannot hold made visible (ESC → ␛) or replaced (U+FFFD)."""
    return _NOT_XML.sub(lambda m: visible(m.group()) if m.group() < "\x20" else "\ufffd", text)


def fails_one(hit: Hit, fail_on: str) -> bool:
    """True when this finding reaches the fail level."""
    return fail_on != "never" and hit.finding.rank >= SEVERITY_RANK[fail_on]


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def _github(result: AuditResult, book: Books, fail_on: str) -> str:
    lines = []
    for hit in result.hits:
        f = hit.finding
        level = _GITHUB_LEVEL[f.severity]
        title = _gh_escape(f"{f.rule} {f.category}", prop=True)
        message = _gh_escape(f"{f.message} Matched: {f.match!r}. Instead: {f.suggestion}")
        lines.append(
            f"::{level} file={_gh_escape(hit.file, True)},line={hit.line},"
            f"col={hit.column},title={title}::{message}"
        )
    for diag in [*result.errors, *result.notices]:
        level = "error" if diag.severity == "error" else "warning"
        lines.append(
            f"::{level} file={_gh_escape(diag.file, True)},line={diag.line},"
            f"col={diag.column},title={diag.code}::{_gh_escape(diag.message)}"
        )
    return "\n".join(lines) + ("\n" if lines else "")
