"""Start: the trainee's name (remembered), interface language, mode and feedback."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Center, Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from trainer.tui.i18n import LANGUAGES
from trainer.tui.screens.base import TrainerScreen
from trainer.tui.widgets.footer import TrainerFooter

MODES = ("free", "guided")
COACHING = ("live", "assessment")


class StartScreen(TrainerScreen):
    """Who is training, in which language, and how."""

    def __init__(self, typed_name: str | None = None) -> None:
        super().__init__()
        self.typed_name = typed_name

    def compose(self) -> ComposeResult:
        app = self.trainer
        with VerticalScroll(id="start"), Center(), Vertical(id="start-form"):
            yield Static(self.t("start.heading"), id="start-heading", markup=False)
            yield Static(self.t("start.intro"), classes="muted", markup=False)
            yield Label(self.t("start.name"), markup=False)
            yield Input(
                value=app.trainee if self.typed_name is None else self.typed_name,
                placeholder=self.t("start.name_placeholder"),
                id="name",
                max_length=60,
            )
            yield Static("", id="name-error", markup=False)
            with Horizontal(id="start-choices"):
                with Vertical():
                    yield Label(self.t("start.language"), markup=False)
                    with RadioSet(id="language"):
                        for language in LANGUAGES:
                            yield RadioButton(
                                self.t(f"lang.{language}"), value=language == app.language
                            )
                with Vertical():
                    yield Label(self.t("start.mode"), markup=False)
                    with RadioSet(id="mode"):
                        for mode in MODES:
                            yield RadioButton(self.t(f"mode.{mode}"), value=mode == app.mode)
                with Vertical():
                    yield Label(self.t("start.coaching"), markup=False)
                    with RadioSet(id="coaching"):
                        for coaching in COACHING:
                            yield RadioButton(
                                self.t(f"coaching.{coaching}"), value=coaching == app.coaching
                            )
            yield Button(self.t("start.continue"), id="continue", variant="primary")
        yield TrainerFooter()

    def on_mount(self) -> None:
        name = self.query_one("#name", Input)
        name.cursor_blink = self.trainer.cursor_blink
        name.focus()  # Enter in the name field starts; Tab reaches the choices

    def on_screen_resume(self) -> None:
        """Back from the list of calls (Esc): focus the Start button, not the name field,
        so keys meant for the list or its search box never edit the trainee's name."""
        name = self.query_one("#name", Input)
        if name.value.strip():
            self.call_after_refresh(self.query_one("#continue", Button).focus)

    @on(RadioSet.Changed, "#language")
    def _language(self, event: RadioSet.Changed) -> None:
        language = LANGUAGES[event.index]
        if language == self.trainer.language:
            return
        typed = self.query_one("#name", Input).value
        self.trainer.set_language(language)
        self.trainer.switch_screen(StartScreen(typed))

    @on(RadioSet.Changed, "#mode")
    def _mode(self, event: RadioSet.Changed) -> None:
        self.trainer.set_mode(MODES[event.index])

    @on(RadioSet.Changed, "#coaching")
    def _coaching(self, event: RadioSet.Changed) -> None:
        self.trainer.set_coaching(COACHING[event.index])

    @on(Input.Submitted, "#name")
    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        if not name:
            self.query_one("#name-error", Static).update(self.t("start.name_missing"))
            self.query_one("#name", Input).focus()
            return
        self.trainer.set_trainee(name)
        self.trainer.open_home()
