"""Write docs/content.md, the catalogue of the shipped content pack, from the content itself.

Instructors look for a model scenario by stage, persona and difficulty; the
catalogue lists every shipped scenario with what it teaches, the persona
library, and the variants built with ``extends:``. It is generated, never
edited by hand, and ``tests/content/test_catalogue.py`` fails when the
committed file no longer matches the content, so it cannot silently drift.

Usage::

    python scripts/content_catalogue.py            # (re)write docs/content.md
    python scripts/content_catalogue.py --check    # exit 1 when docs/content.md is stale
    python scripts/content_catalogue.py --stdout   # print instead of writing

Exit codes: 0 written (or up to date), 1 stale with ``--check``, 2 unreadable content.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "content.md"

if TYPE_CHECKING:
    from trainer.scenarios.loader import ContentSet
    from trainer.scenarios.model import Persona, Scenario

LOCALE_ORDER = ("zh-CN", "en-US")
STAGES = {
    "first_contact": "首次联系 · First contact",
    "repeat_contact": "再次联系 · Repeat contact",
    "third_party": "第三人联系 · Third-party contact",
    "special": "特殊账户 · Special accounts",
}
#: The handbook's names of the persona types (DOMAIN.md §3), shown beside the type id.
TYPE_NAMES = {
    "honest_forgetful": "诚信健忘型",
    "loud_anxious": "色厉内荏型",
    "staller": "敷衍拖沓型",
    "evader": "恶意透支型",
    "hardship": "经济困难型",
    "identity_dispute": "欺诈/冒名",
    "complainer": "投诉/录音",
    "third_party": "第三人",
}
_SENTENCE_END = re.compile(r"(?<=[。!?])|(?<=[.!?])\s")
#: Keys of a variant file that say what it is, not what it changes.
_VARIANT_HEADER = ("kind", "id", "extends")
_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
#: A space YAML folding left inside Chinese prose: between two Chinese characters, or after
#: ASCII punctuation that follows one (authors often type "," in Chinese text).
_FOLDED_SPACE = re.compile(
    f"(?:(?<=[{_CJK}])|(?<=[{_CJK}][,;:!?.)\"'])|(?<=[{_CJK}][\"')][,;:!?.]))\\s+(?=[{_CJK}(\"'])"
)


# ---------------------------------------------------------------- text helpers


def clean(text: str) -> str:
    """One line of prose: YAML folding's spaces between Chinese characters removed."""
    return _FOLDED_SPACE.sub("", " ".join(text.split()))


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return clean(text).replace("|", "\\|")


def _locales(found: Iterable[str]) -> list[str]:
    present = set(found)
    return [loc for loc in LOCALE_ORDER if loc in present] + sorted(present - set(LOCALE_ORDER))


# ---------------------------------------------------------------- content facts


def persona_locales(content: ContentSet) -> dict[str, str]:
    """Persona id → locale of the library that defines it (personas carry no locale)."""
    from trainer.scenarios.model import PersonaLibrary

    out: dict[str, str] = {}
    for loaded in content.files:
        if isinstance(loaded.obj, PersonaLibrary):
            for persona in loaded.obj.personas:
                out.setdefault(persona.id, loaded.obj.locale)
    return out


def overridden(content: ContentSet, scenario: Scenario) -> list[str]:
    """Top-level keys a variant's own file sets (what it changes in its base)."""
    doc = content.sources.get(scenario.id)
    layers = getattr(doc, "layers", None)
    data = layers[0].data if layers else None
    if not isinstance(data, dict):
        return []
    keys = []
    for key, value in data.items():
        if key in _VARIANT_HEADER:
            continue
        if isinstance(value, dict) and key in ("nodes", "endings"):
            keys.append(f"{key} ({len(value)})")
        else:
            keys.append(str(key))
    return keys


def type_text(kind: str) -> str:
    """A persona type as ``诚信健忘型 `honest_forgetful```."""
    name = TYPE_NAMES.get(kind)
    return f"{name} `{kind}`" if name else f"`{kind}`"


def first_sentence(text: str) -> str:
    """The first sentence of a persona's background, for a one-line table cell."""
    prose = clean(text)
    parts = _SENTENCE_END.split(prose, maxsplit=1)
    return parts[0].strip() if parts and parts[0].strip() else prose


def _persona_text(persona: Persona | None, persona_id: str) -> tuple[str, str]:
    if persona is None:
        return f"`{persona_id}` (not defined)", "?"
    return f"{cell(persona.name)} (`{persona.id}`)", type_text(persona.type)


# ---------------------------------------------------------------- rendering


def render(content: ContentSet) -> str:
    """The whole catalogue as Markdown (deterministic: sorted, no dates)."""
    scenarios = sorted(content.scenarios.values(), key=lambda s: (s.locale, s.stage, s.id))
    personas = content.personas
    owners = persona_locales(content)
    by_locale = {
        loc: [s for s in scenarios if s.locale == loc]
        for loc in _locales(s.locale for s in scenarios)
    }
    counts = ", ".join(f"{loc} {len(items)}" for loc, items in by_locale.items())
    out = [
        "# Content catalogue",
        "",
        "<!-- Generated from content/dialogues by scripts/content_catalogue.py; do not edit by",
        "     hand. Regenerate with: python scripts/content_catalogue.py",
        "     tests/content/test_catalogue.py fails when this file is out of date. -->",
        "",
        f"The shipped pack holds {len(scenarios)} scenarios ({counts}) and"
        f" {len(personas)} personas. List them with `trainer list`, play one with"
        " `trainer play <id>` (add `--guided` to choose among lines), and see"
        " docs/authoring.md to write your own.",
        "",
        "## Scenarios",
    ]
    for locale, items in by_locale.items():
        out += ["", f"### {locale}"]
        for stage, label in STAGES.items():
            staged = [s for s in items if s.stage == stage]
            if staged:
                out += _stage_section(staged, label, personas)
    out += _persona_section(content, scenarios, owners)
    out += _variant_section(content, scenarios)
    return "\n".join(out) + "\n"


def _stage_section(
    items: Sequence[Scenario], label: str, personas: dict[str, Persona]
) -> list[str]:
    out = [
        "",
        f"#### {label} ({len(items)})",
        "",
        "| id | title | persona | type | difficulty |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in items:
        name, kind = _persona_text(personas.get(s.persona), s.persona)
        out.append(f"| `{s.id}` | {cell(s.title)} | {name} | {kind} | {s.difficulty} |")
    out += ["", "What each teaches:", ""]
    for s in items:
        variant = f"; variant of `{s.extends}`" if s.extends else ""
        summary = clean(s.summary) or clean(s.title)
        out.append(f"- **`{s.id}`** ({s.difficulty}{variant}): {summary}")
        if s.teaches.strip():
            out.append(f"  - *Teaches:* {clean(s.teaches)}")
    return out


def _persona_section(
    content: ContentSet, scenarios: Sequence[Scenario], owners: dict[str, str]
) -> list[str]:
    used: dict[str, list[str]] = {}
    for s in scenarios:
        used.setdefault(s.persona, []).append(f"`{s.id}`")
    out = [
        "",
        "## Personas",
        "",
        "Personas live in `content/dialogues/<locale>/personas*` (kind: personas); a scenario",
        "names one with `persona:`. Their meters (trust, patience, anger) are set per",
        "scenario, so one persona can be played at several difficulties.",
    ]
    for locale in _locales(owners.values()):
        ids = sorted(pid for pid, loc in owners.items() if loc == locale)
        out += [
            "",
            f"### {locale} ({len(ids)})",
            "",
            "| id | name | type | difficulty | who they are | used by |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for pid in ids:
            p = content.personas[pid]
            scenes = ", ".join(used.get(pid, [])) or "—"
            out.append(
                f"| `{pid}` | {cell(p.name)} | {type_text(p.type)} |"
                f" {p.difficulty} | {cell(first_sentence(p.background))} | {scenes} |"
            )
    return out


def _variant_section(content: ContentSet, scenarios: Sequence[Scenario]) -> list[str]:
    variants = [s for s in scenarios if s.extends]
    out = [
        "",
        "## Variants with `extends:`",
        "",
        "A variant scenario names its base with `extends:` and writes only what differs —",
        "typically the title, persona, difficulty, meters and some of the debtor's lines.",
        "Mappings (briefing, meters, nodes, one node) merge key by key; lists and plain values",
        "replace the base's whole; `null` removes a key (docs/authoring.md, section 4). The",
        "merged scenario is validated, audited and tested like any other.",
    ]
    if not variants:
        return [*out, "", "No shipped scenario is a variant yet."]
    out += [
        "",
        "| base | variant | difficulty | persona | the variant's file sets |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in sorted(variants, key=lambda s: (s.extends or "", s.id)):
        base = content.scenarios.get(s.extends or "")
        base_text = f"`{s.extends}` ({base.difficulty})" if base else f"`{s.extends}`"
        keys = ", ".join(overridden(content, s)) or "—"
        out.append(f"| {base_text} | `{s.id}` | {s.difficulty} | `{s.persona}` | {keys} |")
    return out


# ---------------------------------------------------------------- command


def build(content_dir: Path | None = None) -> tuple[str, list[str]]:
    """The catalogue text and the content's error lines (``file:line:col: ...``)."""
    from trainer.services.content import load_content

    content, diagnostics = load_content([content_dir] if content_dir else None)
    errors = [d.format() for d in diagnostics if d.severity == "error"]
    return render(content), errors


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    """Write, print or check the catalogue; see the module docstring."""
    parser = argparse.ArgumentParser(description="Generate docs/content.md from the content.")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the output file is not up to date (write nothing)",
    )
    parser.add_argument("--stdout", action="store_true", help="print instead of writing")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="default: docs/content.md")
    parser.add_argument(
        "--content", type=Path, default=None, help="content folder (default: the shipped content)"
    )
    args = parser.parse_args(argv)
    if args.content is not None and not args.content.is_dir():
        sys.stderr.write(f"{args.content}: no such content folder\n")
        return 2
    text, errors = build(args.content)
    for line in errors:
        sys.stderr.write(line + "\n")
    if errors:
        sys.stderr.write(
            f"warning: {len(errors)} content error(s); files with errors are"
            " missing from the catalogue (run 'trainer validate')\n"
        )
    if args.stdout:
        sys.stdout.write(text)
        return 0
    if args.check:
        try:
            current = args.output.read_text(encoding="utf-8")
        except OSError:
            current = ""
        if current != text:
            sys.stderr.write(
                f"{_shown(args.output)}: out of date; run python scripts/content_catalogue.py\n"
            )
            return 1
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        sys.stderr.write(f"{_shown(args.output)}: cannot write: {exc.strerror}\n")
        return 2
    sys.stdout.write(f"wrote {_shown(args.output)} ({text.count(chr(10))} lines)\n")
    return 0


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
