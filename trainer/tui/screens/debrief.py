"""Debrief: outcome, score, pass/fail, checks with proof, findings with better wording.

Also the replay screen of the history: the same view of any stored session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content

from trainer.grading.findings import by_rule
from trainer.services.debrief_view import DebriefView
from trainer.tui import keys
from trainer.tui.i18n import label, text
from trainer.tui.screens.base import TrainerScreen
from trainer.tui.textfmt import tidy
from trainer.tui.widgets.folded import FoldedStatic
from trainer.tui.widgets.footer import TrainerFooter
from trainer.tui.widgets.timer import format_duration
from trainer.tui.widgets.transcript import Entry, TranscriptEntry, glue, highlight_spans


def verdict(language: str, view: DebriefView) -> Content:
    """``Outcome: … · Score 82/100 (pass 70) · PASSED`` with the hard-fail reason."""
    outcome = (
        label(language, "outcome", view.outcome)
        if view.outcome
        else text(language, f"history.status.{view.status}")
    )
    outcome_style = "bold $text-success" if view.good_ending else "bold $text-error"
    parts: list[Content | tuple[str, str] | str] = [
        (text(language, "debrief.outcome") + ": ", "bold"),
        (outcome, outcome_style),
        "   ",
        (text(language, "debrief.score") + ": ", "bold"),
    ]
    if view.score is None:
        parts.append((text(language, "debrief.score.none"), "$text-muted"))
    else:
        parts.append((f"{view.score}/100", "bold"))
        parts.append((f" ({text(language, 'home.pass_mark', mark=view.pass_mark)})", "$text-muted"))
    if view.passed is not None:
        word = text(language, "debrief.passed" if view.passed else "debrief.failed")
        style = "bold reverse $success" if view.passed else "bold reverse $error"
        parts += ["   ", (f" {word} ", style)]
    if view.hard_fail:
        parts += ["  ", (text(language, "debrief.hard_fail"), "bold $text-error")]
    if view.duration_seconds:
        parts += [
            "   ",
            (
                text(language, "debrief.duration", time=format_duration(view.duration_seconds)),
                "$text-muted",
            ),
        ]
    return Content.assemble(*parts)


def checks_block(language: str, view: DebriefView) -> Content:
    """One line per check: ✓/✗, title, and the turn and line that prove it."""
    lines: list[Content] = []
    for check in view.checks:
        mark, style = ("✓", "$text-success") if check.met else ("✗", "$text-error")
        state = text(language, "debrief.check.met" if check.met else "debrief.check.missed")
        line = Content.assemble(
            (f"{mark} ", f"bold {style}"), (tidy(check.title), "bold"), (f" ({state})", style)
        )
        if check.evidence:
            where = (
                text(language, "debrief.check.turn", turn=view.agent_turn(check.turn))
                if check.turn is not None
                else ""
            )
            line = Content("\n").join(
                [
                    line,
                    Content.assemble(
                        "    ", (where, "$text-muted"), ("“" + check.evidence + "”", "italic")
                    ),
                ]
            )
        if check.note and not check.met:  # what exactly was missing
            line = Content("\n").join(
                [line, Content.styled("    → " + tidy(check.note), "$text-error")]
            )
        if check.why and not check.met:
            line = Content("\n").join(
                [line, Content.styled("    " + tidy(check.why), "$text-muted")]
            )
        lines.append(line)
    return Content("\n").join(lines)


def poor_block(language: str, view: DebriefView) -> Content:
    """Each poor guided choice: the turn, the line, the points it cost and why it is poor."""
    blocks: list[Content] = []
    for poor in view.poor_choices:
        head = Content.assemble(
            (text(language, "debrief.check.turn", turn=view.agent_turn(poor.turn)), "$text-muted"),
            ("“" + poor.text + "”", "italic"),
        )
        if poor.points:
            head = Content.assemble(
                head,
                " ",
                (text(language, "debrief.poor.points", points=poor.points), "$text-error"),
            )
        parts = [head]
        if poor.why:
            parts.append(Content.styled("    " + tidy(poor.why), "$text-muted"))
        blocks.append(Content("\n").join(parts))
    return Content("\n").join(blocks)


def findings_block(language: str, view: DebriefView) -> Content:
    """Every finding with its line, rule, why and the better wording."""
    if not view.findings:
        return Content.styled(text(language, "debrief.findings.none"), "$text-success")
    blocks: list[Content] = []
    for found, same in by_rule(view.findings):
        f = found.finding
        severity = label(language, "severity", f.severity)
        category = label(language, "category", f.category)
        style = "bold $text-error" if f.severity in ("critical", "major") else "bold $text-warning"
        head = Content.assemble(
            (text(language, "debrief.check.turn", turn=view.agent_turn(found.turn)), "$text-muted"),
            (f"{f.rule} {severity}", style),
            " · ",
            (category, "italic"),
        )
        said = Content.assemble("  “", highlight_spans(found.text, list(same)), "”")
        why = Content.assemble(
            "  ", (text(language, "call.finding.why") + glue(f.message), "bold"), tidy(f.message)
        )
        parts = [head, said, why]
        if f.suggestion:
            parts.append(
                Content.assemble(
                    (
                        "  → " + text(language, "call.finding.better") + glue(f.suggestion),
                        "bold $text-success",
                    ),
                    tidy(f.suggestion),
                )
            )
        blocks.append(Content("\n").join(parts))
    return Content("\n\n").join(blocks)


class DebriefScreen(TrainerScreen):
    """The debrief of one stored session (just finished, or opened from the history)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "retry", "key.retry"),
        Binding("n", "next", "key.next"),
        Binding("f5", "export", "key.export"),
        Binding("f6", "app.history", "key.history"),
        Binding("escape", "back", "key.home"),
    ]

    def __init__(self, session_id: str, *, from_history: bool = False) -> None:
        super().__init__()
        self.session_id = session_id
        self.from_history = from_history
        self.view = self.backend.debrief(session_id)
        if self.view.status == "in_progress":  # an interrupted call: r resumes it
            keys.relabel(self, "r", self.t("key.resume"))

    def compose(self) -> ComposeResult:
        language = self.trainer.language
        view = self.view
        with VerticalScroll(id="debrief"):
            yield FoldedStatic(
                Content.assemble(
                    (text(language, "debrief.heading") + " · ", "bold $accent"),
                    (view.title, "bold"),
                ),
                id="debrief-title",
            )
            yield FoldedStatic(verdict(language, view), id="verdict")
            if view.checks:
                with Vertical(classes="card", id="checks") as card:
                    card.border_title = text(language, "debrief.checks")
                    yield FoldedStatic(checks_block(language, view))
            with Vertical(classes="card", id="findings") as card:
                card.border_title = text(language, "debrief.findings")
                yield FoldedStatic(findings_block(language, view))
            if view.missed_moves:
                with Vertical(classes="card", id="missed") as card:
                    card.border_title = text(language, "debrief.missed_moves")
                    dated = self._dated()
                    yield FoldedStatic(
                        Content("\n").join(
                            Content(f"• {tidy(dated(move))}") for move in view.missed_moves
                        )
                    )
            if view.poor_choices:
                with Vertical(classes="card", id="poor") as card:
                    card.border_title = text(language, "debrief.poor")
                    yield FoldedStatic(poor_block(language, view))
            with Vertical(classes="card", id="debrief-transcript") as card:
                card.border_title = text(language, "debrief.transcript")
                for turn in view.turns:
                    yield TranscriptEntry(
                        language,
                        Entry(
                            speaker=turn.speaker,
                            text=turn.text,
                            findings=list(turn.findings),
                            turn=turn.index,
                        ),
                        show_findings=True,
                    )
        yield TrainerFooter()

    def on_mount(self) -> None:
        self.query_one("#debrief", VerticalScroll).focus()

    def _dated(self) -> Callable[[str], str]:
        """The scenario's lines with their dates moved to the day the call was made, as the
        call showed them (`trainer.tui.dates`); the approved lines of missed moves come
        from the scenario as written."""
        from datetime import datetime

        from trainer.records import StoreError
        from trainer.tui.dates import shift_text, written_call_date

        scenario = self.backend.scenario(self.view.scenario_id)
        try:
            day = datetime.fromisoformat(self.backend.record(self.session_id).started_at).date()
        except (StoreError, ValueError):
            return str
        written = written_call_date(scenario, day) if scenario is not None else None
        if written is None:
            return str
        return lambda line: shift_text(line, written, day)

    def _next_scenario(self) -> str | None:
        """The call after this one in the home list (same language), or the suggested one."""
        scenarios = [
            s
            for s in self.backend.scenarios()
            if s.locale == (self.backend.scenario(self.view.scenario_id) or s).locale
        ]
        ids = [s.id for s in scenarios]
        if self.view.scenario_id in ids:
            index = ids.index(self.view.scenario_id)
            if index + 1 < len(ids):
                return ids[index + 1]
        suggestion = self.backend.suggest(self.trainer.trainee, self.trainer.call_locale)
        return suggestion[0].id if suggestion else None

    def action_retry(self) -> None:
        """Resume an interrupted call, or read the briefing again and try once more."""
        if self.view.status == "in_progress":
            self.trainer.pop_screen()
            self.trainer.resume_call(self.session_id)
            return
        self.trainer.open_briefing(self.view.scenario_id)

    def action_next(self) -> None:
        """Go on to the next call."""
        target = self._next_scenario()
        if target:
            self.trainer.open_briefing(target)

    def action_export(self) -> None:
        """Write the transcript as JSONL in the data folder."""
        from trainer.records import StoreError

        try:
            path = self.backend.export_jsonl(self.session_id)
        except StoreError as exc:
            self.notify(
                self.t("call.export_failed", detail=str(exc)), severity="error", markup=False
            )
            return
        self.notify(self.t("call.exported", path=str(path)), markup=False)

    def action_back(self) -> None:
        if self.from_history:
            self.trainer.pop_screen()
        else:
            self.trainer.open_home()
