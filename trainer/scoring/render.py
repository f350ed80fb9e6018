"""Render a debrief for the terminal (text), for tools (JSON) and for a browser (HTML).

The debrief itself (`trainer.scoring.scorecard.Debrief`) is plain data; these
functions only format it. The HTML page is self-contained (inline CSS, no
scripts, no network) so it can be mailed or archived with the session, and
everything a trainee typed is escaped.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from trainer.grading.findings import by_rule
from trainer.scenarios.model import OUTCOME_LABELS

if TYPE_CHECKING:
    from trainer.records import SessionRecord
    from trainer.scoring.scorecard import Debrief

#: Labels by locale: the debrief speaks the scenario's language.
LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "debrief": "复盘",
        "score": "得分",
        "pass_mark": "及格线",
        "passed": "及格",
        "failed": "不及格",
        "hard_fail": "严重违规,一票否决",
        "ending": "结果",
        "checks": "检查项",
        "findings": "违规与更好的说法",
        "none": "没有违规。",
        "missed": "可以补上的步骤",
        "poor": "较差的选择",
        "points_off": "扣{points}分",
        "duration": "用时",
        "turn": "第{turn}轮",
        "better": "更好的说法",
        "transcript": "通话记录",
        "agent": "坐席",
        "customer": "客户",
        "penalty": "扣分",
        "approx": "(场景已修改,上下文为近似还原)",
        "unfinished": "未完成",
        "unfinished_note": "(通话未结束:以下只复盘已说的部分,未完成的通话不算及格)",
    },
    "en-US": {
        "debrief": "Debrief",
        "score": "Score",
        "pass_mark": "pass mark",
        "passed": "PASSED",
        "failed": "FAILED",
        "hard_fail": "a critical finding fails the call",
        "ending": "Ending",
        "checks": "Checks",
        "findings": "Findings and better wording",
        "none": "No findings.",
        "missed": "Moves you could have made",
        "poor": "Poor choices",
        "points_off": "{points} points off",
        "duration": "Time",
        "turn": "turn {turn}",
        "better": "Better",
        "transcript": "Transcript",
        "agent": "agent",
        "customer": "customer",
        "penalty": "points off",
        "approx": "(the scenario changed since the call; contexts are approximate)",
        "unfinished": "UNFINISHED",
        "unfinished_note": "(the call was not finished: this debriefs what was said so far;"
        " an unfinished call does not pass)",
    },
}


class _Turn(Protocol):
    """A stored line: its index in the call and who said it."""

    @property
    def index(self) -> int: ...

    @property
    def speaker(self) -> str: ...


def trainee_numbers(turns: Iterable[_Turn]) -> dict[int, int]:
    """Stored turn index → the trainee's own line number (1, 2, …), the one numbering the
    app's call screen ("第 N 轮"), its debrief and ``trainer debrief`` all show.

    Stored indexes count both speakers; a trainee thinks in their own lines. A customer
    line takes the number of the trainee line before it (at least 1).
    """
    numbers: dict[int, int] = {}
    number = 0
    for turn in turns:
        if turn.speaker == "agent":
            number += 1
        numbers[turn.index] = max(number, 1)
    return numbers


def outcome_label(locale: str, outcome: str | None) -> str:
    """An outcome's name in ``locale``'s language (the id itself when it has none)."""
    if not outcome:
        return "-"
    names = OUTCOME_LABELS.get(outcome)
    if names is None:
        return outcome
    return names[1] if locale.lower().startswith("en") else names[0]


def labels(locale: str) -> dict[str, str]:
    """The labels for ``locale`` (English when the locale is unknown)."""
    return LABELS.get(locale, LABELS["en-US"])


def _clock(seconds: float) -> str:
    total = round(seconds)
    return f"{total // 60}:{total % 60:02d}"


def render_text(debrief: Debrief, record: SessionRecord | None = None) -> str:
    """The debrief as plain text for a terminal; with the ``record``, turns are numbered
    by the trainee's own lines, as the app numbers them."""
    lab = labels(debrief.locale)
    numbers = trainee_numbers(record.turns) if record is not None else {}

    def turn(index: int) -> str:
        return lab["turn"].format(turn=numbers.get(index, index))

    verdict = lab["passed"] if debrief.passed else lab["failed"]
    if not debrief.finished:
        verdict = lab["unfinished"]
    lines = [
        f"{lab['debrief']} · {debrief.scenario_title or debrief.scenario_id}"
        f" · {debrief.session_id}" + (f" · {debrief.trainee}" if debrief.trainee else ""),
        f"{lab['score']} {debrief.score}/100 ({lab['pass_mark']} {debrief.pass_mark})"
        f" — {verdict}"
        + (f" — {lab['hard_fail']}" if debrief.hard_fail else "")
        + (f" — {lab['penalty']} {debrief.penalty}" if debrief.penalty else ""),
        f"{lab['ending']}: {_ending(debrief, lab)}"
        f" · {lab['duration']} {_clock(debrief.duration_seconds)}",
    ]
    if not debrief.finished:
        lines.append(lab["unfinished_note"])
    if not debrief.exact:
        lines.append(lab["approx"])
    lines += ["", f"{lab['checks']}:"]
    for check in debrief.checks:
        mark = "✓" if check.met else "✗"
        where = f" [{turn(check.turn)}]" if check.turn is not None else ""
        lines.append(f"  {mark} {check.title} ({check.weight}){where}")
        if check.evidence:
            lines.append(f"      “{_one_line(check.evidence)}”")
        if not check.met and check.note:
            lines.append(f"      → {check.note}")
        if not check.met and check.why:
            lines.append(f"      {check.why}")
    lines += ["", f"{lab['findings']}:"]
    if not debrief.findings:
        lines.append(f"  {lab['none']}")
    for found, same in by_rule(debrief.findings):
        f = found.finding
        words = " … ".join(_one_line(each.match) for each in same)
        lines.append(f"  [{f.severity}] {f.rule} {f.category} — {turn(found.turn)}: “{words}”")
        lines.append(f"      {f.message}")
        if f.suggestion:
            lines.append(f"      {lab['better']}: {f.suggestion}")
    if debrief.poor_choices:
        lines += ["", f"{lab['poor']}:"]
        for poor in debrief.poor_choices:
            off = lab["points_off"].format(points=poor.points)
            lines.append(f"  {turn(poor.turn)}: “{_one_line(poor.text)}” ({off})")
            if poor.why:
                lines.append(f"      {poor.why}")
    if debrief.missed_moves:
        lines += ["", f"{lab['missed']}:"]
        lines += [f"  • {move}" for move in debrief.missed_moves]
    return "\n".join(lines) + "\n"


def _ending(debrief: Debrief, lab: dict[str, str]) -> str:
    """The outcome in the debrief's language, then the scenario's ending id for instructors."""
    if not debrief.finished and not debrief.ending_id:
        return lab["unfinished"]
    return f"{outcome_label(debrief.locale, debrief.outcome)} ({debrief.ending_id or '-'})"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def render_json(debrief: Debrief) -> str:
    """The debrief as indented JSON."""
    return json.dumps(debrief.to_json(), ensure_ascii=False, indent=2) + "\n"


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","PingFang SC",sans-serif;
max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330;background:#fff}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem;border-bottom:1px solid #dde}
.verdict{font-size:1.2rem;padding:.6rem 1rem;border-radius:.4rem}
.pass{background:#e3f4e8;color:#135c2c}.fail{background:#fbe4e4;color:#8a1c1c}
ul{padding-left:1.2rem}li{margin:.35rem 0}.met{color:#135c2c}.missed{color:#8a1c1c}
.ev{color:#555;font-style:italic}.sev{font-weight:600;text-transform:uppercase;font-size:.8rem}
.critical{color:#8a1c1c}.major{color:#a14d00}.minor{color:#6a5d00}.review{color:#555}
.turn{display:grid;grid-template-columns:6rem 1fr;gap:.5rem;margin:.2rem 0}
.who{color:#666}.agent .txt{background:#eef3ff}.customer .txt{background:#f4f4f4}
.txt{padding:.2rem .5rem;border-radius:.3rem}mark{background:#ffd9a8}
"""


def render_html(debrief: Debrief, record: SessionRecord | None = None) -> str:
    """A self-contained HTML page: verdict, checks, findings, missed moves, transcript."""
    lab = labels(debrief.locale)
    esc = html.escape
    numbers = trainee_numbers(record.turns) if record is not None else {}

    def turn(index: int) -> str:
        return lab["turn"].format(turn=numbers.get(index, index))

    verdict = lab["passed"] if debrief.passed else lab["failed"]
    if not debrief.finished:
        verdict = lab["unfinished"]
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{esc(debrief.locale or "en")}"><head>',
        '<meta charset="utf-8">',
        f"<title>{esc(lab['debrief'])} · {esc(debrief.scenario_title or debrief.scenario_id)}"
        "</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{esc(lab['debrief'])} · {esc(debrief.scenario_title or debrief.scenario_id)}</h1>",
        f"<p>{esc(debrief.session_id)} · {esc(debrief.trainee or '-')} ·"
        f" {esc(debrief.started_at)}</p>",
        f'<p class="verdict {"pass" if debrief.passed else "fail"}">'
        f"{esc(lab['score'])} <strong>{debrief.score}</strong>/100 ·"
        f" {esc(lab['pass_mark'])} {debrief.pass_mark} · <strong>{esc(verdict)}</strong>"
        + (f" · {esc(lab['hard_fail'])}" if debrief.hard_fail else "")
        + "</p>",
        *([f"<p>{esc(lab['unfinished_note'])}</p>"] if not debrief.finished else []),
        f"<p>{esc(lab['ending'])}: {esc(_ending(debrief, lab))} · {esc(lab['duration'])}"
        f" {_clock(debrief.duration_seconds)}</p>",
        f"<h2>{esc(lab['checks'])}</h2><ul>",
    ]
    for check in debrief.checks:
        cls, mark = ("met", "✓") if check.met else ("missed", "✗")
        where = f" — {esc(turn(check.turn))}" if check.turn is not None else ""
        parts.append(f'<li class="{cls}">{mark} {esc(check.title)} ({check.weight}){where}')
        if check.evidence:
            parts.append(f'<div class="ev">“{esc(check.evidence)}”</div>')
        if not check.met and check.note:
            parts.append(f"<div><strong>{esc(check.note)}</strong></div>")
        if not check.met and check.why:
            parts.append(f"<div>{esc(check.why)}</div>")
        parts.append("</li>")
    parts.append(f"</ul><h2>{esc(lab['findings'])}</h2>")
    if not debrief.findings:
        parts.append(f"<p>{esc(lab['none'])}</p>")
    else:
        parts.append("<ul>")
        for found, same in by_rule(debrief.findings):
            f = found.finding
            marks = " … ".join(f"<mark>{esc(each.match)}</mark>" for each in same)
            parts.append(
                f'<li><span class="sev {esc(f.severity)}">{esc(f.severity)}</span>'
                f" {esc(f.rule)} · {esc(f.category)} · {esc(turn(found.turn))}"
                f": {marks}<div>{esc(f.message)}</div>"
                + (f"<div>{esc(lab['better'])}: {esc(f.suggestion)}</div>" if f.suggestion else "")
                + "</li>"
            )
        parts.append("</ul>")
    if debrief.poor_choices:
        parts.append(f"<h2>{esc(lab['poor'])}</h2><ul>")
        for poor in debrief.poor_choices:
            off = lab["points_off"].format(points=poor.points)
            parts.append(
                f"<li>{esc(turn(poor.turn))}: “{esc(poor.text)}” ({esc(off)})"
                + (f"<div>{esc(poor.why)}</div>" if poor.why else "")
                + "</li>"
            )
        parts.append("</ul>")
    if debrief.missed_moves:
        parts.append(f"<h2>{esc(lab['missed'])}</h2><ul>")
        parts += [f"<li>{esc(move)}</li>" for move in debrief.missed_moves]
        parts.append("</ul>")
    if record is not None and record.turns:
        parts.append(f"<h2>{esc(lab['transcript'])}</h2>")
        for said in record.turns:
            who = lab["agent"] if said.speaker == "agent" else lab["customer"]
            parts.append(
                f'<div class="turn {said.speaker}"><span class="who">{numbers[said.index]}'
                f' {esc(who)}</span><span class="txt">{esc(said.text)}</span></div>'
            )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def history_row(record: SessionRecord, debrief: Debrief | None) -> dict[str, Any]:
    """One line of ``trainer history`` as JSON-ready data."""
    return {
        "id": record.id,
        "trainee": record.trainee,
        "scenario_id": record.scenario_id,
        "started_at": record.started_at,
        "status": record.status,
        "ending_id": record.ending_id,
        "outcome": record.outcome,
        "score": debrief.score if debrief else None,
        "passed": debrief.passed if debrief else None,
        "hard_fail": debrief.hard_fail if debrief else None,
        "rulebook": f"{record.rulebook_id} {record.rulebook_version}".strip(),
    }
