"""Text that breaks its lines the Chinese-aware way (`trainer.tui.textfmt.line_starts`).

Textual wraps at spaces and folds a Chinese sentence (which has none) at the exact
width, so a number could be cut in two ("63|80块"), a line could start with "。", or a
label such as "第 1 轮" or "客户:" could be left alone on its line while the sentence
after it moves down. Everything authored or typed that the app shows in a paragraph
goes through `fold` instead: the transcript, the briefing, the debrief, the hint and
the guided options.

`Folded` is a Textual visual, so it works wherever a widget takes a visual (a
`Static`, an `OptionList` option) and folds again at whatever width it is drawn.
"""

from __future__ import annotations

from textual.content import Content
from textual.css.styles import RulesMap
from textual.geometry import Size
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual
from textual.widgets import Static

from trainer.tui.textfmt import cells, line_starts

#: The fewest cells worth keeping an indent for; narrower, a line uses the whole width.
_ROOM = 8


def fold(content: Content, width: int) -> Content:
    """``content`` with its line breaks placed by `line_starts` for ``width`` cells.

    Each paragraph (a piece between newlines) is broken here; every line then fits,
    so Textual has nothing left to wrap.
    """
    if width <= 0:
        return content
    lines: list[Content] = []
    for paragraph in content.split("\n"):
        plain = paragraph.plain
        indent = len(plain) - len(plain.lstrip(" "))
        if 0 < indent < len(plain) and width - indent >= _ROOM:
            # an indented paragraph keeps its indent on every line it folds onto
            lines.append(hang(paragraph[:indent], paragraph[indent:], width))
            continue
        starts = line_starts(plain, width)
        pieces = paragraph.divide(starts) if starts else [paragraph]
        lines.extend(piece.rstrip() for piece in pieces)
    return Content("\n").join(lines)


def hang(prefix: Content, body: Content, width: int) -> Content:
    """``prefix`` then ``body`` folded to the room left, continuation lines indented under
    the body (a numbered option: ``1、您好,……`` with its second line under ``您``)."""
    indent = cells(prefix.plain)
    if width - indent < _ROOM:  # too narrow to indent: fold the whole line instead
        whole = Content.assemble(prefix, body)
        starts = line_starts(whole.plain, width)
        pieces = whole.divide(starts) if starts else [whole]
        return Content("\n").join(piece.rstrip() for piece in pieces)
    folded = fold(body, width - indent).split("\n")
    pad = Content(" " * indent)
    return Content("\n").join(
        Content.assemble(prefix if number == 0 else pad, line) for number, line in enumerate(folded)
    )


class Folded(Visual):
    """Content folded by `fold` at the width it is drawn; with ``prefix``, a hanging line."""

    def __init__(self, content: Content, prefix: Content | None = None) -> None:
        self.content = content
        self.prefix = prefix
        self._width = -1
        self._folded = content

    @property
    def plain(self) -> str:
        """The unfolded text (for tests and searches)."""
        return (self.prefix.plain if self.prefix else "") + self.content.plain

    def at(self, width: int) -> Content:
        """The content folded for ``width`` cells (the last width is cached)."""
        if width != self._width:
            self._width = width
            self._folded = (
                hang(self.prefix, self.content, width) if self.prefix else fold(self.content, width)
            )
        return self._folded

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        return self.at(width).render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        whole = Content.assemble(self.prefix, self.content) if self.prefix else self.content
        return whole.get_optimal_width(rules, container_width)

    def get_minimal_width(self, rules: RulesMap) -> int:
        return 1

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self.at(width).get_height(rules, width)


class FoldedStatic(Static):
    """A `Static` whose text breaks lines by the rules of `fold` (Chinese-aware)."""

    def render(self) -> Content:
        visual = self.visual
        if not isinstance(visual, Content):
            return visual  # type: ignore[return-value]
        return fold(visual, self.content_size.width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        visual = self.visual
        if not isinstance(visual, Content) or width <= 0:
            return super().get_content_height(container, viewport, width)
        return len(fold(visual, width).plain.split("\n"))
