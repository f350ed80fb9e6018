"""Briefing: the persona card, the account facts, the objectives and what passes."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Static

from trainer.scenarios.model import Scenario
from trainer.services.briefing import fact_rows, objectives
from trainer.tui.i18n import label
from trainer.tui.screens.base import TrainerScreen
from trainer.tui.textfmt import tidy
from trainer.tui.widgets.folded import FoldedStatic
from trainer.tui.widgets.footer import TrainerFooter


def table(rows: list[tuple[str, str]]) -> Content:
    """Label/value lines as content (values are authored text, never markup)."""
    return Content("\n").join(
        Content.assemble((f"{name}: ", "bold"), tidy(value)) for name, value in rows
    )


class BriefingScreen(TrainerScreen):
    """Read the account before dialling; Enter starts the call."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "start_call", "key.start_call"),
        Binding("escape", "back", "key.back"),
        Binding("f6", "app.history", "key.history", show=False),
    ]

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario = scenario

    def compose(self) -> ComposeResult:
        language = self.trainer.language
        scenario = self.scenario
        persona = self.backend.content.personas.get(scenario.persona)
        persona_type = persona.type if persona else scenario.persona
        with VerticalScroll(id="briefing"):
            yield FoldedStatic(
                Content.assemble(
                    (scenario.title, "bold"),
                    "  ",
                    (
                        f"{label(language, 'stage', scenario.stage)} · "
                        f"{label(language, 'difficulty', scenario.difficulty)}",
                        "$text-muted",
                    ),
                ),
                id="briefing-title",
            )
            if scenario.summary:
                yield FoldedStatic(Content(tidy(scenario.summary)), classes="muted")
            with Horizontal(id="briefing-cards"):
                with Vertical(classes="card", id="persona-card") as card:
                    card.border_title = self.t("briefing.persona")
                    lines: list[Content] = [
                        Content.assemble(
                            (persona.name if persona else scenario.persona, "bold"),
                            "  ",
                            (label(language, "persona", persona_type), "$text-accent"),
                        )
                    ]
                    if persona:
                        lines.append(Content(tidy(persona.background)))
                        if persona.traits:
                            lines.append(
                                Content.styled(" · ".join(persona.traits), "italic $text-muted")
                            )
                    yield FoldedStatic(Content("\n").join(lines))
                with Vertical(classes="card", id="account-card") as card:
                    card.border_title = self.t("briefing.account")
                    yield FoldedStatic(table(fact_rows(language, scenario)))
            with Vertical(classes="card", id="objectives") as card:
                card.border_title = self.t("briefing.objectives")
                yield FoldedStatic(
                    Content("\n").join(Content(f"• {tidy(o)}") for o in objectives(scenario))
                )
            with Vertical(classes="card", id="passing") as card:
                card.border_title = self.t("briefing.passing")
                yield Static(self.t("briefing.passing.text", mark=scenario.pass_mark), markup=False)
            yield Button(self.t("briefing.start"), id="start-call", variant="primary")
        yield TrainerFooter()

    def on_mount(self) -> None:
        # Focus the page, not the button: the top of the briefing stays in view at 80×24.
        self.query_one("#briefing", VerticalScroll).focus()

    @on(Button.Pressed, "#start-call")
    def action_start_call(self) -> None:
        from trainer.records import StoreError
        from trainer.tui.screens.call import CallScreen

        problem = self.backend.save_problem
        try:
            if problem is not None:  # a read-only data folder: nothing of the call could be kept
                raise StoreError(problem)
            session = self.backend.new_session(
                self.scenario, mode=self.trainer.mode, trainee=self.trainer.trainee
            )
        except StoreError as exc:  # say so, and stay on the briefing
            self.notify(
                self.t("briefing.cannot_save", detail=str(exc)),
                severity="error",
                markup=False,
                timeout=12,
            )
            return
        self.trainer.switch_screen(CallScreen(self.scenario, session))

    def action_back(self) -> None:
        self.trainer.pop_screen()
