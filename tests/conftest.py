"""Suite-wide set-up: content kinds are wired as the command line and the app wire them."""

from __future__ import annotations

from trainer.services.content import wire

wire()
