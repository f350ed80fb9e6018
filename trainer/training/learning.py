"""Train the grader's learned second stage (see `trainer.grading.learned`).

Training data are labelled agent utterances: JSONL lines ``{"text", "party",
"verified", "time"?, "expect": category|null, "note"}`` (the format of the
evaluation sets), every rule's examples, and the shipped scenarios' guided
options (approved lines are compliant; a poor option is labelled with the
categories its ``breaks:`` names).

For each category a logistic regression is fitted with FTRL-proximal (L1 makes
most weights exactly zero, so the model stays small and a check adds only a few
numbers). Its threshold is calibrated on out-of-fold predictions: the lowest
probability at which at most ``fp_budget`` of the compliant lines would be
flagged. Everything is plain Python and seeded, so the same data give the same
model byte for byte.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

import ahocorasick

from trainer.audit import reading
from trainer.grading.findings import CallContext
from trainer.grading.learned import FORMAT, canonical, context_features, sigmoid
from trainer.grading.normalize import normalize


@dataclass(frozen=True)
class TrainItem:
    """One labelled agent utterance with the context it is said in."""

    text: str
    party: str = "debtor"
    verified: bool = True
    time: str | None = None
    labels: frozenset[str] = frozenset()
    origin: str = ""

    def context(self) -> CallContext:
        """The call context of the item (turn 1: items stand alone)."""
        clock = None
        if self.time:
            hours, minutes = self.time.split(":")
            clock = time(int(hours), int(minutes))
        return CallContext(party=self.party, verified=self.verified, time=clock)  # type: ignore[arg-type]


@dataclass
class Settings:
    """Training hyper-parameters (their defaults are what the shipped models use)."""

    alpha: float = 0.15
    beta: float = 1.0
    l1: float = 0.3
    l2: float = 1.0
    epochs: int = 8
    folds: int = 4
    min_df: int = 2
    fp_budget: float = 0.003
    min_threshold: float = 0.3
    seed: int = 7


#: The range each training setting may take, and why: ``folds`` splits the data for the
#: out-of-fold figures (0 or 1 leaves nothing to measure, 100,000 trains for hours);
#: ``epochs`` is one pass over the data each.
LIMITS: dict[str, tuple[float, float]] = {
    "alpha": (1e-6, 10.0),
    "beta": (0.0, 100.0),
    "l1": (0.0, 100.0),
    "l2": (0.0, 100.0),
    "epochs": (1, 100),
    "folds": (2, 20),
    "min_df": (1, 1000),
    "fp_budget": (0.0, 1.0),
    "min_threshold": (0.0, 1.0),
    "seed": (0, 2**32 - 1),
}


def setting_value(name: str, text: str) -> int | float:
    """The value of training setting ``name`` from its text; ValueError says the range.

    A setting that is not finite or outside `LIMITS` is refused before training
    starts, so a typo costs one line, not an hour of training or a crash in it.
    """
    current: int | float = getattr(Settings(), name)
    low, high = LIMITS[name]
    try:
        value = type(current)(text)
    except ValueError:
        kind = "a whole number" if isinstance(current, int) else "a number"
        raise ValueError(f"{name} must be {kind} from {low:g} to {high:g}, not {text!r}") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{name} must be from {low:g} to {high:g}, not {text}")
    return value


def _clock(value: object) -> str | None:
    """A ``time`` field: null or ``HH:MM`` on a 24-hour clock, else ValueError."""
    if value is None:
        return None
    if isinstance(value, str):
        hours, sep, minutes = value.partition(":")
        digits = sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2
        if digits and int(hours) < 24 and int(minutes) < 60:
            return value
    shown = repr(value)[:30]
    raise ValueError(f"'time' is {shown}, not HH:MM on a 24-hour clock (such as 21:30)")


def read_jsonl(path: Path) -> list[TrainItem]:
    """Items of one JSONL file in the evaluation-set format (ValueError names file:line).

    A row that is not a JSON object, a field of the wrong type, a time that is not
    ``HH:MM`` or a byte that is not UTF-8 is refused here with the file and line,
    before any training starts (it used to fail half-way through, or not at all).
    """
    from trainer.paths import regular_file_problem

    problem = regular_file_problem(path)
    if problem is not None:
        raise ValueError(f"{path}: {problem}")
    items: list[TrainItem] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            where = f"{path}:{number}"
            line = reading.decode(raw, first=number == 1)
            if isinstance(line, reading.BadBytes):
                raise ValueError(
                    f"{where}:{line.column}: not UTF-8 text (byte 0x{line.byte:02x})"
                    " — save the file as UTF-8"
                )
            if not line.strip():
                continue
            try:
                row = json.loads(line, parse_constant=_not_a_number)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}:{exc.colno}: malformed JSON: {exc.msg}") from None
            except (ValueError, RecursionError) as exc:
                raise ValueError(f"{where}:1: {exc}") from None
            try:
                items.append(_item(row, f"{path.name}:{number}"))
            except ValueError as exc:
                raise ValueError(
                    f"{where}:1: not a training item: {exc} — one JSON object a line:"
                    ' {"text": "...", "party": "debtor", "verified": true, "time": "21:30",'
                    ' "expect": "threat"}'
                ) from None
    return items


def _not_a_number(token: str) -> float:
    raise ValueError(f"{token} is not a number JSON allows")


def _item(row: object, origin: str) -> TrainItem:
    """One training row as an item; ValueError says which field is wrong."""
    if not isinstance(row, dict):
        kind = "a list" if isinstance(row, list) else type(row).__name__
        raise ValueError(f"the row is {kind}, not a JSON object")
    text, party = row.get("text"), row.get("party", "debtor")
    verified, expect = row.get("verified", True), row.get("expect")
    if not isinstance(text, str):
        raise ValueError("'text' must be text" if "text" in row else "'text' is missing")
    if not isinstance(party, str):
        raise ValueError("'party' must be text")
    if not isinstance(verified, bool):
        raise ValueError("'verified' must be true or false")
    if expect is not None and not isinstance(expect, str):
        raise ValueError("'expect' must be a category name or null")
    return TrainItem(
        text=text,
        party=party,
        verified=verified,
        time=_clock(row.get("time")),
        labels=frozenset([expect]) if expect else frozenset(),
        origin=origin,
    )


# ------------------------------------------------------------------ features


def candidates(canon: str, scheme: str) -> set[str]:
    """The feature strings an utterance offers (before the vocabulary cut).

    ``chars`` (Chinese): character 1–4-grams inside each run of word
    characters, plus whole Latin/digit tokens. ``words`` (English): whole words,
    word pairs and triples, and the first 4–6 letters of longer words (so
    "arrest" also covers "arrested").
    """
    out: set[str] = set()
    tokens = canon.split()
    if scheme == "chars":
        for token in tokens:
            if token.isascii():
                out.add(f" {token} ")
                continue
            size = len(token)
            for n in (1, 2, 3, 4):
                for i in range(size - n + 1):
                    out.add(token[i : i + n])
        return out
    for i, token in enumerate(tokens):
        out.add(f" {token} ")
        if i + 1 < len(tokens):
            out.add(f" {token} {tokens[i + 1]} ")
        if i + 2 < len(tokens):
            out.add(f" {token} {tokens[i + 1]} {tokens[i + 2]} ")
        for k in (4, 5, 6):
            if len(token) > k:
                out.add(f" {token[:k]}")
    return out


class Featurizer:
    """Maps an utterance to feature ids exactly as `Classifier` will at check time."""

    def __init__(self, vocabulary: Sequence[str], contexts: Sequence[str]) -> None:
        self.vocabulary = list(vocabulary)
        self.contexts = list(contexts)
        self._context_ids = {name: len(self.vocabulary) + i for i, name in enumerate(contexts)}
        self._automaton: Any = ahocorasick.Automaton()
        for i, feature in enumerate(self.vocabulary):
            self._automaton.add_word(feature, i)
        if self.vocabulary:
            self._automaton.make_automaton()

    @property
    def size(self) -> int:
        """Number of weights per category (text features, then context features)."""
        return len(self.vocabulary) + len(self.contexts)

    def __call__(self, item: TrainItem) -> list[int]:
        canon = canonical(normalize(item.text).text)
        ids = {i for _, i in self._automaton.iter(canon)} if self.vocabulary else set()
        for name in context_features(item.context()):
            if name in self._context_ids:
                ids.add(self._context_ids[name])
        return sorted(ids)


def build_featurizer(items: Iterable[TrainItem], scheme: str, min_df: int) -> Featurizer:
    """The vocabulary of features seen in at least ``min_df`` items."""
    df: Counter[str] = Counter()
    for item in items:
        df.update(candidates(canonical(normalize(item.text).text), scheme))
    vocabulary = sorted(f for f, n in df.items() if n >= min_df)
    contexts = [f"party={p}" for p in ("debtor", "third_party", "unknown")]
    contexts += ["verified=true", "verified=false"]
    return Featurizer(vocabulary, contexts)


# ------------------------------------------------------------------ FTRL


class Ftrl:
    """FTRL-proximal logistic regression over sparse binary features (one category)."""

    def __init__(self, size: int, s: Settings) -> None:
        self.s = s
        self.z = [0.0] * (size + 1)  # the last weight is the bias
        self.n = [0.0] * (size + 1)

    def weight(self, i: int) -> float:
        """The current weight of feature ``i`` (zero inside the L1 band)."""
        z = self.z[i]
        if -self.s.l1 <= z <= self.s.l1:
            return 0.0
        sign = 1.0 if z > 0 else -1.0
        return -(z - sign * self.s.l1) / (
            (self.s.beta + math.sqrt(self.n[i])) / self.s.alpha + self.s.l2
        )

    def predict(self, ids: Sequence[int]) -> float:
        """Probability of the category for an item's feature ids."""
        x = self.weight(len(self.z) - 1) + sum(self.weight(i) for i in ids)
        return sigmoid(x)

    def update(self, ids: Sequence[int], label: int) -> None:
        """One FTRL step on one item."""
        bias = len(self.z) - 1
        every = (*ids, bias)
        weights = [self.weight(i) for i in every]
        g = sigmoid(sum(weights)) - label
        gg = g * g
        alpha = self.s.alpha
        z, n = self.z, self.n
        for i, w in zip(every, weights, strict=True):
            old = n[i]
            new = old + gg
            z[i] += g - (math.sqrt(new) - math.sqrt(old)) / alpha * w
            n[i] = new

    def fit(self, rows: Sequence[tuple[list[int], int]], rng: random.Random) -> Ftrl:
        """Several shuffled passes over ``rows`` of (feature ids, 0/1 label)."""
        order = list(range(len(rows)))
        for _ in range(self.s.epochs):
            rng.shuffle(order)
            for k in order:
                ids, label = rows[k]
                self.update(ids, label)
        return self


# ------------------------------------------------------------------ training


def night_item(item: TrainItem, night: tuple[str, str]) -> bool:
    """True when the item's call time is in the night window (its label is about time)."""
    if not item.time:
        return False
    start, end = night
    if start <= end:
        return start <= item.time < end
    return item.time >= start or item.time < end


def train(
    items: Sequence[TrainItem],
    *,
    locale: str,
    scheme: str,
    categories: Sequence[str],
    applies: dict[str, Any],
    night: tuple[str, str],
    settings: Settings | None = None,
    trained_on: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fit one classifier per category and return the model file's data.

    The result's ``_out_of_fold`` (not part of the file) maps each category to
    the out-of-fold probability of every item that trained it.

    ``applies[category](ctx) -> bool`` says in which contexts the category's
    model rule can fire; only items said in such a context train it. Items
    whose label comes from the hour of the call are left out of
    ``harassment`` (the words of a night call are innocent; a context rule
    catches it).
    """
    s = settings or Settings()
    featurizer = build_featurizer(items, scheme, s.min_df)
    vectors = [featurizer(item) for item in items]
    rng = random.Random(s.seed)
    fold_of = [rng.randrange(s.folds) for _ in items]
    bias: dict[str, float] = {}
    thresholds: dict[str, float] = {}
    weights: dict[int, list[list[float]]] = {}
    context: dict[str, dict[str, float]] = {}
    metrics: dict[str, Any] = {}
    out_of_fold: dict[str, dict[int, float]] = {}
    for c_index, category in enumerate(categories):
        chosen = [
            k
            for k, item in enumerate(items)
            if applies[category](item.context())
            and not (category == "harassment" and night_item(item, night))
        ]
        rows = [(vectors[k], int(category in items[k].labels)) for k in chosen]
        oof: list[float] = [0.0] * len(chosen)
        for fold in range(s.folds):
            train_rows = [rows[j] for j, k in enumerate(chosen) if fold_of[k] != fold]
            model = Ftrl(featurizer.size, s).fit(train_rows, random.Random(s.seed + fold))
            for j, k in enumerate(chosen):
                if fold_of[k] == fold:
                    oof[j] = model.predict(rows[j][0])
        out_of_fold[category] = dict(zip(chosen, oof, strict=True))
        threshold, report = _calibrate(oof, [items[k] for k in chosen], category, s)
        thresholds[category] = threshold
        metrics[category] = report
        final = Ftrl(featurizer.size, s).fit(rows, random.Random(s.seed))
        bias[category] = round(final.weight(featurizer.size), 4)
        for i in range(featurizer.size):
            w = round(final.weight(i), 4)
            if w == 0.0:
                continue
            if i < len(featurizer.vocabulary):
                weights.setdefault(i, []).append([c_index, w])
            else:
                name = featurizer.contexts[i - len(featurizer.vocabulary)]
                context.setdefault(name, {})[category] = w
    return {
        "_out_of_fold": out_of_fold,
        "format": FORMAT,
        "locale": locale,
        "scheme": scheme,
        "classes": list(categories),
        "bias": bias,
        "thresholds": thresholds,
        "context": context,
        "weights": {featurizer.vocabulary[i]: weights[i] for i in sorted(weights)},
        "settings": dict(vars(s)),
        "trained_on": dict(trained_on or {}, items=len(items)),
        "metrics": metrics,
    }


def _calibrate(
    oof: Sequence[float], items: Sequence[TrainItem], category: str, s: Settings
) -> tuple[float, dict[str, Any]]:
    """The threshold that keeps out-of-fold false positives within the budget."""
    negatives = sorted(
        (p for p, item in zip(oof, items, strict=True) if not item.labels), reverse=True
    )
    allowed = int(s.fp_budget * len(negatives))
    threshold = s.min_threshold
    if len(negatives) > allowed:
        threshold = max(threshold, negatives[allowed] + 1e-6)
    threshold = round(min(threshold, 0.999), 6)
    positives = [p for p, item in zip(oof, items, strict=True) if category in item.labels]
    caught = sum(p >= threshold for p in positives)
    flagged_clean = sum(p >= threshold for p in negatives)
    return threshold, {
        "positives": len(positives),
        "oof_recall": round(caught / len(positives), 3) if positives else None,
        "compliant": len(negatives),
        "oof_false_positives": flagged_clean,
    }
