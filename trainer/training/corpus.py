"""Gather the labelled agent lines the learned grader stage is trained on.

Three sources, all data the project already keeps:

* JSONL files of labelled utterances (``training/grader/*.jsonl`` and the
  development evaluation sets), in the evaluation-set format;
* every rule's examples: a ``flag`` example is labelled with the rule's
  category, a ``pass`` example is compliant;
* the scenarios' guided options: approved ones (best, acceptable) are
  compliant in every context their node is reached in, a poor one carries the
  categories named by its ``breaks:``.

Held-out evaluation sets are never read here: callers pass the files to use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from trainer.grading.content import RuleSpec
from trainer.training.learning import TrainItem, read_jsonl


def from_files(paths: Iterable[Path]) -> list[TrainItem]:
    """Items of JSONL files, in order."""
    items: list[TrainItem] = []
    for path in paths:
        items.extend(read_jsonl(path))
    return items


def from_rule_examples(rules: Iterable[RuleSpec], source: str = "rulebook") -> list[TrainItem]:
    """The examples of rules as items."""
    items: list[TrainItem] = []
    for rule in rules:
        for kind, examples in (("flag", rule.examples.flag), ("pass", rule.examples.pass_)):
            labels = frozenset([rule.category]) if kind == "flag" else frozenset()
            for i, example in enumerate(examples):
                if example.history or example.consent or example.turn > 1:
                    continue  # decided by the call, not by the words
                items.append(
                    TrainItem(
                        example.text,
                        example.party,
                        example.verified,
                        example.time,
                        labels,
                        f"{source}:{rule.id}:{kind}:{i + 1}",
                    )
                )
    return items


def from_scenarios(paths: Sequence[Path], locale: str) -> list[TrainItem]:
    """Guided options and wording of the content files under ``paths`` in one locale."""
    from trainer.audit.scripts import lines_of

    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.rglob("*.yaml")) if path.is_dir() else [path])
    paths = files
    items: list[TrainItem] = []
    seen: set[tuple[str, str, bool, frozenset[str]]] = set()
    for quality in (("best", "acceptable"), ("poor",)):
        lines, _ = lines_of(list(paths), quality)
        for line in lines:
            if line.locale != locale:
                continue
            labels = frozenset(line.breaks)
            # graded as written (an audit of the file) and as filled in (a call)
            for text in dict.fromkeys((line.text, line.written or line.text)):
                for ctx in line.contexts:
                    key = (text, ctx.party, ctx.verified, labels)
                    if key in seen:
                        continue
                    seen.add(key)
                    items.append(
                        TrainItem(
                            text,
                            ctx.party,
                            ctx.verified,
                            None,
                            labels,
                            f"{line.file}:{line.line}",
                        )
                    )
    return items
