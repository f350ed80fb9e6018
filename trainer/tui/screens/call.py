"""Call: the transcript, the line to say (typed or chosen), meters, stages, timer, hints.

The screen is the controller of one engine `Session`: it sends the trainee's
line, then renders the events the engine returns (turns, findings, meter
moves, the ending). Engine turns take well under a millisecond, so they run
inline; nothing here blocks on I/O except the store's small commit.

Keys are F-keys, which a focused `Input` does not swallow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from trainer.scenarios.model import Meter, Scenario
from trainer.services.briefing import call_rows
from trainer.tui.i18n import label
from trainer.tui.screens.base import TrainerScreen
from trainer.tui.textfmt import tidy
from trainer.tui.widgets.folded import Folded, FoldedStatic
from trainer.tui.widgets.footer import TrainerFooter
from trainer.tui.widgets.meters import MeterPanel
from trainer.tui.widgets.stages import StageProgress
from trainer.tui.widgets.timer import CallTimer
from trainer.tui.widgets.transcript import Entry, Transcript, glue

if TYPE_CHECKING:
    from trainer.engine.events import Event
    from trainer.engine.session import Session


def _max_line() -> int:
    """The longest line a trainee can type: 1000 characters, or fewer when the host
    sets ``$TRAINER_MAX_LINE`` (``trainer serve --max-line`` does, for its apps)."""
    import os

    try:
        return max(20, min(1000, int(os.environ.get("TRAINER_MAX_LINE", "1000"))))
    except ValueError:
        return 1000


#: Longest line a trainee can type; longer pastes are cut, never a crash.
MAX_LINE = _max_line()


def meter_bounds(meter: Meter, value: int | None) -> tuple[int, int, int]:
    """(value, min, max) of a scenario meter; the value is its start before the first turn."""
    return (meter.start if value is None else value), meter.min, meter.max


class CallScreen(TrainerScreen):
    """One call in progress."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "hint", "key.hint"),
        Binding("f3", "switch_mode", "key.mode"),
        Binding("f4", "toggle_coaching", "key.coaching"),
        Binding("f5", "export", "key.export"),
        Binding("f10", "hang_up", "key.hangup"),
        Binding("enter", "debrief", "key.debrief"),
    ]

    def __init__(self, scenario: Scenario, session: Session, *, resumed: bool = False) -> None:
        super().__init__()
        self.scenario = scenario
        self.session = session
        self.resumed = resumed
        self.mode = session.mode
        self.coaching = self.trainer.coaching
        self.started_at = self.trainer.clock()
        self.ended = False

    @property
    def session_id(self) -> str | None:
        """The stored session's id (None when the store is not used)."""
        return self.session.id

    @property
    def live(self) -> bool:
        """True when feedback is shown as the call goes (not in assessment mode)."""
        return self.coaching == "live"

    def compose(self) -> ComposeResult:
        language = self.trainer.language
        with Horizontal(id="call-top"):
            yield Static(Content.styled(self.scenario.title, "bold"), id="call-title")
            yield Static("", id="call-status")
            yield CallTimer(language, self.trainer.clock, self.started_at, id="timer")
        yield StageProgress(language, id="stages")
        with Horizontal(id="call-body"):
            yield Transcript(language, show_findings=self.live, id="transcript")
            with Vertical(id="sidebar"):
                meters = {
                    name: meter_bounds(meter, self.session.meters.get(name))
                    for name, meter in self.scenario.meters.items()
                }
                panel = MeterPanel(language, meters, id="meters")
                panel.border_title = self.t("call.meters")
                yield panel
                with VerticalScroll(id="account") as box:
                    # the facts a trainee looks up mid-call: name, amount, card, due date
                    box.border_title = self.t("briefing.account")
                    yield FoldedStatic(
                        Content("\n").join(
                            Content.assemble((name, "bold"), " ", tidy(value))
                            for name, value in call_rows(language, self.scenario)
                        ),
                        id="account-facts",
                    )
                with VerticalScroll(id="hint-box") as box:
                    box.border_title = self.t("call.hint")
                    yield FoldedStatic("", id="hint")
        yield Input(placeholder=self.t("call.input_placeholder"), id="say", max_length=MAX_LINE)
        yield OptionList(id="choices", markup=False)
        yield Static("", id="call-end", markup=False)
        yield TrainerFooter()

    def on_mount(self) -> None:
        self.query_one("#say", Input).cursor_blink = self.trainer.cursor_blink
        self.query_one("#hint-box").display = False
        self.query_one("#call-end", Static).display = False
        if self.session.grader is None:  # say so: a call without a grader gives no feedback
            self.notify(self.t("call.no_grader"), severity="warning", timeout=8)
        if self.resumed:
            self._replay_stored()
            self.notify(self.t("call.resumed"))
        else:
            from trainer.records import StoreError

            try:
                events = self.session.start()
            except StoreError as exc:  # the data folder became unwritable or full
                self.notify(
                    self.t("briefing.cannot_save", detail=str(exc)),
                    severity="error",
                    markup=False,
                    timeout=12,
                )
                self.trainer.pop_screen()
                return
            self._render_events(events)
        self._after_turn()

    # ------------------------------------------------------------ rendering

    def _replay_stored(self) -> None:
        """Show the turns of a resumed call as they were."""
        transcript = self.query_one("#transcript", Transcript)
        stages = self.query_one("#stages", StageProgress)
        for turn in self.session.turns:
            node = self.scenario.nodes.get(turn.node)
            if node is not None:
                stages.set_stage(node.stage)
            transcript.add(
                Entry(
                    speaker=turn.speaker,
                    text=turn.text,
                    turn=turn.index,
                    findings=list(turn.findings),
                    understood=turn.speaker != "agent"
                    or turn.intent is not None
                    or bool(turn.moves),
                )
            )

    def _render_events(self, events: Sequence[Event]) -> None:
        """Show what the engine reported, in order."""
        from trainer.engine.events import (
            EndingEvent,
            FindingEvent,
            MeterEvent,
            RecognitionEvent,
            TurnEvent,
        )

        transcript = self.query_one("#transcript", Transcript)
        meters = self.query_one("#meters", MeterPanel)
        agent = None
        for event in events:
            if isinstance(event, TurnEvent):
                widget = transcript.add(Entry(speaker=event.speaker, text=event.text))
                if event.speaker == "agent":
                    agent = widget
            elif isinstance(event, RecognitionEvent) and agent is not None:
                # understood: a move was taken, or recorded (said out of order, a
                # goodbye), or the line ended the call (a breach is not a mishearing)
                said = next((t for t in reversed(self.session.turns) if t.speaker == "agent"), None)
                agent.entry.understood = (
                    event.intent is not None
                    or self.session.finished
                    or bool(said is not None and said.moves)
                )
                agent.refresh_entry()
            elif isinstance(event, FindingEvent) and agent is not None:
                agent.entry.findings.append(event.finding)
                agent.refresh_entry()
            elif isinstance(event, MeterEvent):
                meters.update_meter(event.name, event.new)
            elif isinstance(event, EndingEvent):
                self._ended(event.outcome)

    def _after_turn(self) -> None:
        """Update stages, status line, the input or choices, after every exchange."""
        ending = self.session.ending
        if ending is None or ending[1].good:  # a failed call never reaches "close"
            self.query_one("#stages", StageProgress).set_stage(
                self.session.stage, self.session.stages_done
            )
        self.query_one("#transcript", Transcript).scroll_end(animate=False)
        self._show_hint(False)
        self._status()
        if self.session.finished:
            if not self.ended:
                ending = self.session.ending
                self._ended(ending[1].outcome if ending else "")
            return
        say = self.query_one("#say", Input)
        choices = self.query_one("#choices", OptionList)
        guided = self.mode == "guided"
        say.display = not guided
        choices.display = guided
        if guided:
            choices.clear_options()
            options = self.session.options()
            if options:
                for number, option in enumerate(options, 1):
                    said = tidy(option.text)
                    label = Content(f"{number}{glue(said, '. ', '、')}")
                    choices.add_option(Option(Folded(Content(said), prefix=label)))
                choices.highlighted = 0
            else:
                choices.add_option(Option(Content(self.t("call.no_options")), disabled=True))
            choices.focus()
        else:
            say.focus()

    def _status(self) -> None:
        mode = self.t(f"mode.{self.mode}.short")
        coaching = self.t(f"coaching.{self.coaching}.short")
        turn = self.t("call.turn", turn=self.session.agent_turns + 1)
        self.query_one("#call-status", Static).update(
            Content.styled(f"{mode} · {coaching} · {turn}", "$text-muted")
        )

    def _ended(self, outcome: str) -> None:
        self.ended = True
        self.query_one("#timer", CallTimer).stop()
        self.query_one("#say", Input).display = False
        self.query_one("#choices", OptionList).display = False
        end = self.query_one("#call-end", Static)
        end.update(self.t("call.ended", outcome=label(self.trainer.language, "outcome", outcome)))
        end.display = True
        end.can_focus = True
        end.focus()
        self.refresh_bindings()
        if not self.live:  # assessment: feedback is shown in the debrief
            self.query_one("#transcript", Transcript).set_show_findings(True)

    # ------------------------------------------------------------ the trainee speaks

    @on(Input.Submitted, "#say")
    def _said(self, event: Input.Submitted) -> None:
        line = event.value.strip()
        if not line:
            self.notify(self.t("call.empty"), severity="warning")
            return
        if self.session.finished:
            return
        event.input.value = ""
        self._render_events(self.session.say(line[:MAX_LINE]))
        self._after_turn()

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if self.session.finished or event.option.disabled:
            return
        option = self.session.options()[event.option_index]
        events = self.session.choose(event.option_index)
        self._render_events(events)
        agent = self.query_one("#transcript", Transcript).last_agent()
        if agent is not None:  # how good the chosen line was, shown with live feedback
            agent.entry.note, agent.entry.note_quality = tidy(option.why), option.quality
            agent.refresh_entry()
        self._after_turn()

    def on_key(self, event: events.Key) -> None:
        """Guided mode: a number key picks the option it labels (``2`` says line 2)."""
        if self.mode != "guided" or self.ended or self.session.finished:
            return
        if (
            event.character is None
            or len(event.character) != 1
            or event.character not in "123456789"
        ):
            return
        number = int(event.character)
        choices = self.query_one("#choices", OptionList)
        if not choices.display or number > choices.option_count:
            return
        if choices.get_option_at_index(number - 1).disabled:
            return
        event.stop()
        choices.highlighted = number - 1
        choices.action_select()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Enter opens the debrief only once the call has ended."""
        if action == "debrief":
            return self.ended
        if action in ("hint", "switch_mode", "toggle_coaching"):
            return not self.ended
        return True

    def action_debrief(self) -> None:
        self.open_debrief()

    def open_debrief(self) -> None:
        """Replace the call with its debrief."""
        from trainer.tui.screens.debrief import DebriefScreen

        if self.session.id is None:
            return
        self.trainer.switch_screen(DebriefScreen(self.session.id))

    # ------------------------------------------------------------ keys

    def action_hint(self) -> None:
        """Show the approved line for this point of the call and why (not in assessment)."""
        hint_box = self.query_one("#hint-box")
        if not self.live or self.ended:
            return
        if hint_box.display:
            self._show_hint(False)
            return
        hint = self.session.hint()
        shown = self.query_one("#hint", FoldedStatic)
        if hint is None:
            shown.update(self.t("call.hint.none"))
        else:
            shown.update(
                Content.assemble(
                    (tidy(hint.text), "bold"), "\n\n", (tidy(hint.why), "italic $text-muted")
                )
            )
        self._show_hint(True)

    def _show_hint(self, shown: bool) -> None:
        """The hint takes the account card's place in the sidebar while it is open."""
        self.query_one("#hint-box").display = shown
        self.query_one("#account").display = not shown

    def action_switch_mode(self) -> None:
        """Switch between typing (free) and choosing (guided) for the rest of the call."""
        if self.ended:
            return
        self.mode = "guided" if self.mode == "free" else "free"
        self.notify(self.t("call.mode_now", mode=self.t(f"mode.{self.mode}.short")), timeout=2)
        self._after_turn()

    def action_toggle_coaching(self) -> None:
        """Live coaching ⇄ assessment (feedback hidden until the debrief)."""
        if self.ended:
            return
        self.coaching = "assessment" if self.live else "live"
        self.query_one("#transcript", Transcript).set_show_findings(self.live)
        if not self.live:
            self._show_hint(False)
        self.notify(self.t("call.coaching_now", coaching=self.t(f"coaching.{self.coaching}")))
        self._status()

    def action_export(self) -> None:
        """Write this call's transcript as JSONL in the data folder."""
        if self.session.id is None:
            return
        from trainer.records import StoreError

        try:
            path = self.backend.export_jsonl(self.session.id)
        except StoreError as exc:
            self.notify(
                self.t("call.export_failed", detail=str(exc)), severity="error", markup=False
            )
            return
        self.notify(self.t("call.exported", path=str(path)), markup=False)

    def action_hang_up(self) -> None:
        """Leave the call; an unfinished call stays resumable from the history."""
        if self.ended:
            self.open_debrief()
            return
        self.trainer.pop_screen()
