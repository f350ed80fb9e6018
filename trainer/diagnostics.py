"""Diagnostics: one problem found in a file, pointed at exactly.

Every loader, linter and checker in trainer reports problems as `Diagnostic`
values so the CLI can print them the same way (``file:line:col: CODE message``)
and as JSON. Codes are stable; docs/authoring.md lists them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem at ``file:line:column`` with a stable ``code`` and a ``hint`` to fix it.

    Lines and columns are 1-based, as editors show them.
    """

    file: str
    line: int
    column: int
    code: str
    message: str
    hint: str = ""
    severity: Severity = "error"

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of ``trainer validate --format json`` (without severity)."""
        data = asdict(self)
        data.pop("severity")
        return data

    def format(self) -> str:
        """One line for a terminal: ``file:line:col: error CODE: message (hint)``."""
        text = f"{self.file}:{self.line}:{self.column}: {self.severity} {self.code}: {self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return " ".join(text.splitlines())  # one problem, one line, whatever a message holds


class ContentError(Exception):
    """Raised when content cannot be used; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        first = diagnostics[0].format() if diagnostics else "content error"
        more = f" (+{len(diagnostics) - 1} more)" if len(diagnostics) > 1 else ""
        super().__init__(first + more)
