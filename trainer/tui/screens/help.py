"""Help: every key of the screen below and of the app, in the trainee's language."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from trainer.tui import keys


class HelpScreen(ModalScreen[None]):
    """A modal list of keys; Esc (or F1) closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "key.back"),
        Binding("f1", "close", "key.back", show=False),
    ]

    def __init__(self, below: Screen[object]) -> None:
        super().__init__()
        self.below = below
        keys.localize(self, getattr(self.app, "language", "zh-CN"))

    def compose(self) -> ComposeResult:
        t = getattr(self.app, "t")  # noqa: B009 - the TrainerApp's translator
        lines: list[Content] = [
            Content.styled(t("help.heading"), "bold $accent"),
            Content.styled(t("help.intro"), "$text-muted"),
            Content(""),
        ]
        seen: set[str] = set()
        for node in (self.below, self.app):
            for binding in keys.described(node):
                shown = self.app.get_key_display(binding)
                if shown in seen:
                    continue
                seen.add(shown)
                lines.append(
                    Content.assemble((f"{shown:>10}", "bold $accent"), "  ", binding.description)
                )
        lines.append(Content.assemble((f"{'Ctrl+P':>10}", "bold $accent"), "  ", t("cmd.palette")))
        lines += [Content(""), Content.styled(t("help.close"), "$text-muted")]
        with VerticalScroll(id="help"):
            yield Static(Content("\n").join(lines))

    def action_close(self) -> None:
        self.dismiss(None)
