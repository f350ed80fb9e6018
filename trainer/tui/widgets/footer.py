"""The footer, fitted to the terminal's width.

Textual's footer lays its keys out in one row and cuts whatever passes the right
edge, so at 80 columns the last key lost its description ("f8 Light/") or vanished.
This footer measures the keys first and, when they do not fit, leaves out keys from
the end of the row — the app-wide ones (theme, quit) come last — but never F1 (help,
which lists every key), and ends the row with "…" to say that more keys exist.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel

from trainer.tui.textfmt import cells

#: The action that always stays: it shows every key of the screen.
KEEP = frozenset({"help", "app.help"})
MORE = "…"
#: The class a key's ``compact`` watcher sets as it mounts; given at creation, that
#: watcher changes nothing, where it restyled each key once more (the footer is built
#: again on every change of screen or focus, 10–15 keys each time).
_COMPACT = "-compact"


class TrainerFooter(Footer):
    """A compact footer whose keys always fit its width (see the module's docstring)."""

    def __init__(self) -> None:
        super().__init__(compact=True)
        self._laid_out_for = 0

    def _width(self) -> int:
        return self.size.width or self.app.size.width

    def shown(self) -> list[tuple[Binding, bool, str]]:
        """The bindings that fit, in footer order (after the one-per-action rule)."""
        active = self.screen.active_bindings
        seen: set[str] = set()
        keys: list[tuple[Binding, bool, str]] = []
        for _, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                keys.append((binding, enabled, tooltip))
        room = self._width() - self._palette_width()
        while keys and self._row_width(keys, cut=False) > room:
            droppable = [i for i, (b, _, _) in enumerate(keys) if b.action not in KEEP]
            if not droppable:
                break
            del keys[droppable[-1]]
            if self._row_width(keys, cut=True) <= room:
                break
        return keys

    def _key_width(self, binding: Binding) -> int:
        """Cells of one compact key: "f8 Light/dark" and its right margin."""
        display = self.app.get_key_display(binding)
        return cells(display) + (1 + cells(binding.description) if binding.description else 0) + 1

    def _row_width(self, keys: list[tuple[Binding, bool, str]], *, cut: bool) -> int:
        return sum(self._key_width(b) for b, _, _ in keys) + (cells(MORE) + 1 if cut else 0)

    def _palette_width(self) -> int:
        if not (self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE):
            return 0
        found = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        return 0 if found is None else self._key_width(found[1]) + 1  # and its left border

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        self._laid_out_for = self._width()
        keys = self.shown()
        everything = {b.action for _, b, _, _ in self.screen.active_bindings.values() if b.show}
        for binding, enabled, tooltip in keys:
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
                classes=_COMPACT,
            ).data_bind(compact=Footer.compact)
        if len(keys) < len(everything):
            yield FooterLabel(MORE, classes="-more")
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            found = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _, binding, enabled, tooltip = found
                yield FooterKey(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    classes=f"-command-palette {_COMPACT}",
                    disabled=not enabled,
                    tooltip=binding.tooltip or binding.description,
                )

    def on_resize(self, event: Resize) -> None:
        """Lay the keys out again when the width changed."""
        if event.size.width != self._laid_out_for and self._bindings_ready:
            self.call_after_refresh(self.recompose)
