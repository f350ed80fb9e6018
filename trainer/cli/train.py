"""``trainer rules train``: fit the learned stage of a rulebook from labelled lines.

The rulebook's model rules (``model: true``) say which categories get a
classifier and in which contexts each applies. Training data: the JSONL files
given with ``--data`` (files, or folders whose ``*.jsonl`` names contain the
rulebook's locale), every rule's examples, and the locale's shipped scenarios
(unless ``--no-scenarios``). The model is written to the file the rulebook's
``model:`` names (or ``--out``) and its out-of-fold quality is printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer.cli.util import share
from trainer.diagnostics import ContentError
from trainer.vocab import CATEGORIES as CATEGORY_CODES

if TYPE_CHECKING:
    from trainer.grading.content import When
    from trainer.grading.findings import CallContext


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``rules train`` on the ``rules`` sub-parsers."""
    train = sub.add_parser(
        "train",
        help="train the rulebook's learned stage from labelled lines",
        description="Fit one classifier per model rule's category from labelled agent "
        "lines (JSONL), the rules' examples and the shipped scenarios; write the model "
        "file the rulebook names.",
    )
    train.add_argument("rulebook", metavar="RULEBOOK", help="shipped name or rulebook file")
    train.add_argument(
        "--data",
        nargs="+",
        default=[],
        metavar="PATH",
        help="JSONL files, or folders (their *.jsonl files naming the locale)",
    )
    train.add_argument(
        "--no-scenarios", action="store_true", help="do not learn from the shipped scenarios"
    )
    train.add_argument("--out", metavar="FILE", help="model file (default: the rulebook's model:)")
    train.add_argument(
        "--fp-budget",
        type=share,
        default=None,
        metavar="RATE",
        help="share of compliant lines a category may flag out of fold (default 0.003)",
    )
    train.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a training setting (alpha, beta, l1, l2, epochs, folds, min_df, "
        "min_threshold, seed); the defaults are what the shipped models use",
    )
    train.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Train and write the model; 0 on success, 2 on unreadable input."""
    from trainer.grading.rulebook import (
        DEFAULT_NIGHT,
        _is_name,
        _load_base,
        _validate,
        shipped_dir,
    )
    from trainer.training import corpus, learning
    from trainer.yamlio import load_yaml

    path = Path(args.rulebook)
    if _is_name(args.rulebook):
        path = shipped_dir() / f"{args.rulebook}.yaml"
    if not path.is_file():
        print(f"trainer: rulebook not found: {args.rulebook}", file=sys.stderr)
        return 2
    try:
        doc = load_yaml(path, str(path))
        spec = _validate(doc)
        rule_specs = list(spec.rules)
        locale: str | None = spec.locale
        base = _load_base(doc, spec, path, check_examples=False)
        if base is not None:
            own = {r.id for r in spec.rules} | set(spec.disable)
            rule_specs = [r.spec for r in base.rules if r.id not in own] + rule_specs
            locale = locale or base.locale
    except ContentError as exc:
        for diag in exc.diagnostics:
            print(diag.format(), file=sys.stderr)
        return 2
    lang: str = locale or "zh-CN"
    model_rules = [r for r in rule_specs if r.model]
    if not model_rules:
        print(
            f"trainer: {args.rulebook} has no model rules (model: true); nothing to train",
            file=sys.stderr,
        )
        return 2
    order = list(CATEGORY_CODES)
    categories = sorted({r.category for r in model_rules}, key=order.index)
    applies = {r.category: _holds(r.when) for r in model_rules}
    files = _data_files([Path(p) for p in args.data], lang)
    missing = [p for p in args.data if not Path(p).exists()]
    if missing:
        print(f"trainer: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    from trainer.paths import regular_file_problem

    for raw in args.data:  # a FIFO or a device would be skipped silently or never end
        given = Path(raw)
        problem = None if given.is_dir() else regular_file_problem(given)
        if problem is not None:
            print(f"trainer: {raw}: {problem}", file=sys.stderr)
            return 2
    try:
        items = corpus.from_files(files)
    except ValueError as exc:
        print(f"trainer: {exc}", file=sys.stderr)
        return 2
    items += corpus.from_rule_examples(rule_specs)
    if not args.no_scenarios:
        from trainer.paths import content_root

        folder = content_root() / lang
        if folder.is_dir():
            items += corpus.from_scenarios([folder], lang)
    settings = learning.Settings()
    if args.fp_budget is not None:
        settings.fp_budget = args.fp_budget
    for pair in args.set:
        name, _, value = pair.partition("=")
        if name.startswith("_") or name not in learning.LIMITS or not value:
            print(
                f"trainer: unknown setting '{pair}' (use NAME=VALUE; names:"
                f" {', '.join(learning.LIMITS)})",
                file=sys.stderr,
            )
            return 2
        try:
            setattr(settings, name, learning.setting_value(name, value))
        except ValueError as exc:
            print(f"trainer: --set {pair}: {exc}", file=sys.stderr)
            return 2
    out = Path(args.out) if args.out else path.parent / (spec.model or f"{spec.id}.model.json")
    problem = _unwritable(out)
    if problem is not None:  # found now, not after minutes of training
        print(f"trainer: cannot write the model to {out}: {problem}", file=sys.stderr)
        return 2
    night = (spec.night.start, spec.night.end) if spec.night else DEFAULT_NIGHT[lang]
    from trainer.grading.learned import file_digest

    data = learning.train(
        items,
        locale=lang,
        scheme="chars" if lang.startswith("zh") else "words",
        categories=categories,
        applies=applies,
        night=night,
        settings=settings,
        trained_on={
            "files": [f.name for f in files],
            "sha256": file_digest(files),
        },
    )
    out_of_fold = data.pop("_out_of_fold")
    try:
        out.write_text(dump(data), encoding="utf-8")
    except OSError as exc:
        print(f"trainer: cannot write the model to {out}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"wrote {out}: {len(data['weights'])} features, {len(items)} training lines")
    for category in categories:
        m = data["metrics"][category]
        print(
            f"  {category:24} threshold {data['thresholds'][category]:.3f}  "
            f"out-of-fold recall {m['oof_recall']}  false positives "
            f"{m['oof_false_positives']}/{m['compliant']}"
        )
    _print_combined(path, items, data, out_of_fold)
    return 0


def _print_combined(
    path: Path, items: list[Any], data: dict[str, Any], out_of_fold: dict[str, dict[int, float]]
) -> None:
    """Recall and false-positive rate of patterns plus model, out of fold, on the data."""
    from trainer.grading.rulebook import load_rulebook

    try:
        book = load_rulebook(path, check_examples=False)
    except ContentError:
        return  # the old model file no longer fits: nothing to compare with
    book.classifier = None
    counted = {"critical", "major", "minor"}
    caught = positives = flagged = compliant = alone = alone_flagged = 0
    for k, item in enumerate(items):
        findings = book.check(item.text, item.context())
        model = {
            c
            for c, probs in out_of_fold.items()
            if k in probs and probs[k] >= data["thresholds"][c]
        }
        if item.labels:
            positives += 1
            found = {f.category for f in findings}
            alone += bool(found & item.labels)
            caught += bool((found | model) & item.labels)
        else:
            compliant += 1
            by_rules = any(f.severity in counted for f in findings)
            alone_flagged += by_rules
            flagged += bool(model) or by_rules
    print(
        f"patterns alone:                recall {alone / max(positives, 1):.3f}, "
        f"false-positive rate {alone_flagged / max(compliant, 1):.3f}"
    )
    print(
        f"patterns + model, out of fold: recall {caught / max(positives, 1):.3f} "
        f"({caught}/{positives}), false-positive rate {flagged / max(compliant, 1):.3f} "
        f"({flagged}/{compliant})"
    )


def _unwritable(out: Path) -> str | None:
    """Why the model file ``out`` cannot be written, or None: checked before training,
    so a typo in ``--out`` does not throw away the trained model."""
    import os
    import tempfile

    folder = out.parent
    if out.is_dir():
        return "it is a folder — give a file name"
    if not folder.is_dir():
        return f"there is no folder {folder} — create it or choose another --out"
    if out.exists() and not os.access(out, os.W_OK):
        return "the file is read-only — choose another --out"
    try:  # a real probe: permission bits say nothing of a read-only disk
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return f"{exc.strerror} in {folder} — choose another --out"
    return None


def _holds(when: When) -> Callable[[CallContext], bool]:
    return lambda ctx: when.holds(ctx, False)


def _data_files(paths: list[Path], lang: str) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.glob("*.jsonl") if lang in p.name))
        elif path.is_file():
            files.append(path)
    return files


def dump(data: dict[str, Any]) -> str:
    """The model as JSON with one feature per line (readable diffs, compact file)."""
    head = {k: v for k, v in data.items() if k != "weights"}
    text = json.dumps(head, ensure_ascii=False, indent=1)
    lines = [
        f" {json.dumps(feature, ensure_ascii=False)}: {json.dumps(entries)}"
        for feature, entries in data["weights"].items()
    ]
    return text[:-2] + ',\n "weights": {\n' + ",\n".join(lines) + "\n }\n}\n"
