"""The app's light theme: Textual's light theme with text colours that can be read.

On ``textual-light`` the approved wording ("→ 建议说法", the guided line's "✓ 最佳")
is green on the blue-grey of the trainee's lines: a contrast of 2.2:1, far below the
4.5:1 WCAG AA asks of body text. This theme keeps Textual's light palette and
changes only what text is drawn in and on: darker success and warning colours (Textual
derives the text colours from them) and a lighter tint behind the trainee's lines.
`tests/tui/test_theme_contrast.py` computes the ratios from the theme's colours.

Colours live here, in the theme, and nowhere else: the stylesheet uses the variables.
"""

from __future__ import annotations

from textual.theme import BUILTIN_THEMES, Theme

DARK_THEME = "textual-dark"
LIGHT_THEME = "trainer-light"
#: Themes saved by earlier versions, and the one that replaces each.
RENAMED = {"textual-light": LIGHT_THEME}

_BASE = BUILTIN_THEMES["textual-light"]

TRAINER_LIGHT = Theme(
    name=LIGHT_THEME,
    primary=_BASE.primary,
    secondary=_BASE.secondary,
    accent=_BASE.accent,
    warning="#B06A00",  # Textual derives text-warning and text-success from these two
    error=_BASE.error,
    success="#2E8B4A",
    surface=_BASE.surface,
    panel=_BASE.panel,
    background=_BASE.background,
    dark=False,
    variables={
        **_BASE.variables,
        "primary-muted": "#C5CDD3",  # the trainee's lines: a light tint of primary
        "secondary-muted": "#C9D6E0",
    },
)
