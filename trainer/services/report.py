"""Cohort reports: attempts, best and latest score, pass rate and the most frequent
finding categories, per trainee and per scenario — as CSV, JSON or an HTML page.

The HTML page is self-contained: inline CSS and inline SVG charts, no script,
no font or image from the network, so it opens the same in a browser on an
offline training-room machine. Every name and text is escaped.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trainer.records import SessionRecord
    from trainer.scoring.scorecard import Debrief

TOP_CATEGORIES = 3


@dataclass
class Group:
    """The sessions of one trainee or one scenario, oldest first."""

    name: str
    title: str = ""
    attempts: int = 0
    scored: list[tuple[str, int, bool]] = field(default_factory=list)  # (started, score, passed)
    categories: Counter[str] = field(default_factory=Counter)

    def add(self, record: SessionRecord, debrief: Debrief | None) -> None:
        """Count one session (scored when it has a debrief)."""
        self.attempts += 1
        if debrief is not None:
            self.scored.append((record.started_at, debrief.score, debrief.passed))
            self.categories.update(f.finding.category for f in debrief.findings)

    def to_json(self) -> dict[str, Any]:
        """The group's summary."""
        ordered = sorted(self.scored)
        scores = [score for _, score, _ in ordered]
        passes = sum(1 for _, _, ok in ordered if ok)
        return {
            "name": self.name,
            "title": self.title,
            "attempts": self.attempts,
            "scored": len(ordered),
            "best": max(scores) if scores else None,
            "latest": scores[-1] if scores else None,
            "passed": passes,
            "pass_rate": round(passes / len(ordered), 3) if ordered else None,
            "top_categories": [
                [name, count] for name, count in self.categories.most_common(TOP_CATEGORIES)
            ],
            "history": [[started, score] for started, score, _ in ordered],
        }


@dataclass
class Report:
    """A cohort report over stored sessions."""

    trainees: dict[str, Group] = field(default_factory=dict)
    scenarios: dict[str, Group] = field(default_factory=dict)
    categories: Counter[str] = field(default_factory=Counter)
    sessions: int = 0
    filters: dict[str, Any] = field(default_factory=dict)
    generated_at: str = field(
        default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds")
    )

    def add(self, record: SessionRecord, debrief: Debrief | None, title: str = "") -> None:
        """Count one session in its trainee's and its scenario's group."""
        self.sessions += 1
        trainee = record.trainee or "(anonymous)"
        self.trainees.setdefault(trainee, Group(trainee)).add(record, debrief)
        group = self.scenarios.setdefault(record.scenario_id, Group(record.scenario_id, title))
        group.add(record, debrief)
        if debrief is not None:
            self.categories.update(f.finding.category for f in debrief.findings)

    def to_json(self) -> dict[str, Any]:
        """The whole report as JSON-ready data."""
        return {
            "generated_at": self.generated_at,
            "filters": self.filters,
            "sessions": self.sessions,
            "trainees": [g.to_json() for _, g in sorted(self.trainees.items())],
            "scenarios": [g.to_json() for _, g in sorted(self.scenarios.items())],
            "categories": dict(self.categories.most_common()),
        }


def to_json(report: Report) -> str:
    """The report as indented JSON."""
    return json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n"


CSV_COLUMNS = (
    "group",
    "name",
    "title",
    "attempts",
    "scored",
    "best",
    "latest",
    "passed",
    "pass_rate",
    "top_categories",
)


def to_csv(report: Report) -> str:
    """One row per trainee and per scenario (``group`` says which).

    Text cells go through `trainer.safetext.csv_cell`: a trainee named ``=HYPERLINK(…)``
    is shown as text in a spreadsheet, never run.
    """
    from trainer.safetext import csv_cell

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    data = report.to_json()
    for group in ("trainees", "scenarios"):
        for row in data[group]:
            writer.writerow(
                [
                    group[:-1],
                    csv_cell(row["name"]),  # names and titles come from users: no formulas
                    csv_cell(row["title"]),
                    row["attempts"],
                    row["scored"],
                    _blank(row["best"]),
                    _blank(row["latest"]),
                    row["passed"],
                    _blank(row["pass_rate"]),
                    "; ".join(f"{name} ({count})" for name, count in row["top_categories"]),
                ]
            )
    return out.getvalue()


def _blank(value: object) -> object:
    return "" if value is None else value


# ---------------------------------------------------------------- HTML

_PALETTE = ("#3867d6", "#20bf6b", "#eb3b5a", "#f7b731", "#8854d0", "#0fb9b1", "#fa8231", "#4b6584")

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","PingFang SC",sans-serif;
max-width:64rem;margin:2rem auto;padding:0 1rem;color:#1d2330;background:#fff}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #dde}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border-bottom:1px solid #e4e6ef;padding:.35rem .5rem;text-align:left}
th{background:#f3f5fb}td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1rem 0}figcaption{color:#555;font-size:.9rem}
.legend span{display:inline-block;margin-right:1rem;font-size:.85rem}
.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-1px}
svg text{font-family:inherit}
"""


def to_html(report: Report) -> str:
    """A self-contained HTML page with tables and inline SVG charts."""
    data = report.to_json()
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Training report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Training report</h1>",
        f"<p>{data['sessions']} sessions · {len(data['trainees'])} trainees ·"
        f" {len(data['scenarios'])} scenarios · generated {esc(data['generated_at'])}"
        + _filters_text(data["filters"])
        + "</p>",
        "<h2>Trainees</h2>",
        _bars_chart(
            [(row["name"], row["best"], row["latest"]) for row in data["trainees"]],
            "Best and latest score per trainee",
        ),
        _table(data["trainees"], "Trainee"),
        _line_chart(data["trainees"]),
        "<h2>Scenarios</h2>",
        _bars_chart(
            [(row["name"], row["best"], row["latest"]) for row in data["scenarios"]],
            "Best and latest score per scenario",
        ),
        _table(data["scenarios"], "Scenario"),
        "<h2>Finding categories</h2>",
        _category_chart(data["categories"]),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _filters_text(filters: dict[str, Any]) -> str:
    shown = [f"{k}: {', '.join(v) if isinstance(v, list) else v}" for k, v in filters.items() if v]
    return (" · " + html.escape(" · ".join(shown))) if shown else ""


def _table(rows: list[dict[str, Any]], label: str) -> str:
    esc = html.escape
    out = [
        f"<table><thead><tr><th>{label}</th><th>Attempts</th><th>Best</th><th>Latest</th>"
        "<th>Pass rate</th><th>Most frequent findings</th></tr></thead><tbody>"
    ]
    for row in rows:
        rate = "–" if row["pass_rate"] is None else f"{row['pass_rate'] * 100:.0f}%"
        name = esc(row["name"]) + (
            f"<br><small>{esc(row['title'])}</small>" if row["title"] else ""
        )
        cats = ", ".join(f"{esc(n)} ({c})" for n, c in row["top_categories"]) or "–"
        out.append(
            f'<tr><td>{name}</td><td class="num">{row["attempts"]}</td>'
            f'<td class="num">{_dash(row["best"])}</td>'
            f'<td class="num">{_dash(row["latest"])}</td>'
            f'<td class="num">{rate}</td><td>{cats}</td></tr>'
        )
    out.append("</tbody></table>")
    return "".join(out)


def _dash(value: object) -> str:
    return "–" if value is None else str(value)


def _bars_chart(rows: list[tuple[str, int | None, int | None]], caption: str) -> str:
    """Horizontal grouped bars: best and latest score (0–100) per name."""
    esc = html.escape
    if not rows:
        return "<p>No sessions.</p>"
    label_w, bar_w, row_h = 180, 420, 34
    height = 30 + row_h * len(rows)
    out = [
        f'<figure><svg role="img" aria-label="{esc(caption)}" xmlns="http://www.w3.org/2000/svg"'
        f' width="{label_w + bar_w + 60}" height="{height}"'
        f' viewBox="0 0 {label_w + bar_w + 60} {height}">'
    ]
    for tick in range(0, 101, 25):
        x = label_w + bar_w * tick / 100
        out.append(
            f'<line x1="{x:.0f}" y1="10" x2="{x:.0f}" y2="{height - 18}" stroke="#e4e6ef"/>'
            f'<text x="{x:.0f}" y="{height - 4}" font-size="10" text-anchor="middle"'
            f' fill="#666">{tick}</text>'
        )
    for i, (name, best, latest) in enumerate(rows):
        y = 12 + i * row_h
        out.append(
            f'<text x="{label_w - 8}" y="{y + 17}" font-size="12" text-anchor="end"'
            f' fill="#1d2330">{esc(_clip(name))}</text>'
        )
        for j, (value, color) in enumerate(((best, _PALETTE[0]), (latest, _PALETTE[1]))):
            width = bar_w * (value or 0) / 100
            out.append(
                f'<rect x="{label_w}" y="{y + j * 13}" width="{width:.1f}" height="11"'
                f' fill="{color}"><title>{esc(name)}: {_dash(value)}</title></rect>'
            )
            out.append(
                f'<text x="{label_w + width + 4:.1f}" y="{y + j * 13 + 10}"'
                f' font-size="10" fill="#333">{_dash(value)}</text>'
            )
    out.append("</svg>")
    out.append(
        f'<figcaption>{esc(caption)} <span class="legend"><span><i style="background:'
        f'{_PALETTE[0]}"></i>best</span><span><i style="background:{_PALETTE[1]}"></i>'
        "latest</span></span></figcaption></figure>"
    )
    return "".join(out)


def _line_chart(rows: list[dict[str, Any]]) -> str:
    """Scores over attempts, one line per trainee."""
    esc = html.escape
    series = [
        (row["name"], [score for _, score in row["history"]]) for row in rows if row["history"]
    ]
    if not series:
        return ""
    longest = max(len(points) for _, points in series)
    left, top, width, height = 40, 10, 560, 200
    step = width / max(1, longest - 1)
    out = [
        '<figure><svg role="img" aria-label="Scores over attempts"'
        ' xmlns="http://www.w3.org/2000/svg"'
        f' width="{left + width + 20}" height="{top + height + 30}"'
        f' viewBox="0 0 {left + width + 20} {top + height + 30}">'
    ]
    for tick in range(0, 101, 25):
        y = top + height - height * tick / 100
        out.append(
            f'<line x1="{left}" y1="{y:.0f}" x2="{left + width}" y2="{y:.0f}"'
            f' stroke="#e4e6ef"/><text x="{left - 6}" y="{y + 4:.0f}" font-size="10"'
            f' text-anchor="end" fill="#666">{tick}</text>'
        )
    for n in range(longest):
        out.append(
            f'<text x="{left + n * step:.0f}" y="{top + height + 16}" font-size="10"'
            f' text-anchor="middle" fill="#666">{n + 1}</text>'
        )
    legend = []
    for k, (name, points) in enumerate(series):
        color = _PALETTE[k % len(_PALETTE)]
        coords = [(left + i * step, top + height - height * p / 100) for i, p in enumerate(points)]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        out += [
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>'
            f"{esc(name)} #{i + 1}: {points[i]}</title></circle>"
            for i, (x, y) in enumerate(coords)
        ]
        legend.append(f'<span><i style="background:{color}"></i>{esc(name)}</span>')
    out.append(
        "</svg><figcaption>Score per attempt, by trainee "
        f'<span class="legend">{"".join(legend)}</span></figcaption></figure>'
    )
    return "".join(out)


def _category_chart(categories: dict[str, int]) -> str:
    """Vertical bars: how often each finding category occurred."""
    esc = html.escape
    if not categories:
        return "<p>No findings.</p>"
    items = list(categories.items())
    most = max(count for _, count in items)
    bar, gap, height, left, top = 44, 18, 160, 170, 18
    width = left + len(items) * (bar + gap)
    out = [
        '<figure><svg role="img" aria-label="Findings by category"'
        f' xmlns="http://www.w3.org/2000/svg" width="{width}" height="{top + height + 90}"'
        f' viewBox="0 0 {width} {top + height + 90}">'
    ]
    for i, (name, count) in enumerate(items):
        x = left + i * (bar + gap)
        h = height * count / most
        out.append(
            f'<rect x="{x}" y="{top + height - h:.1f}" width="{bar}" height="{h:.1f}"'
            f' fill="{_PALETTE[2]}"><title>{esc(name)}: {count}</title></rect>'
        )
        out.append(
            f'<text x="{x + bar / 2:.0f}" y="{top + height - h - 4:.1f}" font-size="11"'
            f' text-anchor="middle">{count}</text>'
        )
        out.append(
            f'<text x="{x + bar / 2:.0f}" y="{top + height + 16}" font-size="10"'
            f' text-anchor="end" transform="rotate(-30 {x + bar / 2:.0f}'
            f' {top + height + 16})">{esc(name)}</text>'
        )
    out.append(
        "</svg><figcaption>Findings by category (all sessions in the report)</figcaption></figure>"
    )
    return "".join(out)


def _clip(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
