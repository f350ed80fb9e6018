"""The persona's meters (trust, patience, anger) as bars that move during the call."""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from trainer.tui.i18n import label

#: Meters where a high value is bad news; their bars turn to warning/error as they rise.
RISING_IS_BAD = frozenset({"anger"})


def bar(value: int, low: int, high: int, width: int) -> tuple[str, str]:
    """The filled and empty parts of a bar ``width`` cells wide for ``value`` in low..high."""
    span = max(1, high - low)
    filled = round(max(0, min(span, value - low)) / span * width)
    return "█" * filled, "░" * (width - filled)


def meter_style(name: str, value: int, low: int, high: int) -> str:
    """A theme style for the bar: green when good, warning, then error."""
    share = (value - low) / max(1, high - low)
    badness = share if name in RISING_IS_BAD else 1 - share
    if badness >= 0.7:
        return "$error"
    if badness >= 0.45:
        return "$warning"
    return "$success"


class MeterBar(Static):
    """One meter: name, bar, value and the last change (▲/▼)."""

    def __init__(self, language: str, name: str, value: int, low: int = 0, high: int = 100) -> None:
        super().__init__(markup=False, classes="meter")
        self.language = language
        self.meter = name
        self.value = value
        self.low = low
        self.high = high
        self.delta = 0

    def set_value(self, value: int) -> None:
        """Move the bar to ``value`` and remember the change to show it."""
        self.delta = value - self.value
        self.value = value
        self.refresh()

    def render(self) -> Content:
        width = max(4, self.size.width - 1) if self.size.width else 16
        name = label(self.language, "meter", self.meter)
        change = ""
        if self.delta:
            change = f" {'▲' if self.delta > 0 else '▼'}{abs(self.delta)}"
        filled, empty = bar(self.value, self.low, self.high, width)
        style = meter_style(self.meter, self.value, self.low, self.high)
        return Content.assemble(
            (name, "bold"),
            f" {self.value}",
            (change, "$text-muted"),
            "\n",
            (filled, style),
            (empty, "$text-disabled"),
        )


class MeterPanel(Widget):
    """All meters of the persona, in the scenario's order."""

    DEFAULT_CSS = """
    MeterPanel { height: auto; }
    MeterPanel > MeterBar { height: 2; }
    """

    def __init__(
        self, language: str, meters: dict[str, tuple[int, int, int]], id: str | None = None
    ) -> None:
        """``meters``: name → (value, min, max)."""
        super().__init__(id=id)
        self.language = language
        self._initial = meters

    def compose(self):  # type: ignore[no-untyped-def]
        for name, (value, low, high) in self._initial.items():
            yield MeterBar(self.language, name, value, low, high)

    def update_meter(self, name: str, value: int) -> None:
        """Move one meter; unknown names are ignored (a meter the scenario lacks)."""
        for widget in self.query(MeterBar):
            if widget.meter == name:
                widget.set_value(value)

    def values(self) -> dict[str, int]:
        """Current values shown, by meter name."""
        return {widget.meter: widget.value for widget in self.query(MeterBar)}
