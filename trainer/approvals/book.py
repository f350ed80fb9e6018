"""The compliance book: every approved line with its why, citations, reviewer and date.

Printed for an audit file or read on screen, the book is grouped by scenario stage
and scenario (the wording library last, by locale), in the order the lines are
written. The HTML is one self-contained page (inline styles, no script, no font or
image fetched: it opens on an offline machine and prints on A4); the CSV has one row
a line, cells defused for spreadsheets. Every text in it is content, escaped.

Lines that are not approved (new, changed) are left out and counted at the top;
lines approved under findings the grader no longer agrees with are shown, marked
for re-review.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

from trainer.approvals.lines import WORDING_STAGE
from trainer.approvals.review import LineStatus, describe
from trainer.safetext import csv_cell
from trainer.vocab import SCENARIO_STAGES

if TYPE_CHECKING:
    from trainer.grading.books import BookSet

STAGE_TITLES = {
    "first_contact": "First contact · 首次联系",
    "repeat_contact": "Repeat contact · 再次联系",
    "third_party": "Third party · 第三人联系",
    "special": "Special accounts · 特殊账户",
    WORDING_STAGE: "Wording library · 标准话术库",
}
#: How many citations of the categories a line guards against the book names.
MAX_CITATIONS = 4
CSV_FIELDS = (
    "stage",
    "scenario",
    "title",
    "node",
    "kind",
    "quality",
    "locale",
    "id",
    "file",
    "line",
    "text",
    "why",
    "guards",
    "citations",
    "reviewer",
    "approved",
    "rulebook",
    "findings",
    "override",
    "note",
    "state",
    "recheck",
)


def book_rows(statuses: Iterable[LineStatus], books: BookSet) -> list[dict[str, str]]:
    """One row per approved line (state ``approved`` or ``rules``), in book order."""
    order = {stage: i for i, stage in enumerate((*SCENARIO_STAGES, WORDING_STAGE))}
    rows: list[tuple[tuple[object, ...], dict[str, str]]] = []
    for status in statuses:
        line, entry = status.line, status.entry
        if status.state not in ("approved", "rules") or line is None or entry is None:
            continue
        data = entry.data
        rulebook = data.get("rulebook") or {}
        row = {
            "stage": line.stage,
            "scenario": line.scenario or "",
            "title": line.title,
            "node": line.node or "",
            "kind": line.kind,
            "quality": line.quality,
            "locale": line.locale,
            "id": line.id,
            "file": line.file,
            "line": str(line.line),
            "text": line.text,
            "why": line.why,
            "guards": ", ".join(line.guards),
            "citations": "; ".join(_citations(status, books)),
            "reviewer": str(data.get("reviewer", "")),
            "approved": str(data.get("time", "")),
            "rulebook": f"{rulebook.get('id', '')} {rulebook.get('version', '')}".strip(),
            "findings": ", ".join(
                f"{f.get('rule')} ({f.get('severity')})" for f in status.signed_findings
            ),
            "override": str(data.get("override", "")),
            "note": str(data.get("note", "")),
            "state": "re-review: the rules changed" if status.state == "rules" else "approved",
            "recheck": describe(status) if status.state == "rules" else "",
        }
        key = (order.get(line.stage, len(order)), line.locale, line.scenario or "", line.file)
        rows.append(((*key, line.line, line.column), row))
    return [row for _, row in sorted(rows, key=lambda pair: pair[0])]


def _citations(status: LineStatus, books: BookSet) -> list[str]:
    """Sources behind the line: the rules it was found against at signing, then the rules
    of the categories its node's poor options break (what the approved line avoids)."""
    line = status.line
    assert line is not None
    book = books.get(line.locale)
    out: dict[str, None] = {}
    for found in status.signed_findings:
        try:
            rule = book.rule(str(found.get("rule")))
        except KeyError:
            continue
        out.update(dict.fromkeys(f"{rule.id}: {c}" for c in rule.citations))
    for category in line.guards:
        shown = 0
        for rule in book.rules:
            if rule.category != category:
                continue
            for citation in rule.citations:
                text = str(citation)
                if text not in out and shown < MAX_CITATIONS:
                    out[text] = None
                    shown += 1
    return list(out)


def render_csv(rows: list[dict[str, str]]) -> str:
    """The book as CSV (UTF-8 with a header row; formulas defused)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for row in rows:
        writer.writerow([csv_cell(row[name]) for name in CSV_FIELDS])
    return buffer.getvalue()


_CSS = """
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
  "Microsoft YaHei", system-ui, sans-serif; color: #1d2329; margin: 24px auto;
  padding: 0 16px; max-width: 1012px; line-height: 1.45; font-size: 14px; background: #fff; }
header { border-bottom: 3px solid #1d4f73; padding-bottom: 10px; margin-bottom: 18px; }
h1 { font-size: 24px; margin: 0 0 4px; color: #1d4f73; }
h2 { font-size: 19px; margin: 26px 0 8px; padding: 4px 8px; background: #1d4f73;
  color: #fff; break-after: avoid; }
h3 { font-size: 16px; margin: 16px 0 6px; color: #1d4f73; break-after: avoid; }
h3 small { color: #5b6670; font-weight: normal; font-size: 12px; }
.meta { color: #5b6670; font-size: 12px; }
.summary { display: flex; gap: 16px; margin-top: 8px; flex-wrap: wrap; }
.summary span { border: 1px solid #c9d3dc; border-radius: 4px; padding: 3px 8px; }
.line { border: 1px solid #c9d3dc; border-left: 4px solid #2f7d4f; border-radius: 3px;
  padding: 6px 10px; margin: 6px 0; break-inside: avoid; }
.line.rules { border-left-color: #b7791f; }
.text { font-size: 15px; font-weight: 600; white-space: pre-wrap; }
.why { margin: 4px 0; white-space: pre-wrap; }
.tag { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 8px;
  background: #e6eef5; color: #1d4f73; margin-right: 6px; }
.tag.acceptable { background: #eef3e6; color: #44612a; }
.tag.warn { background: #fbefd9; color: #7a4d0b; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 6px 0 0;
  font-size: 12px; color: #3b444c; }
dt { color: #5b6670; }
dd { margin: 0; word-break: break-word; }
.empty { color: #5b6670; font-style: italic; }
.signed { font-size: 11px; color: #5b6670; margin-top: 4px; }
table.signoffs { border-collapse: collapse; margin-top: 10px; font-size: 12px; width: 100%; }
table.signoffs th, table.signoffs td { border: 1px solid #c9d3dc; padding: 3px 6px;
  text-align: left; vertical-align: top; }
table.signoffs th { background: #e6eef5; }
@media print { body { margin: 0; padding: 0; max-width: none; }
  h2 { background: none; color: #1d4f73; border-bottom: 2px solid #1d4f73; } }
"""


def sign_offs(rows: list[dict[str, str]]) -> list[tuple[str, str, str, int]]:
    """The sign-offs behind the book's lines: (reviewer, time, note, lines), oldest first."""
    counts: dict[tuple[str, str, str], int] = {}
    for row in rows:
        key = (row["reviewer"], row["approved"], row["note"])
        counts[key] = counts.get(key, 0) + 1
    return [(*key, n) for key, n in sorted(counts.items(), key=lambda kv: kv[0][1])]


def render_html(
    rows: list[dict[str, str]], *, pending: int, removed: int, head: str, generated: str
) -> str:
    """The book as one self-contained, printable HTML page."""
    esc = html.escape
    batches = "".join(
        f"<tr><td>{esc(who)}</td><td>{esc(_when(at))}</td><td>{n}</td><td>{esc(note)}</td></tr>"
        for who, at, note, n in sign_offs(rows)
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Compliance book · 合规话术审批册</title>",
        f"<style>{_CSS}</style></head><body>",
        "<header><h1>Compliance book · 合规话术审批册</h1>",
        f'<div class="meta">Generated {esc(generated)} · ledger head '
        f"<code>{esc(head[:16] or 'none')}</code></div>",
        '<div class="summary">',
        f"<span>{len(rows)} approved lines</span>",
        f"<span>{sum(r['state'] != 'approved' for r in rows)} to re-review (rules changed)</span>",
        f"<span>{pending} awaiting review (not in this book)</span>",
        f"<span>{removed} approvals of removed lines</span>",
        "</div>",
        '<table class="signoffs"><tr><th>Reviewer</th><th>Signed</th><th>Lines</th>'
        f"<th>Note</th></tr>{batches}</table>"
        if batches
        else "",
        "</header>",
    ]
    if not rows:
        parts.append('<p class="empty">No approved lines.</p>')
    stage = scenario = None
    for row in rows:
        if row["stage"] != stage:
            stage, scenario = row["stage"], None
            parts.append(f"<h2>{esc(STAGE_TITLES.get(stage, stage))}</h2>")
        place = (row["scenario"], row["locale"]) if row["scenario"] else ("", row["locale"])
        if place != scenario:
            scenario = place
            title = row["title"] if row["scenario"] else row["locale"]
            parts.append(
                f"<h3>{esc(title)} <small>{esc(row['scenario'] or row['file'])}</small></h3>"
                if row["scenario"]
                else f"<h3>{esc(title)} <small>{esc(row['file'])}</small></h3>"
            )
        parts.append(_line_html(row))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _when(stamp: str) -> str:
    return stamp.replace("T", " ").replace("Z", " UTC")


def _line_html(row: dict[str, str]) -> str:
    esc = html.escape
    rules = row["state"] != "approved"
    where = f"{row['node']} · " if row["node"] else ""
    if row["kind"] == "wording":
        where = f"{row['title']} · "
    tags = [f'<span class="tag {esc(row["quality"])}">{esc(row["quality"])}</span>']
    if rules:
        tags.append(f'<span class="tag warn">{esc(row["state"])}</span>')
    if row["override"]:
        tags.append('<span class="tag warn">approved with findings</span>')
    signed = " · ".join(
        part
        for part in (
            f"approved by {row['reviewer']}, {_when(row['approved'])}",
            row["rulebook"] if row["kind"] != "objective" else "",
            f"{row['file']}:{row['line']}",
        )
        if part
    )
    facts = [
        ("Guards", row["guards"]),
        ("Citations", row["citations"]),
        ("Findings", row["findings"]),
        ("Override", row["override"]),
        ("Re-review", row["recheck"]),
    ]
    details = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts if v)
    return (
        f'<section class="line{" rules" if rules else ""}">'
        f'<div class="meta">{esc(where)}{"".join(tags)}</div>'
        f'<div class="text">{esc(row["text"])}</div>'
        + (f'<div class="why">{esc(row["why"])}</div>' if row["why"] else "")
        + (f"<dl>{details}</dl>" if details else "")
        + f'<div class="signed">{esc(signed)}</div></section>'
    )
