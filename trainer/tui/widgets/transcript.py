"""The call transcript: one block per turn, agent and debtor told apart, findings inline.

Every piece of text here was typed by a trainee or written by an author, so it
is built as `Content` (plain text plus styled spans) and never parsed as
markup: a trainee who types ``[bold]`` sees ``[bold]``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from textual.containers import VerticalScroll
from textual.content import Content

from trainer.grading.findings import Finding
from trainer.safetext import visible
from trainer.tui.i18n import label, text
from trainer.tui.textfmt import tidy
from trainer.tui.widgets.folded import FoldedStatic

#: Style of the words that triggered a finding (theme variables, no literal colours).
HIGHLIGHT = "bold underline $text-error on $error-muted"


@dataclass
class Entry:
    """One turn of the call as shown: who spoke, what was said, what it broke."""

    speaker: str  # "agent" or "customer"
    text: str
    findings: list[Finding] = field(default_factory=list)
    understood: bool = True
    turn: int | None = None
    note: str = ""  # guided mode: why the chosen line was good or poor
    note_quality: str = ""  # best, acceptable or poor


def highlight_spans(line: str, findings: Sequence[Finding]) -> Content:
    """The line as plain content with each finding's words highlighted.

    ``start``/``end`` index the line's text. Spans outside the text (a stale
    offset) are clipped rather than trusted; a finding without offsets (an empty
    span, as one stored without them reads back) is located by its ``match``
    text when possible.
    """
    content = Content(visible(line))  # one for one: finding offsets stay right
    for finding in findings:
        start, end = finding.start, finding.end
        if end <= start:
            if not finding.match:
                continue
            found = line.find(finding.match)
            if found < 0:
                continue
            start, end = found, found + len(finding.match)
        start, end = max(0, start), min(len(line), end)
        if end > start:
            content = content.stylize(HIGHLIGHT, start, end)
    return content


def glue(following: str, spaced: str = ": ", wide: str = "：") -> str:
    """The separator before ``following``: without spaces when it starts with CJK.

    Text wraps at spaces; a Chinese sentence has none, so after a space the whole
    sentence moves to the next line and leaves the label alone on its line.
    Gluing the label to the sentence lets it fold right after the label instead.
    """
    first = following[:1]
    return wide if first and unicodedata.east_asian_width(first) in ("W", "F") else spaced


def render_entry(language: str, entry: Entry, *, show_findings: bool) -> Content:
    """The text block of one turn: speaker label, the line, then its findings."""
    is_agent = entry.speaker == "agent"
    who = text(language, "call.agent" if is_agent else "call.debtor")
    who_style = "bold $primary" if is_agent else "bold $secondary"
    if not is_agent:  # authored debtor line: tidy it; the trainee's own line stays as typed
        body = Content(tidy(entry.text))
    elif show_findings:
        body = highlight_spans(entry.text, entry.findings)
    else:
        body = Content(visible(entry.text))
    parts: list[Content] = [Content.assemble((who, who_style), glue(body.plain), body)]
    if is_agent and not entry.understood and show_findings:
        parts.append(Content.styled(text(language, "call.not_understood"), "italic $text-muted"))
    if is_agent and show_findings and entry.note:
        style = {"best": "$text-success", "acceptable": "$text-warning"}.get(
            entry.note_quality, "$text-error"
        )
        parts.append(
            Content.assemble(
                ("✓" if entry.note_quality == "best" else "•", style),
                (label(language, "quality", entry.note_quality), f"bold {style}"),
                glue(entry.note, " — ", "—"),
                (entry.note, "italic"),
            )
        )
    if is_agent and show_findings:
        shown: set[str] = set()
        for finding in entry.findings:  # one card per rule; every flagged word is marked
            if finding.rule not in shown:
                shown.add(finding.rule)
                parts.append(render_finding(language, finding))
    return Content("\n").join(parts)


def render_finding(language: str, finding: Finding) -> Content:
    """``⚠ RULE severity · category — why`` and ``→ say instead: …`` as content."""
    severity = label(language, "severity", finding.severity)
    category = label(language, "category", finding.category)
    style = (
        "bold $text-error" if finding.severity in ("critical", "major") else "bold $text-warning"
    )
    head = Content.assemble(
        ("⚠ ", style),
        (finding.rule, style),
        " ",
        (severity, style),
        " · ",
        (category, "italic"),
    )
    message = Content.assemble(("  ", ""), tidy(finding.message))
    head = Content("\n").join([head, message])
    if not finding.suggestion:
        return head
    suggestion = tidy(finding.suggestion)
    better = Content.assemble(
        ("  → ", "$text-success"),
        (
            text(language, "call.finding.better") + glue(suggestion, ": ", "："),
            "bold $text-success",
        ),
        suggestion,
    )
    return Content("\n").join([head, better])


class TranscriptEntry(FoldedStatic):
    """One turn in the transcript; agent and debtor lines get different CSS classes."""

    def __init__(self, language: str, entry: Entry, *, show_findings: bool) -> None:
        self.entry = entry
        self.language = language
        self.show_findings = show_findings
        classes = "agent" if entry.speaker == "agent" else "debtor"
        if entry.findings and show_findings:
            classes += " has-finding"
        super().__init__(
            render_entry(language, entry, show_findings=show_findings),
            classes=classes,
            markup=False,
        )

    def refresh_entry(self, *, show_findings: bool | None = None) -> None:
        """Re-render after findings were attached or the coaching mode changed."""
        if show_findings is not None:
            self.show_findings = show_findings
        self.set_class(bool(self.entry.findings) and self.show_findings, "has-finding")
        self.update(render_entry(self.language, self.entry, show_findings=self.show_findings))


class Transcript(VerticalScroll):
    """The scrolling list of turns; new turns scroll into view."""

    DEFAULT_CSS = """
    Transcript { height: 1fr; }
    """

    def __init__(self, language: str, *, show_findings: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.language = language
        self.show_findings = show_findings
        self.can_focus = True

    def add(self, entry: Entry) -> TranscriptEntry:
        """Append a turn and scroll to it."""
        widget = TranscriptEntry(self.language, entry, show_findings=self.show_findings)
        self.mount(widget)
        self.scroll_end(animate=False)
        return widget

    def last_agent(self) -> TranscriptEntry | None:
        """The most recent agent turn, to attach findings to."""
        for widget in reversed(list(self.query(TranscriptEntry))):
            if widget.entry.speaker == "agent":
                return widget
        return None

    def set_show_findings(self, show: bool) -> None:
        """Show or hide live feedback on every line (assessment mode hides it)."""
        self.show_findings = show
        for widget in self.query(TranscriptEntry):
            widget.refresh_entry(show_findings=show)

    def entries(self) -> list[Entry]:
        """The turns shown, in order."""
        return [widget.entry for widget in self.query(TranscriptEntry)]
