"""The command palette's app actions: start a call, switch mode, coaching, export…

Ctrl+P opens Textual's palette; this provider adds the trainer's own commands
in the trainee's language. Commands act on the call in progress when there is
one, otherwise they change the defaults for the next call.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

if TYPE_CHECKING:
    from trainer.tui.app import TrainerApp


class TrainerCommands(Provider):
    """Start scenario, switch mode, toggle coaching, export transcript, history, theme."""

    @property
    def trainer(self) -> TrainerApp:
        return cast("TrainerApp", self.app)

    def commands(self) -> list[tuple[str, Callable[[], object], str]]:
        """(name, callback, help) of every command, in the trainee's language."""
        app = self.trainer
        if not app.trainee:  # nothing to start before the trainee has said who they are
            return [(app.t("cmd.theme"), app.action_toggle_theme, app.t("cmd.theme.help"))]
        found: list[tuple[str, Callable[[], object], str]] = [
            (app.t("cmd.mode"), switch_mode(app), app.t("cmd.mode.help")),
            (app.t("cmd.coaching"), toggle_coaching(app), app.t("cmd.coaching.help")),
            (app.t("cmd.export"), export(app), app.t("cmd.export.help")),
            (app.t("cmd.history"), app.open_history, app.t("cmd.history.help")),
            (app.t("cmd.home"), app.open_home, app.t("cmd.home.help")),
            (app.t("cmd.theme"), app.action_toggle_theme, app.t("cmd.theme.help")),
        ]
        for scenario in app.backend.scenarios():
            if scenario.locale != app.call_locale:
                continue
            found.append(
                (
                    app.t("cmd.start", title=scenario.title),
                    partial(app.open_briefing, scenario.id),
                    app.t("cmd.start.help"),
                )
            )
        return found

    async def discover(self) -> Hits:
        for name, callback, help_text in self.commands():
            yield DiscoveryHit(Content(name), callback, text=name, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self.commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, text=name, help=help_text)


def switch_mode(app: TrainerApp) -> Callable[[], None]:
    """Switch the call in progress, or the default for the next call."""

    def run() -> None:
        from trainer.tui.screens.call import CallScreen

        if isinstance(app.screen, CallScreen):
            app.screen.action_switch_mode()
            return
        app.set_mode("guided" if app.mode == "free" else "free")
        app.notify(app.t("call.mode_now", mode=app.t(f"mode.{app.mode}.short")))

    return run


def toggle_coaching(app: TrainerApp) -> Callable[[], None]:
    """Toggle coaching in the call in progress, or the default for the next call."""

    def run() -> None:
        from trainer.tui.screens.call import CallScreen

        if isinstance(app.screen, CallScreen):
            app.screen.action_toggle_coaching()
            return
        app.set_coaching("assessment" if app.coaching == "live" else "live")
        app.notify(app.t("call.coaching_now", coaching=app.t(f"coaching.{app.coaching}")))

    return run


def export(app: TrainerApp) -> Callable[[], None]:
    """Export the transcript of the call on screen (call, debrief or replay)."""

    def run() -> None:
        session_id = getattr(app.screen, "session_id", None)
        if not session_id:
            app.notify(app.t("cmd.nothing_to_export"), severity="warning")
            return
        from trainer.records import StoreError

        try:
            path = app.backend.export_jsonl(session_id)
        except StoreError as exc:
            app.notify(app.t("call.export_failed", detail=str(exc)), severity="error", markup=False)
            return
        app.notify(app.t("call.exported", path=str(path)), markup=False)

    return run
