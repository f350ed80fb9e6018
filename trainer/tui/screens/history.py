"""History: the trainee's past calls, scores over time, replay and resume."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import DataTable, Sparkline, Static

from trainer.safetext import visible
from trainer.services.backend import PastSession
from trainer.tui.i18n import label, text
from trainer.tui.screens.base import TrainerScreen
from trainer.tui.textfmt import clip
from trainer.tui.widgets.footer import TrainerFooter


def when(stamp: str) -> str:
    """A stored ISO time as local ``YYYY-MM-DD HH:MM`` (the text itself if unreadable)."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def score_line(language: str, scores: list[int]) -> str:
    """The scores as text beside the chart: oldest → newest, then the best and the latest,
    in the interface language."""
    if not scores:
        return ""
    shown = " ".join(str(s) for s in scores[-12:])
    return f"{shown}   " + text(language, "history.best_last", best=max(scores), last=scores[-1])


class HistoryScreen(TrainerScreen):
    """Past sessions, newest first; Enter replays one, r resumes an interrupted one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "replay", "key.open", show=False),
        Binding("r", "resume", "key.resume"),
        Binding("escape", "back", "key.back"),
    ]

    def compose(self) -> ComposeResult:
        yield Static(
            self.t("history.heading", name=self.trainer.trainee), id="history-heading", markup=False
        )
        with Vertical(id="chart") as chart:
            chart.border_title = self.t("history.chart")
            with Horizontal(id="spark-row"):
                yield Sparkline([], id="sparkline")
            yield Static("", id="scores", markup=False)
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Static("", id="history-empty", markup=False)
        yield Static(self.t("history.resume_hint"), classes="muted", markup=False)
        yield TrainerFooter()

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#sessions", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.reload()

    def on_resize(self) -> None:
        """Fit the title column to the new width."""
        table = self.query_one("#sessions", DataTable)
        if table.size.width != getattr(self, "_laid_out_for", table.size.width):
            self.reload()

    def reload(self) -> None:
        """Fill the chart and the table from the store."""
        self.rows: list[PastSession] = self.backend.history(self.trainer.trainee)
        scores = [row.score for row in reversed(self.rows) if row.score is not None]
        spark = self.query_one("#sparkline", Sparkline)
        spark.data = [float(s) for s in scores] if scores else [0.0]
        self.query_one("#spark-row").display = bool(scores)
        self.query_one("#scores", Static).update(
            score_line(self.trainer.language, scores) if scores else self.t("history.no_scores")
        )
        table = self.query_one("#sessions", DataTable)
        table.clear(columns=True)
        cells = [self._cells(row) for row in self.rows]
        keys = ("when", "status", "score", "outcome", "mode", "scenario")
        widths = [
            max(
                [cell_len(self.t(f"history.col.{key}"))]
                + [cell_len(c[column].plain) for c in cells]
            )
            for column, key in enumerate(keys)
        ]
        # the title takes what the other columns leave (each column has a cell of padding
        # on both sides, and one cell goes to the scroll bar); a longer title ends in "…"
        room = (table.size.width or self.app.size.width - 2) - 1 - 2 * len(keys)
        widths[-1] = max(8, min(widths[-1], 40, room - sum(widths[:-1])))
        for key, width in zip(keys, widths, strict=True):
            table.add_column(clip(self.t(f"history.col.{key}"), width), key=key, width=width)
        for row, row_cells in zip(self.rows, cells, strict=True):
            title = row_cells[-1]
            row_cells[-1] = Text(clip(title.plain, widths[-1]), style=title.style)
            table.add_row(*row_cells, key=row.id)
        self._laid_out_for = table.size.width
        empty = self.query_one("#history-empty", Static)
        empty.update(Content(self.t("history.none")) if not self.rows else Content(""))
        empty.display = not self.rows

    def _cells(self, row: PastSession) -> list[Text]:
        """The table cells of one session (authored titles as plain text, never markup)."""
        language = self.trainer.language
        outcome = label(language, "outcome", row.outcome) if row.outcome else "—"
        score = "—"
        if row.score is not None:
            score = f"{row.score}" + (" ✓" if row.passed else " ✗" if row.passed is False else "")
        status = self.t(f"history.status.{row.status}")
        return [  # in the order of the columns; the title last, where a cut matters least
            Text(when(row.started_at)),
            Text(status, style="bold" if row.status == "in_progress" else ""),
            Text(score),
            Text(outcome),
            Text(self.t(f"mode.{row.mode}.short")),
            Text(visible(row.title)),
        ]

    def _current(self) -> PastSession | None:
        table = self.query_one("#sessions", DataTable)
        if not self.rows or table.cursor_row is None:
            return None
        index = table.cursor_row
        return self.rows[index] if 0 <= index < len(self.rows) else None

    @on(DataTable.RowSelected, "#sessions")
    def _selected(self) -> None:
        self.action_replay()

    def action_replay(self) -> None:
        """Open the chosen session's transcript and findings."""
        from trainer.tui.screens.debrief import DebriefScreen

        row = self._current()
        if row is None:
            return
        if row.status == "in_progress":
            self.notify(self.t("history.not_finished"))
        self.trainer.push_screen(DebriefScreen(row.id, from_history=True))

    def action_resume(self) -> None:
        """Continue an interrupted call where it stopped."""
        row = self._current()
        if row is not None and row.status == "in_progress":
            self.trainer.resume_call(row.id)

    def action_back(self) -> None:
        self.trainer.pop_screen()
