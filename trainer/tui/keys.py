"""Key bindings whose descriptions follow the interface language.

Bindings are declared on classes with an i18n key as description
(``Binding("f2", "hint", "key.hint")``); `localize` gives one screen or the app
a copy of its bindings with the descriptions in the trainee's language, so the
footer and the help screen speak it. Textual merges class bindings once per
class, so the copy is made per instance.
"""

from __future__ import annotations

from dataclasses import replace

from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode

from trainer.tui.i18n import text


def localize(node: DOMNode, language: str) -> None:
    """Replace ``node``'s bindings with copies whose descriptions are translated."""
    # The untranslated bindings are kept on first use: they include bindings added
    # at run time (the App adds the command palette key in its constructor).
    source: BindingsMap | None = getattr(node, "_untranslated_bindings", None)
    if source is None:
        source = node._bindings.copy()
        node._untranslated_bindings = source  # type: ignore[attr-defined]
    keys: dict[str, list[Binding]] = {}
    for key, bindings in source.key_to_bindings.items():
        keys[key] = [_translated(b, language) for b in bindings]
    node._bindings = BindingsMap.from_keys(keys)


def _translated(binding: Binding, language: str) -> Binding:
    """``binding`` with its description in ``language``: our ``key.*`` descriptions, and
    Textual's own command-palette key (its footer label is English, "palette")."""
    if binding.description.startswith("key."):
        return replace(binding, description=text(language, binding.description))
    if binding.action in ("command_palette", "app.command_palette"):
        label = text(language, "key.palette")
        return replace(binding, description=label, tooltip=label)
    return binding


def described(node: DOMNode) -> list[Binding]:
    """The app's own bindings of ``node`` (translated), one per action, in order.

    Textual's built-in keys (Tab, Ctrl+C…) are left out: they are not part of
    the trainer's vocabulary and have no translation.
    """
    source: BindingsMap = getattr(node, "_untranslated_bindings", node._bindings)
    ours = {b.action for _, b in source if b.description.startswith("key.")}
    seen: set[str] = set()
    out: list[Binding] = []
    for _, binding in node._bindings:
        if binding.action in ours and binding.action not in seen:
            seen.add(binding.action)
            out.append(binding)
    return out


def relabel(node: DOMNode, key: str, description: str) -> None:
    """Give the binding of ``key`` on ``node`` another description (after `localize`)."""
    keys: dict[str, list[Binding]] = {}
    for bound, bindings in node._bindings.key_to_bindings.items():
        keys[bound] = [replace(b, description=description) if bound == key else b for b in bindings]
    node._bindings = BindingsMap.from_keys(keys)
