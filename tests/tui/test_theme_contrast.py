"""WCAG AA contrast of the light theme, computed from the theme's own colours.

The approved wording is shown in the transcript under the trainee's line ("→ 建议说法:"
in success green, the better line in the text colour, on the tint of the trainee's
lines), in the debrief and the hint (on the screen's background), with the guided
line's quality in success, warning or error colour. Each must reach 4.5:1.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.color import Color
from textual.theme import BUILTIN_THEMES, Theme
from tui_support import build_app

from trainer.tui.themes import LIGHT_THEME, RENAMED, TRAINER_LIGHT

AA = 4.5
#: (text colour, background) pairs the approved wording and the quality notes use.
PAIRS = [
    *(
        (fg, bg)
        for bg in ("primary-muted", "background", "surface")
        for fg in ("text-success", "text-warning", "text-error", "foreground")
    ),
    ("text-error", "error-muted"),  # the words that triggered a finding
]


def luminance(color: Color) -> float:
    """Relative luminance (WCAG 2.x)."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)


def contrast(a: Color, b: Color) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def ratios(theme: Theme) -> dict[tuple[str, str], float]:
    colours = theme.to_color_system().generate()
    found = {}
    for fg, bg in PAIRS:
        back = Color.parse(colours[bg])
        front = Color.parse(colours[fg])
        found[(fg, bg)] = contrast(back.blend(front, front.a) if front.a < 1 else front, back)
    return found


@pytest.mark.parametrize(("fg", "bg"), PAIRS)
def test_the_light_theme_meets_wcag_aa(fg: str, bg: str) -> None:
    assert ratios(TRAINER_LIGHT)[(fg, bg)] >= AA


def test_textual_light_did_not_which_is_why_the_app_has_its_own() -> None:
    before = ratios(BUILTIN_THEMES["textual-light"])
    assert before[("text-success", "primary-muted")] < AA  # 2.2:1: what a trainee saw


def test_f8_switches_to_the_readable_light_theme_and_an_old_setting_follows(home: Path) -> None:
    assert RENAMED["textual-light"] == LIGHT_THEME

    async def scenario() -> None:
        app = build_app(home)
        app.backend.remember("theme", "textual-light")  # saved by an earlier version
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert app.theme == LIGHT_THEME
            await pilot.press("f8")
            assert app.current_theme.dark
            await pilot.press("f8")
            assert app.theme == LIGHT_THEME

    asyncio.run(scenario())
