"""The trainee app and `make_app`, the one factory the CLI and every test use.

The app holds the trainee's choices (name, interface language, mode, coaching)
and the `Backend`; screens do the rest. Time comes from an injected clock so the
call timer and snapshots are deterministic under test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.theme import Theme

from trainer.services.backend import (
    SETTING_COACHING,
    SETTING_LANGUAGE,
    SETTING_MODE,
    SETTING_NAME,
    SETTING_THEME,
    Backend,
)
from trainer.tui import keys
from trainer.tui.dates import on_call_date
from trainer.tui.i18n import normalize_language, text
from trainer.tui.palette import TrainerCommands
from trainer.tui.themes import DARK_THEME, LIGHT_THEME, RENAMED, TRAINER_LIGHT

if TYPE_CHECKING:
    from trainer.records import SessionRecord
    from trainer.scenarios.model import Scenario


class TrainerApp(App[None]):
    """Pick a call, practise it with live coaching, read the debrief, see your progress."""

    CSS_PATH = "styles/app.tcss"
    COMMANDS = App.COMMANDS | {TrainerCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "key.help"),
        Binding("f8", "toggle_theme", "key.theme"),
        Binding("ctrl+q", "quit", "key.quit", priority=True),
    ]

    def __init__(
        self,
        backend: Backend,
        *,
        clock: Callable[[], datetime] = datetime.now,
        cursor_blink: bool = True,
        language: str | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.clock = clock
        self.cursor_blink = cursor_blink
        self.trainee = backend.setting(SETTING_NAME)
        self.language = normalize_language(language or backend.setting(SETTING_LANGUAGE) or None)
        if language:  # `trainer tui --language en` is remembered, like the name and theme
            backend.remember(SETTING_LANGUAGE, self.language)
        self.mode = backend.setting(SETTING_MODE, "free")
        if self.mode not in ("free", "guided"):
            self.mode = "free"
        self.coaching = backend.setting(SETTING_COACHING, "live")
        if self.coaching not in ("live", "assessment"):
            self.coaching = "live"
        keys.localize(self, self.language)

    def t(self, key: str, **fields: object) -> str:
        """An interface string in the trainee's language."""
        return text(self.language, key, **fields)

    def on_mount(self) -> None:
        from trainer.tui.screens.start import StartScreen

        self.title = self.t("app.title")
        self.register_theme(TRAINER_LIGHT)
        saved = self.backend.setting(SETTING_THEME, DARK_THEME)
        saved = RENAMED.get(saved, saved)
        self.theme = saved if saved in self.available_themes else DARK_THEME
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.push_screen(StartScreen())

    def _remember_theme(self, theme: Theme) -> None:
        self.backend.remember(SETTING_THEME, theme.name)

    # ------------------------------------------------------------ trainee choices

    def set_language(self, language: str) -> None:
        """Switch the interface language (screens built afterwards use it)."""
        self.language = normalize_language(language)
        self.backend.remember(SETTING_LANGUAGE, self.language)
        self.title = self.t("app.title")
        keys.localize(self, self.language)
        self.refresh_bindings()

    def set_trainee(self, name: str) -> None:
        """Remember the trainee's name."""
        self.trainee = name
        self.backend.remember(SETTING_NAME, name)

    def set_mode(self, mode: str) -> None:
        """Remember free or guided as the default for new calls."""
        self.mode = mode
        self.backend.remember(SETTING_MODE, mode)

    def set_coaching(self, coaching: str) -> None:
        """Remember live coaching or assessment as the default for new calls."""
        self.coaching = coaching
        self.backend.remember(SETTING_COACHING, coaching)

    @property
    def call_locale(self) -> str:
        """The scenario locale that matches the interface language."""
        return "en-US" if self.language == "en" else "zh-CN"

    # ------------------------------------------------------------ app-wide actions

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's own palette entries, in the trainee's language; "Keys" opens the
        app's help (F1, translated) and "Screenshot" saves into the data folder."""
        yield SystemCommand(
            self.t("cmd.themes"), self.t("cmd.themes.help"), self.action_change_theme
        )
        yield SystemCommand(self.t("cmd.quit"), self.t("cmd.quit.help"), self.action_quit)
        yield SystemCommand(self.t("cmd.keys"), self.t("cmd.keys.help"), self.action_help)
        if screen.maximized is not None:
            yield SystemCommand(
                self.t("cmd.minimize"), self.t("cmd.minimize.help"), screen.action_minimize
            )
        elif screen.focused is not None and screen.focused.allow_maximize:
            yield SystemCommand(
                self.t("cmd.maximize"), self.t("cmd.maximize.help"), screen.action_maximize
            )
        yield SystemCommand(
            self.t("cmd.screenshot"),
            self.t("cmd.screenshot.help"),
            lambda: self.set_timer(0.1, self.save_screen),  # once the palette has closed
        )

    def action_command_palette(self) -> None:
        """The command palette, with its search prompt in the trainee's language."""
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]
            self.push_screen(
                CommandPalette(placeholder=self.t("cmd.search"), id="--command-palette")
            )

    def save_screen(self) -> Path | None:
        """Save the screen as SVG in ``screenshots/`` of the data folder; say where."""
        folder = (self.backend.home or Path.cwd()) / "screenshots"
        stamp = self.clock().strftime("%Y%m%d-%H%M%S")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"screenshot-{stamp}.svg"
            number = 2
            while path.exists():
                path = folder / f"screenshot-{stamp}-{number}.svg"
                number += 1
            path.write_text(self.export_screenshot(title=self.t("app.title")), encoding="utf-8")
        except OSError as exc:  # a read-only or full data folder: one line, not a crash
            detail = f"{folder}: {exc.strerror or exc}"
            self.notify(
                self.t("cmd.screenshot.failed", detail=detail), severity="error", markup=False
            )
            return None
        self.notify(self.t("cmd.screenshot.saved", path=str(path)), markup=False)
        return path

    def action_help(self) -> None:
        """Show every key of the current screen and of the app."""
        from trainer.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_toggle_theme(self) -> None:
        """Switch between the light and the dark theme (remembered)."""
        self.theme = LIGHT_THEME if self.current_theme.dark else DARK_THEME

    def action_history(self) -> None:
        """Open the history (from any screen after the start)."""
        if self.trainee:
            self.open_history()

    def resume_call(self, session_id: str) -> None:
        """Continue an interrupted call where it stopped (replacing the screen on top)."""
        from trainer.engine.session import EngineError
        from trainer.records import StoreError
        from trainer.tui.screens.call import CallScreen

        def on_its_day(record: SessionRecord, scenario: Scenario) -> Scenario:
            try:  # the dates the call was played with: those of the day it started
                day = datetime.fromisoformat(record.started_at).date()
            except ValueError:
                day = self.clock().date()
            return on_call_date(scenario, day)

        try:
            session = self.backend.resume_session(session_id, on_its_day)
        except (EngineError, StoreError) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.push_screen(CallScreen(session.scenario, session, resumed=True))

    def open_home(self) -> None:
        """Go back to the list of calls, closing everything above it."""
        from trainer.tui.screens.home import HomeScreen

        while len(self.screen_stack) > 2 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()
        if not isinstance(self.screen, HomeScreen):
            self.push_screen(HomeScreen())
        else:
            self.screen.reload()

    def open_briefing(self, scenario_id: str) -> None:
        """Show the briefing of a call, above the home screen."""
        from trainer.tui.screens.briefing import BriefingScreen

        scenario = self.backend.scenario(scenario_id)
        if scenario is None:
            return
        self.open_home()
        # the call takes place today: its dates move to the app's clock (trainer.tui.dates)
        self.push_screen(BriefingScreen(on_call_date(scenario, self.clock().date())))

    def open_history(self) -> None:
        """Show the trainee's past sessions, above the home screen."""
        from trainer.tui.screens.history import HistoryScreen

        self.open_home()
        self.push_screen(HistoryScreen())


def make_app(
    home: str | Path | None = None,
    *,
    content_paths: list[Path] | None = None,
    clock: Callable[[], datetime] | None = None,
    seed: int | None = None,
    cursor_blink: bool = True,
    language: str | None = None,
    backend: Backend | None = None,
    rulebooks: dict[str, str | Path] | None = None,
    store_url: str | None = None,
    token: str | None = None,
) -> TrainerApp:
    """Build the trainee app.

    ``home`` is the data folder (``--home``; default ``$TRAINER_HOME`` or the user
    data dir); ``content_paths`` replace the shipped content; ``clock`` and
    ``seed`` fix time and randomness (tests, snapshots); ``cursor_blink=False``
    makes screenshots stable; ``rulebooks`` maps a locale to a rulebook name or file;
    ``store_url`` chooses the session store (``--store``; default the home SQLite file);
    ``token`` signs a class member in (their own sessions only).
    """
    chosen_clock = clock or datetime.now
    if backend is None:
        backend = Backend.open(
            home,
            content_paths,
            clock=chosen_clock,
            seed=seed,
            rulebooks=rulebooks,
            store_url=store_url,
            token=token,
        )
    return TrainerApp(backend, clock=chosen_clock, cursor_blink=cursor_blink, language=language)
