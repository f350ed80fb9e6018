"""Key bindings whose descriptions follow the interface language.

Bindings are declared on classes with an i18n key as description
(``Binding("f2", "hint", "key.hint")``); `localize` gives one screen or the app
a copy of its bindings with the descriptions in the trainee's language, so the
footer and the help screen speak it. Textual merges class bindings once per
class, so the copy is made per instance from those merged bindings.
"""

from __future__ import annotations

from dataclasses import replace

from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode

from trainer.tui.i18n import text


def localize(node: DOMNode, language: str) -> None:
    """Replace ``node``'s bindings with copies whose descriptions are translated."""
    merged = type(node)._merged_bindings
    if merged is None:
        return
    keys: dict[str, list[Binding]] = {}
    for key, bindings in merged.key_to_bindings.items():
        keys[key] = [
            replace(b, description=text(language, b.description))
            if b.description.startswith("key.")
            else b
            for b in bindings
        ]
    node._bindings = BindingsMap.from_keys(keys)


def described(node: DOMNode) -> list[Binding]:
    """The bindings of ``node`` that have a description, in declaration order, one per action."""
    seen: set[str] = set()
    out: list[Binding] = []
    for _, binding in node._bindings:
        if binding.description and binding.action not in seen:
            seen.add(binding.action)
            out.append(binding)
    return out
