"""The shipped content, loaded once per test run.

Loading the whole pack (every scenario, library, rulebook, scorecard and golden
file, with every check) is the costliest step of many tests, and several need it
while pytest collects them (to parametrise per scenario). Tests that only read
the content share this one load; a test that changes content loads its own.
"""

from __future__ import annotations

import functools

from trainer.diagnostics import Diagnostic
from trainer.scenarios.loader import ContentSet
from trainer.services.content import load_content


@functools.cache
def shipped_content() -> tuple[ContentSet, tuple[Diagnostic, ...]]:
    """The shipped content and its diagnostics, as ``trainer validate`` loads them."""
    content, diagnostics = load_content()
    return content, tuple(diagnostics)
