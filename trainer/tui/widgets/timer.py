"""The call timer; it reads the app's clock so tests and snapshots can fix time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.content import Content
from textual.widgets import Static

from trainer.tui.i18n import text


def format_duration(seconds: float) -> str:
    """``mm:ss`` (or ``h:mm:ss`` past an hour) for a number of seconds."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class CallTimer(Static):
    """Elapsed call time, refreshed every second until `stop` is called."""

    def __init__(
        self, language: str, clock: Callable[[], datetime], started: datetime, id: str | None = None
    ) -> None:
        super().__init__(markup=False, id=id)
        self.language = language
        self.clock = clock
        self.started = started
        self.stopped_at: datetime | None = None

    def on_mount(self) -> None:
        self._ticker = self.set_interval(1.0, self.refresh)

    def stop(self) -> None:
        """Freeze the timer at the current time (the call ended)."""
        self.stopped_at = self.clock()
        self._ticker.stop()
        self.refresh()

    def elapsed(self) -> float:
        """Seconds since the call started, by the app's clock."""
        now = self.stopped_at or self.clock()
        return (now - self.started).total_seconds()

    def render(self) -> Content:
        return Content(text(self.language, "call.timer", time=format_duration(self.elapsed())))
