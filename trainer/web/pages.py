"""Every HTML page ``trainer serve`` sends: sign-in, the app, the dashboard, messages.

Pages are built as strings with every piece of user text (trainee and class names,
scenario titles, finding categories, anything from the store) passed through
`html.escape`, so a name like ``<script>`` shows as text. No page loads anything from
another host: styles, the terminal's script and its fonts come from ``/static/``,
and the pages carry no inline script (the server's Content-Security-Policy allows
scripts from this server only).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from trainer.vocab import CATEGORY_LABELS

if TYPE_CHECKING:
    from trainer.records.classroom import Member
    from trainer.services.classroom import Standing

#: Labels shown with each state, in both interface languages.
STATE_LABELS = {
    "passed": "passed · 通过",
    "failed": "failed · 未通过",
    "in progress": "in progress · 进行中",
    "not started": "not started · 未开始",
    "overdue": "overdue · 逾期",
}


def category_name(category: str) -> str:
    """A finding category as the dashboard names it: English · Chinese ("abuse · 辱骂侮辱"),
    or the id of a pack's own category."""
    names = CATEGORY_LABELS.get(category)
    return f"{names[1]} · {names[0]}" if names else category


def page(title: str, body: str, *, refresh: int | None = None, body_class: str = "") -> str:
    """A whole HTML document around ``body`` (already escaped HTML)."""
    meta = f'<meta http-equiv="refresh" content="{int(refresh)}">' if refresh else ""
    cls = f' class="{escape(body_class)}"' if body_class else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{meta}<title>{escape(title)}</title>"
        '<link rel="stylesheet" href="/static/trainer.css">'
        f"</head><body{cls}>\n{body}\n</body></html>\n"
    )


def signin_page(error: str | None = None) -> str:
    """The sign-in form: one field for the personal token from the instructor."""
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return page(
        "trainer · sign in",
        '<main class="card"><h1>trainer</h1>'
        "<p>Sign in with the personal token your instructor gave you."
        "<br>请输入讲师发给您的个人登录码。</p>"
        f"{problem}"
        '<form method="post" action="/signin" autocomplete="off">'
        '<label for="token">Token · 登录码</label>'
        '<input type="password" id="token" name="token" maxlength="64" required autofocus>'
        '<button type="submit" id="signin">Sign in · 登录</button></form></main>',
    )


def _bar(member: Member, links: str) -> str:
    return (
        '<header class="bar"><span class="who">'
        f"<strong>{escape(member.name)}</strong> · {escape(member.class_name)}"
        f" · {escape(member.role)}</span>{links}"
        '<form method="post" action="/signout"><button type="submit" id="signout">'
        "Sign out · 退出</button></form></header>"
    )


def app_page(member: Member, websocket_url: str, font_size: int = 16) -> str:
    """The trainee app: a terminal that textual-serve's script connects to the websocket."""
    links = '<a href="/dashboard">Dashboard</a>' if member.role == "instructor" else ""
    return page(
        f"trainer · {member.name}",
        _bar(member, links) + '<div id="terminal" class="textual-terminal"'
        f' data-session-websocket-url="{escape(websocket_url)}"'
        f' data-font-size="{int(font_size)}"></div>'
        '<div class="closed-dialog"><p>The session ended (the app was closed or left idle).'
        " 会话已结束。</p>"
        '<p><a href="/app">Start again · 重新开始</a></p></div>'
        '<link rel="stylesheet" href="/static/xterm.css">'
        '<script src="/static/textual.js"></script>',
        body_class="app",
    )


def message_page(title: str, text: str, *, back: str = "/") -> str:
    """A short page saying why something was refused (or ended)."""
    return page(
        f"trainer · {title}",
        f'<main class="card"><h1>{escape(title)}</h1><p>{escape(text)}</p>'
        f'<p><a href="{escape(back)}">Back · 返回</a></p></main>',
    )


def _state(state: str) -> str:
    slug = state.replace(" ", "-")
    return f'<span class="state-{escape(slug)}">{escape(STATE_LABELS.get(state, state))}</span>'


def _verdict(row: Standing) -> str:
    if row.state == "passed":
        return "pass"
    if any(t.passed is False for t in row.tries):
        return "fail"
    return "—"


def _tries(row: Standing) -> str:
    links = []
    for attempt in row.tries:
        if attempt.score is not None:
            label = f"{attempt.score}{' ✓' if attempt.passed else ' ✗'}"
        else:
            label = "…" if not attempt.finished else "?"
        links.append(
            f'<a href="/dashboard/debrief/{escape(attempt.session_id)}"'
            f' title="{escape(attempt.started_at)}">{escape(attempt.session_id[:8])}'
            f" ({escape(label)})</a>"
        )
    return " ".join(links) or "—"


def dashboard_page(
    member: Member,
    rows: Sequence[Standing],
    titles: dict[str, str],
    top: Sequence[tuple[str, int]],
    *,
    refresh: int,
    generated_at: str,
) -> str:
    """The instructor's view of their class: one row per trainee and assignment."""
    body = [
        _bar(member, '<a href="/app">App</a>'),
        '<main class="board">',
        f"<h1>{escape(member.class_name)}</h1>",
        f'<p class="muted">Updated {escape(generated_at)}; this page refreshes every'
        f" {int(refresh)} s.</p>",
        "<h2>Most frequent findings in the class · 全班最常见的问题</h2>",
    ]
    if top:
        body.append('<ul class="top" id="class-findings">')
        body += [f"<li>{escape(category_name(category))} × {count}</li>" for category, count in top]
        body.append("</ul>")
    else:
        body.append('<p class="muted" id="class-findings">none yet</p>')
    body.append("<h2>Trainees and assignments · 学员与作业</h2>")
    if not rows:
        body.append('<p class="muted">No assignments or no trainees yet.</p>')
    else:
        body.append(
            '<table id="standings"><thead><tr><th>Trainee</th><th>Assignment</th><th>Due</th>'
            "<th>Pass mark</th><th>Status</th><th>Best score</th><th>Pass/fail</th>"
            "<th>Most frequent findings</th><th>Attempts (debriefs)</th></tr></thead><tbody>"
        )
        ordered = sorted(rows, key=lambda r: (r.trainee, r.assignment.created_at))
        for row in ordered:
            work = row.assignment
            title = titles.get(work.scenario_id, work.scenario_id)
            found = ", ".join(f"{escape(category_name(c))} × {n}" for c, n in row.findings) or "—"
            body.append(
                f'<tr data-trainee="{escape(row.trainee)}"'
                f' data-scenario="{escape(work.scenario_id)}">'
                f"<td>{escape(row.trainee)}</td>"
                f'<td>{escape(title)}<br><span class="muted">{escape(work.scenario_id)}</span></td>'
                f"<td>{escape(work.due or '—')}</td>"
                f"<td>{'—' if work.pass_mark is None else work.pass_mark}</td>"
                f'<td class="state">{_state(row.state)}</td>'
                f'<td class="score">{"—" if row.best_score is None else row.best_score}</td>'
                f'<td class="verdict">{_verdict(row)}</td>'
                f'<td class="findings">{found}</td>'
                f'<td class="tries">{_tries(row)}</td></tr>'
            )
        body.append("</tbody></table>")
    body.append("</main>")
    return page(f"trainer · {member.class_name}", "\n".join(body), refresh=refresh)
