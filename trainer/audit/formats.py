"""Audit report formats: text, JSON, SARIF 2.1.0, JUnit XML and GitHub annotations.

Formats are separate from rules. JSON is the stable machine format (``version:
1``); SARIF lets code-scanning tools show findings on the lines of scripts;
JUnit lets CI list them as failed test cases; GitHub lines become annotations.

Reports are written incrementally (`ReportWriter`): the audit hands over its
hits as it finds them, the writer counts them and spools each one, already
formatted, to a temporary file on disk, and `ReportWriter.finish` writes the
header (whose counts are known only at the end), streams the spool back and
adds the trailer. Memory stays flat whatever the size of the audit; the bytes
are those the one-shot writers produced (`render`, for a result in memory, is
the same writer). JUnit groups a file's findings by record, so its spool is a
temporary SQLite table that returns them grouped.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterator
from io import TextIOBase
from typing import IO, TYPE_CHECKING, Any

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
    """Counts for the report header (of a result that holds its hits)."""
    tally = _Tally()
    tally.add(result.hits)
    return tally.summary(result, fail_on)


class _Tally:
    """The counts of a report, kept as hits stream past."""

    def __init__(self) -> None:
        self.findings = 0
        self.by_severity: Counter[str] = Counter()
        self.by_category: Counter[str] = Counter()
        self.top = -1  # the highest severity rank seen

    def add(self, hits: list[Hit]) -> None:
        self.findings += len(hits)
        for hit in hits:
            f = hit.finding
            self.by_severity[f.severity] += 1
            self.by_category[f.category] += 1
            if f.rank > self.top:
                self.top = f.rank

    def fails(self, fail_on: str) -> bool:
        return fail_on != "never" and self.top >= SEVERITY_RANK[fail_on]

    def summary(self, result: AuditResult, fail_on: str) -> dict[str, Any]:
        by_severity, by_category = self.by_severity, self.by_category
        return {
            "files": result.files,
            "records": result.records,
            "audited": result.audited,
            "skipped": result.skipped,
            "findings": self.findings,
            "by_severity": {s: by_severity.get(s, 0) for s in SEVERITIES},
            "by_category": {c: by_category[c] for c in category_names() if by_category.get(c)},
            "errors": len(result.errors),
            "notices": len(result.notices),
            "fail_on": fail_on,
            "failed": self.fails(fail_on),
        }


def render(fmt: str, result: AuditResult, book: Books, fail_on: str) -> str:
    """The report in format ``fmt`` of a result that holds its hits."""
    import io

    with ReportWriter(fmt, book, fail_on) as writer:
        writer.add(result.hits)
        out = io.StringIO()
        writer.finish(result, out)
    return out.getvalue()


class SpoolError(Exception):
    """The report's temporary spool cannot be written (the message says why)."""


class ReportWriter:
    """One report, written as the audit goes (pass `add` as the audit's sink).

    Use as a context manager (the spool is deleted on exit); call `finish`
    once the audit is done to write the report to a text stream.
    """

    def __init__(self, fmt: str, book: Books, fail_on: str) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown report format {fmt!r}")
        self.fmt = fmt
        self.book = book
        self.fail_on = fail_on
        self.tally = _Tally()
        self._spool: IO[str] = tempfile.TemporaryFile(  # noqa: SIM115 - closed by close()
            "w+", encoding="utf-8", errors="surrogatepass", newline="\n"
        )
        self._static: dict[tuple[str, str], tuple[str, str]] = {}
        self._rules: set[str] = set()
        self._db: sqlite3.Connection | None = None
        self._seq = 0
        if fmt == "junit":
            self._db = sqlite3.connect("")  # a private temporary database on disk
            self._db.execute(
                "CREATE TABLE hits (seq INTEGER PRIMARY KEY, file TEXT, record TEXT,"
                " rule TEXT, failing INTEGER, body TEXT)"
            )

    def __enter__(self) -> ReportWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Delete the spool."""
        self._spool.close()
        if self._db is not None:
            self._db.close()
            self._db = None

    def fails(self) -> bool:
        """True when some finding so far reaches the fail level."""
        return self.tally.fails(self.fail_on)

    def add(self, hits: list[Hit]) -> None:
        """Count and spool a run of hits (in input order).

        Raises `SpoolError` (not an `OSError`, which the audit takes for an input
        it cannot read) when the spool cannot be written, e.g. on a full disk.
        """
        try:
            self._add(hits)
        except (OSError, sqlite3.Error) as exc:
            raise SpoolError(getattr(exc, "strerror", None) or str(exc)) from exc

    def _add(self, hits: list[Hit]) -> None:
        self.tally.add(hits)
        fmt = self.fmt
        if fmt == "json":
            self._spool.writelines(row + "\n" for row in _finding_rows(hits, self._static))
        elif fmt == "text":
            self._spool.writelines(_text_hit(hit) for hit in hits)
        elif fmt == "github":
            self._spool.writelines(_github_hit(hit) + "\n" for hit in hits)
        elif fmt == "sarif":
            for hit in hits:
                self._rules.add(hit.finding.rule)
                self._spool.write(json.dumps(_sarif_result(hit), ensure_ascii=True) + "\n")
        else:
            assert self._db is not None
            rows = []
            for hit in hits:
                self._seq += 1
                f = hit.finding
                body = (
                    f"{hit.file}:{hit.line}:{hit.column}: {f.severity} "
                    f"{f.rule} [{f.category}] {f.message} "
                    f"matched {f.match!r}; instead: {f.suggestion}"
                )
                rows.append(
                    (
                        self._seq,
                        _key(hit.file),
                        _key(hit.record),
                        f.rule,
                        int(fails_one(hit, self.fail_on)),
                        _key(body),
                    )
                )
            self._db.executemany("INSERT INTO hits VALUES (?, ?, ?, ?, ?, ?)", rows)

    def finish(self, result: AuditResult, out: Out) -> None:
        """Write the whole report to ``out`` (``result`` gives the counts and diagnostics)."""
        try:
            self._spool.flush()
            self._spool.seek(0)
        except OSError as exc:
            raise SpoolError(exc.strerror or str(exc)) from exc
        finish = {
            "text": self._finish_text,
            "json": self._finish_json,
            "sarif": self._finish_sarif,
            "junit": self._finish_junit,
            "github": self._finish_github,
        }[self.fmt]
        try:
            finish(result, out)
        except sqlite3.Error as exc:  # the JUnit spool's grouping (a full disk)
            raise SpoolError(str(exc)) from exc

    def _spooled(self) -> Iterator[str]:
        """The spooled lines, without their line ends."""
        for line in self._spool:
            yield line[:-1]

    def _finish_text(self, result: AuditResult, out: Out) -> None:
        shutil.copyfileobj(self._spool, out)
        book = self.book
        lines = [diag.format() for diag in result.notices]
        s = self.tally.summary(result, self.fail_on)
        counts = ", ".join(f"{n} {sev}" for sev, n in s["by_severity"].items() if n) or "none"
        notices = f", {s['notices']} notice(s)" if s["notices"] else ""
        lines.append(
            f"{book.id} {book.version}: {s['audited']} utterances audited in "
            f"{s['files']} file(s), {s['findings']} finding(s) ({counts}), "
            f"{s['errors']} input error(s){notices}"
        )
        out.write("\n".join(lines) + "\n")

    def _finish_json(self, result: AuditResult, out: Out) -> None:
        """The JSON report: readable header, one finding per line (fast for big audits)."""

        def items(rows: Iterator[str]) -> None:
            first = next(rows, None)
            if first is None:
                out.write("[]")
                return
            out.write("[\n    " + first)
            for row in rows:
                out.write(",\n    " + row)
            out.write("\n  ]")

        book = self.book
        used = _books(book)
        head = json.dumps(used[0] if len(used) == 1 else _book(book), ensure_ascii=False)
        books = json.dumps(used, ensure_ascii=False)
        counts = json.dumps(self.tally.summary(result, self.fail_on), ensure_ascii=False)
        out.write(
            f'{{\n  "version": 1,\n  "rulebook": {head},\n  "rulebooks": {books},\n'
            f'  "summary": {counts},\n  "findings": '
        )
        items(self._spooled())
        out.write(',\n  "errors": ')
        items(json.dumps(d.to_json(), ensure_ascii=False) for d in result.errors)
        out.write(',\n  "notices": ')
        items(json.dumps(d.to_json(), ensure_ascii=False) for d in result.notices)
        out.write("\n}\n")

    def _finish_sarif(self, result: AuditResult, out: Out) -> None:
        book = self.book
        used = sorted(self._rules)
        index = {rid: i for i, rid in enumerate(used)}
        rules = [_sarif_rule(book.rule(rid)) for rid in used]
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
            "results": _HOLE,
            "invocations": [
                {
                    "executionSuccessful": not result.errors,
                    "toolExecutionNotifications": notifications,
                }
            ],
        }
        data = {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [run],
        }
        whole = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        hole = json.dumps(_HOLE)
        before, after = whole.split(hole, 1)
        out.write(before)
        first = True
        for line in self._spooled():
            item = json.loads(line)
            item["ruleIndex"] = index[item["ruleId"]]
            text = json.dumps(item, ensure_ascii=False, indent=2).replace("\n", "\n        ")
            out.write(("[\n        " if first else ",\n        ") + text)
            first = False
        out.write("[]" if first else "\n      ]")
        out.write(after)

    def _finish_junit(self, result: AuditResult, out: Out) -> None:
        """One test suite per file, one failed test case per record with findings.

        Clean records are summarised in one passing case per file (a 300,000-record
        transcript would otherwise make an unusable report).
        """
        from xml.sax import saxutils  # only here: it pulls in urllib

        def escape(text: str) -> str:
            return saxutils.escape(_xml_chars(text))

        def quoteattr(text: str) -> str:
            return saxutils.quoteattr(_xml_chars(text))

        db = self._db
        assert db is not None
        db.execute(
            "CREATE TABLE groups AS SELECT file, record, MIN(seq) AS first,"
            " MAX(failing) AS failing FROM hits GROUP BY file, record"
        )
        db.execute("CREATE INDEX groups_order ON groups (file, first)")
        db.execute("CREATE INDEX hits_order ON hits (file, record, seq)")
        per_file: dict[str, tuple[int, int]] = {}
        for file, records, failing in db.execute(
            "SELECT file, COUNT(*), SUM(failing) FROM groups GROUP BY file"
        ):
            per_file[json.loads(file)] = (records, failing)
        errors_by_file: dict[str, list[Any]] = {}
        for diag in result.errors:
            errors_by_file.setdefault(diag.file, []).append(diag)
        notices_by_file: dict[str, list[Any]] = {}
        for diag in result.notices:
            notices_by_file.setdefault(diag.file, []).append(diag)
        files = sorted(set(per_file) | set(errors_by_file) | set(notices_by_file))
        total_tests = 1
        total_failures = total_errors = 0
        for name in files:
            records, failing = per_file.get(name, (0, 0))
            errs = len(errors_by_file.get(name, []))
            total_tests += records + errs + len(notices_by_file.get(name, []))
            total_failures += failing
            total_errors += errs
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<testsuites name={quoteattr('trainer audit ' + self.book.id)} "
            f'tests="{total_tests}" failures="{total_failures}" errors="{total_errors}">\n'
        )
        for name in files:
            records, failing = per_file.get(name, (0, 0))
            errors = errors_by_file.get(name, [])
            notices = notices_by_file.get(name, [])
            out.write(
                f"  <testsuite name={quoteattr(name)} "
                f'tests="{records + len(errors) + len(notices)}" '
                f'failures="{failing}" errors="{len(errors)}">\n'
            )
            cases: list[str] = []
            key = _key(name)
            groups = db.execute(
                "SELECT record, failing FROM groups WHERE file = ? ORDER BY first", (key,)
            ).fetchall()
            for record_key, failed in groups:
                record = json.loads(record_key)
                rows = db.execute(
                    "SELECT rule, body FROM hits WHERE file = ? AND record = ? ORDER BY seq",
                    (key, record_key),
                ).fetchall()
                body = "\n".join(json.loads(b) for _, b in rows)
                rules = ", ".join(sorted({r for r, _ in rows}))
                if failed:
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
                if len(cases) >= 256:
                    out.write("\n".join(cases) + "\n")
                    cases = []
            for diag in errors:
                cases.append(
                    f"    <testcase classname={quoteattr(name)} "
                    f"name={quoteattr(f'{diag.file}:{diag.line}')}>"
                    f'<error message={quoteattr(diag.code)} type="input">'
                    f"{escape(diag.format())}</error></testcase>"
                )
            for diag in notices:
                cases.append(
                    f"    <testcase classname={quoteattr(name)} "
                    f"name={quoteattr(f'{diag.file}:{diag.line} ungraded')}>"
                    f"<skipped message={quoteattr(diag.code)}>"
                    f"{escape(diag.format())}</skipped></testcase>"
                )
            out.write("".join(c + "\n" for c in cases) + "  </testsuite>\n")
        flagged = sum(records for records, _ in per_file.values())
        clean = result.audited - flagged
        out.write(
            f'  <testsuite name="clean" tests="1" failures="0" errors="0">\n'
            f'    <testcase classname="audit" name="{max(clean, 0)} utterances without '
            f'findings"/>\n  </testsuite>\n</testsuites>\n'
        )

    def _finish_github(self, result: AuditResult, out: Out) -> None:
        shutil.copyfileobj(self._spool, out)
        lines = []
        for diag in [*result.errors, *result.notices]:
            level = "error" if diag.severity == "error" else "warning"
            lines.append(
                f"::{level} file={_gh_escape(diag.file, True)},line={diag.line},"
                f"col={diag.column},title={diag.code}::{_gh_escape(diag.message)}"
            )
        out.write("\n".join(lines) + ("\n" if lines else ""))


#: Where a report is written: an open text file or stream.
Out = IO[str] | TextIOBase

#: Stands for the SARIF results while the rest of the report is laid out.
_HOLE = "\x00results\x00"


def _key(text: str) -> str:
    """Text as stored in the JUnit spool: JSON, so any string (even a lone surrogate
    of a file name that is not UTF-8) round-trips and compares as itself."""
    return json.dumps(text)


def _book(book: Books) -> dict[str, Any]:
    return {"id": book.id, "version": book.version, "locale": book.locale, "rules": len(book.rules)}


def _books(book: Books) -> list[dict[str, Any]]:
    """Every rulebook the audit used (several when inputs of several locales were graded)."""
    return book.describe() if isinstance(book, BookSet) else [_book(book)]


def _finding_rows(
    hits: list[Hit], static: dict[tuple[str, str], tuple[str, str]] | None = None
) -> list[str]:
    """One JSON object per hit, in the documented key order.

    The rule's own fields (category, message, suggestion, citations) are encoded
    once per rule and spliced in: a big audit has many findings of few rules.
    """
    dumps = json.dumps
    if static is None:
        static = {}
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


def _text_hit(hit: Hit) -> str:
    """The three lines of one finding in the text report."""
    f = hit.finding
    return (
        f"{hit.file}:{hit.line}:{hit.column}: {f.severity} {f.rule} [{f.category}] {f.message}\n"
        f"    matched: {f.match!r} (record {hit.record})\n"
        f"    instead: {f.suggestion}\n"
    )


def _sarif_rule(rule: Any) -> dict[str, Any]:
    """A rule's entry in the SARIF driver's ``rules``."""
    return {
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


def _sarif_result(hit: Hit) -> dict[str, Any]:
    """One SARIF result (``ruleIndex`` is set when the report is finished)."""
    f = hit.finding
    return {
        "ruleId": f.rule,
        "ruleIndex": 0,
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
        "partialFingerprints": {"record/rule/span": f"{hit.record}/{f.rule}/{f.start}-{f.end}"},
        "properties": {
            "record": hit.record,
            "call_id": hit.call_id,
            "turn": hit.turn,
            "category": f.category,
            "severity": f.severity,
        },
    }


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


def _github_hit(hit: Hit) -> str:
    """One finding as a GitHub annotation line."""
    f = hit.finding
    level = _GITHUB_LEVEL[f.severity]
    title = _gh_escape(f"{f.rule} {f.category}", prop=True)
    message = _gh_escape(f"{f.message} Matched: {f.match!r}. Instead: {f.suggestion}")
    return (
        f"::{level} file={_gh_escape(hit.file, True)},line={hit.line},"
        f"col={hit.column},title={title}::{message}"
    )
