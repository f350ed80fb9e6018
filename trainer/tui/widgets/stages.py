"""The call's progress through its stages: opening → verification → … → close."""

from __future__ import annotations

from collections.abc import Iterable

from textual.content import Content
from textual.widgets import Static

from trainer.tui.i18n import label
from trainer.tui.textfmt import cells
from trainer.vocab import CALL_STAGES


class StageProgress(Static):
    """One line naming every call stage: done, current (highlighted) and to come."""

    def __init__(self, language: str, id: str | None = None) -> None:
        super().__init__(markup=False, id=id)
        self.language = language
        self.current: str | None = None
        self.reached: set[str] = set()

    def set_stage(self, stage: str | None, done: Iterable[str] = ()) -> None:
        """Mark ``stage`` as current; stages visited before, and the ``done`` stages (where
        the agent made a move, even in passing), are shown as done."""
        self.current = stage
        if stage in CALL_STAGES:
            self.reached.add(stage)
        self.reached.update(s for s in done if s in CALL_STAGES)
        self.refresh()

    def render(self) -> Content:
        return stage_line(self.language, self.current, self.reached, self.content_size.width)


def stage_line(language: str, current: str | None, reached: set[str], width: int) -> Content:
    """Every call stage on one line of at most ``width`` cells.

    When the names do not fit (English at 80 columns, once stages are ticked), the
    separators tighten first, then the names of the other stages are cut with "…";
    the current stage's name is always whole.
    """
    names = {stage: label(language, "callstage", stage) for stage in CALL_STAGES}
    for separator in (" › ", "›"):
        line = _line(names, current, reached, separator)
        if width <= 0 or cells(line.plain) <= width:
            return line
    longest = max(len(name) for name in names.values())
    for keep in range(longest - 1, 0, -1):
        short = {
            stage: name if stage == current or len(name) <= keep else name[: keep - 1] + "…"
            for stage, name in names.items()
        }
        line = _line(short, current, reached, "›")
        if cells(line.plain) <= width:
            return line
    return line


def _line(names: dict[str, str], current: str | None, reached: set[str], separator: str) -> Content:
    parts: list[Content | tuple[str, str] | str] = []
    for index, stage in enumerate(CALL_STAGES):
        if index:
            parts.append((separator, "$text-muted"))
        name = names[stage]
        if stage == current:
            parts.append((f" {name} ", "bold reverse $accent"))
        elif stage in reached:
            parts.append((f"✓{name}", "$text-success"))
        else:
            parts.append((name, "$text-muted"))
    return Content.assemble(*parts)
