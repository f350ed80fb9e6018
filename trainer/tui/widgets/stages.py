"""The call's progress through its stages: opening → verification → … → close."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from trainer.tui.i18n import label
from trainer.vocab import CALL_STAGES


class StageProgress(Static):
    """One line naming every call stage: done, current (highlighted) and to come."""

    def __init__(self, language: str, id: str | None = None) -> None:
        super().__init__(markup=False, id=id)
        self.language = language
        self.current: str | None = None
        self.reached: set[str] = set()

    def set_stage(self, stage: str | None) -> None:
        """Mark ``stage`` as current; stages visited before are shown as done."""
        self.current = stage
        if stage in CALL_STAGES:
            self.reached.add(stage)
        self.refresh()

    def render(self) -> Content:
        parts: list[Content | tuple[str, str] | str] = []
        for index, stage in enumerate(CALL_STAGES):
            if index:
                parts.append((" › ", "$text-muted"))
            name = label(self.language, "callstage", stage)
            if stage == self.current:
                parts.append((f" {name} ", "bold reverse $accent"))
            elif stage in self.reached:
                parts.append((f"✓{name}", "$text-success"))
            else:
                parts.append((name, "$text-muted"))
        return Content.assemble(*parts)
