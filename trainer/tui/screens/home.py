"""Home: the calls grouped by stage, with persona, difficulty, best score and pass mark."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from trainer.scenarios.model import Scenario
from trainer.services.backend import STAGE_ORDER
from trainer.tui.i18n import label, text
from trainer.tui.screens.base import TrainerScreen
from trainer.tui.widgets.footer import TrainerFooter


def scenario_prompt(
    language: str, scenario: Scenario, persona_type: str, best: tuple[int, bool] | None
) -> Content:
    """Two lines for one call: its title, then persona · difficulty · best · pass mark."""
    details = [
        label(language, "persona", persona_type),
        label(language, "difficulty", scenario.difficulty),
    ]
    if best is None:
        score = Content.styled(_fmt(language, "home.best.none"), "$text-muted")
    else:
        style = "bold $text-success" if best[1] else "bold $text-warning"
        score = Content.styled(
            _fmt(language, "home.best", score=best[0]) + (" ✓" if best[1] else ""), style
        )
    return Content.assemble(
        (scenario.title, "bold"),
        "\n  ",
        (" · ".join(details), "$text-muted"),
        " · ",
        score,
        " · ",
        (_fmt(language, "home.pass_mark", mark=scenario.pass_mark), "$text-muted"),
    )


def _fmt(language: str, key: str, **fields: object) -> str:
    return text(language, key, **fields)


def matches(query: str, language: str, scenario: Scenario, persona_type: str) -> bool:
    """True when every word of ``query`` occurs in the call's title, id, persona or level."""
    haystack = " ".join(
        [
            scenario.title,
            scenario.id,
            scenario.summary,
            scenario.persona,
            persona_type,
            label(language, "persona", persona_type),
            scenario.difficulty,
            label(language, "difficulty", scenario.difficulty),
            label(language, "stage", scenario.stage),
            scenario.locale,
        ]
    ).casefold()
    return all(word in haystack for word in query.casefold().split())


class HomeScreen(TrainerScreen):
    """The list of calls; Enter opens a briefing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "key.open", show=False),
        Binding("f5", "search", "key.search"),
        Binding("slash", "search", "key.search", show=False),
        Binding("f4", "suggested", "key.suggested"),
        Binding("f6", "history", "key.history"),
        Binding("f7", "all_locales", "key.all_locales", show=False),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.all_locales = False

    def compose(self) -> ComposeResult:
        yield Static(
            self.t("home.heading", name=self.trainer.trainee), id="home-heading", markup=False
        )
        yield Static("", id="suggestion", markup=False)
        yield Input(placeholder=self.t("home.search"), id="search", max_length=100)
        yield OptionList(id="scenarios", markup=False)
        yield TrainerFooter()

    def on_mount(self) -> None:
        self.query_one("#search", Input).cursor_blink = self.trainer.cursor_blink
        if self.backend.ready():
            self._loaded()
        else:  # the content is still loading in the background: wait off the UI thread
            self.query_one("#scenarios", OptionList).loading = True
            self.run_worker(self._wait_for_content, thread=True)

    def _wait_for_content(self) -> None:
        _ = self.backend.content
        self.app.call_from_thread(self._loaded)

    def _loaded(self) -> None:
        self.query_one("#scenarios", OptionList).loading = False
        self.reload()
        self.query_one("#scenarios", OptionList).focus()
        problem = self.backend.save_problem
        if problem is not None:
            self.notify(
                self.t("home.read_only", detail=problem),
                severity="warning",
                markup=False,
                timeout=15,
            )
        errors = [d for d in self.backend.diagnostics if d.severity == "error"]
        if errors:
            self.notify(
                self.t("home.content_errors", count=len(errors), first=errors[0].format()),
                severity="warning",
                markup=False,
                timeout=10,
            )

    def on_screen_resume(self) -> None:
        if self.backend.ready():
            self.reload()

    def reload(self) -> None:
        """Rebuild the list and the suggestion (scores change after every call)."""
        if not self.backend.ready():
            return
        trainee = self.trainer.trainee
        shown = self._scenarios()
        locale = None if self.all_locales or not shown else shown[0].locale
        if any(s.locale != locale for s in shown):
            locale = None
        self._best = self.backend.best_scores(trainee)
        suggestion = self.backend.suggest(trainee, locale)
        self._suggested = suggestion[0].id if suggestion else None
        widget = self.query_one("#suggestion", Static)
        parts: list[Content | str | tuple[str, str]] = []
        if suggestion is not None:
            scenario, reason, category = suggestion
            why = self.t(reason, category=label(self.trainer.language, "category", category))
            parts += [
                (self.t("home.suggested") + ": ", "bold $accent"),
                (scenario.title, "bold"),
                " — ",
                why,
                ("  (F4)", "$text-muted"),
            ]
        parts += self._assignments(after=bool(parts))
        widget.update(Content.assemble(*parts) if parts else "")
        self._fill(self.query_one("#search", Input).value)

    def _assignments(self, *, after: bool) -> list[Content | str | tuple[str, str]]:
        """A line per assignment of a signed-in class member: title, due date, state
        (``after``: below the suggestion line)."""
        parts: list[Content | str | tuple[str, str]] = []
        titles = {s.id: s.title for s in self.backend.scenarios()}
        for row in self.backend.assignments():
            work = row.assignment
            due = f" ({self.t('home.due', due=work.due)})" if work.due else ""
            style = "bold $text-success" if row.state == "passed" else "bold $text-warning"
            best = "" if row.best_score is None else f" · {row.best_score}"
            parts += [
                "\n" if parts or after else "",
                (self.t("home.assignments") + ": ", "bold $accent"),
                (titles.get(work.scenario_id, work.scenario_id), "bold"),
                due,
                " — ",
                (self.t(f"assignment.{row.state}") + best, style),
            ]
        return parts

    def _scenarios(self) -> list[Scenario]:
        scenarios = self.backend.scenarios()
        if self.all_locales:
            return scenarios
        mine = [s for s in scenarios if s.locale == self.trainer.call_locale]
        return mine or scenarios

    def _fill(self, query: str) -> None:
        language = self.trainer.language
        options = self.query_one("#scenarios", OptionList)
        highlighted = options.highlighted_option.id if options.highlighted_option else None
        options.clear_options()
        shown = [
            s
            for s in self._scenarios()
            if matches(query, language, s, self.backend.persona_type(s))
        ]
        if not self.backend.scenarios():
            options.add_option(Option(Content(self.t("home.no_content")), disabled=True))
            return
        if not shown:
            options.add_option(Option(Content(self.t("home.none")), disabled=True))
            return
        stages = [stage for stage in STAGE_ORDER if any(s.stage == stage for s in shown)]
        stages += sorted({s.stage for s in shown} - set(stages))
        for stage in stages:
            options.add_option(
                Option(
                    Content.styled(label(language, "stage", stage), "bold $accent"), disabled=True
                )
            )
            for scenario in (s for s in shown if s.stage == stage):
                prompt = scenario_prompt(
                    language,
                    scenario,
                    self.backend.persona_type(scenario),
                    self._best.get(scenario.id),
                )
                options.add_option(Option(prompt, id=scenario.id))
        target = highlighted or self._suggested
        index = _index_of(options, target) if target else None
        if index is None:
            index = next(
                (
                    i
                    for i in range(options.option_count)
                    if not options.get_option_at_index(i).disabled
                ),
                None,
            )
        options.highlighted = index

    @on(Input.Changed, "#search")
    def _search(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        """Enter in the search box opens the highlighted call at once (one Enter, not two);
        with nothing to open it moves to the list."""
        options = self.query_one("#scenarios", OptionList)
        option = options.highlighted_option
        if option is not None and option.id and not option.disabled:
            self.trainer.open_briefing(option.id)
            return
        options.focus()

    @on(OptionList.OptionSelected, "#scenarios")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.trainer.open_briefing(event.option.id)

    def action_open(self) -> None:
        options = self.query_one("#scenarios", OptionList)
        option = options.highlighted_option
        if option is not None and option.id:
            self.trainer.open_briefing(option.id)

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_history(self) -> None:
        self.trainer.open_history()

    def action_suggested(self) -> None:
        if self._suggested:
            self.trainer.open_briefing(self._suggested)

    def action_all_locales(self) -> None:
        self.all_locales = not self.all_locales
        self.reload()

    def action_back(self) -> None:
        """Esc in the search box clears it and returns to the list; Esc on the list goes
        back to the start screen (whose name field does not take the focus)."""
        search = self.query_one("#search", Input)
        if search.has_focus:
            search.value = ""
            self.query_one("#scenarios", OptionList).focus()
            return
        self.trainer.pop_screen()


def _index_of(options: OptionList, option_id: str) -> int | None:
    try:
        return options.get_option_index(option_id)
    except OptionDoesNotExist:  # the call is filtered out
        return None
