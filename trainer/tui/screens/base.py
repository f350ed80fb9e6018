"""What every screen of the app shares: translated keys, the app and its backend."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual.screen import Screen

from trainer.tui import keys

if TYPE_CHECKING:
    from trainer.services.backend import Backend
    from trainer.tui.app import TrainerApp


class TrainerScreen(Screen[Any]):
    """A screen whose footer and help speak the trainee's language."""

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        keys.localize(self, self.trainer.language)

    @property
    def trainer(self) -> TrainerApp:
        """The app, typed."""
        return cast("TrainerApp", self.app)

    @property
    def backend(self) -> Backend:
        """Content, store and settings."""
        return self.trainer.backend

    def t(self, key: str, **fields: object) -> str:
        """An interface string in the trainee's language."""
        return self.trainer.t(key, **fields)
