"""The grader's learned second stage: a sparse linear classifier over n-grams.

Patterns catch the phrasings their authors thought of; a collector who words
a threat in a way nobody wrote down slips past them. This stage scores every
agent utterance with one small linear model per category (logistic regression,
trained by ``trainer.training.learning`` on labelled agent lines) and lets a
rulebook's *model rules* (``model: true``) report a finding when the score of
their category passes the threshold calibrated at training time.

Checking stays cheap: the model's features are literal strings (character
n-grams for Chinese, words, word pairs and word starts for English) looked up
with one Aho–Corasick automaton over the normalised text; each feature carries
only its non-zero weights, so a check is a scan plus a few dozen additions.
The context of the call (who is on the line, verified or not) adds a bias per
category, computed once per kind of context.

In bulk (`Classifier.logits_many`, used by ``trainer audit``) the scan yields
feature ids without any Python code per feature (``set(map(...))`` over the
automaton's matches) and numpy adds up the weight rows of a whole batch of
lines. The rows are added in the same order as the one-line path (the
context's bias first, then the features in the order of the line's id set),
one after the other, so every score is the same number to the last bit; a
score within `TIE` of a threshold is recomputed on the one-line path all the
same, so no decision can ever depend on how the sum was taken.

The model file is JSON written by the training script; it is data, loaded with
``json`` (never pickle), and checked on load so a broken file is a clear error.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

import ahocorasick

from trainer.grading.findings import CallContext
from trainer.vocab import CATEGORIES as CATEGORY_CODES

FORMAT = 1
#: Runs of characters that separate words; features never span them.
_SEPARATORS = re.compile(r"[^\w']+")
_WORD = re.compile(r"[\w']")
#: Lines with more features than this take the one-line path in `Classifier.logits_many`.
WIDE = 512
#: Batches with fewer lines than this take the one-line path in `Classifier.logits_many`
#: (numpy, imported for the first larger batch, costs more than it saves on a few lines).
SMALL = 16
#: Scores this close to a threshold are recomputed on the one-line path (`Classifier.logits`).
TIE = 1e-9
_ID = itemgetter(1)


class ModelError(ValueError):
    """A model file cannot be used; the message says what is wrong."""


def canonical(norm: str) -> str:
    """Normalised text with separators squeezed to one space and padded with spaces.

    Word features are written ``" word "`` so they match whole words only.
    """
    return " " + _SEPARATORS.sub(" ", norm).strip() + " "


def canonical_positions(norm: str) -> list[int]:
    """For each character of ``canonical(norm)``, its index in ``norm``.

    Built the same way as `canonical`, so the two always line up; padding and
    squeezed separators point at the nearest character of ``norm``.
    """
    positions = [0]
    pending = False
    for i, ch in enumerate(norm):
        if _WORD.match(ch):
            if pending and len(positions) > 1:
                positions.append(i)
            pending = False
            positions.append(i)
        else:
            pending = True
    positions.append(max(0, len(norm) - 1))
    return positions


def context_features(ctx: CallContext) -> tuple[str, ...]:
    """The pseudo-features a call context adds (they shift each category's bias)."""
    return (f"party={ctx.party}", f"verified={str(ctx.verified).lower()}")


class Classifier:
    """A loaded model: categories, weights, context biases and thresholds."""

    def __init__(self, data: dict[str, Any], source: str = "") -> None:
        _check(data, source)
        self.source = source
        self.locale: str = data["locale"]
        self.classes: tuple[str, ...] = tuple(data["classes"])
        self.thresholds: dict[str, float] = {c: float(t) for c, t in data["thresholds"].items()}
        self.bias: tuple[float, ...] = tuple(float(data["bias"][c]) for c in self.classes)
        index = {c: i for i, c in enumerate(self.classes)}
        self.context: dict[str, tuple[tuple[int, float], ...]] = {
            name: tuple((index[c], float(w)) for c, w in weights.items())
            for name, weights in data.get("context", {}).items()
        }
        self.metrics: dict[str, Any] = data.get("metrics", {})
        self.trained_on: dict[str, Any] = data.get("trained_on", {})
        self.features: tuple[str, ...] = tuple(data["weights"])
        self.weights: tuple[tuple[tuple[int, float], ...], ...] = tuple(
            tuple((int(c), float(w)) for c, w in entries) for entries in data["weights"].values()
        )
        width = len(self.classes)
        dense: list[tuple[float, ...]] = []
        for entries in self.weights:
            row = [0.0] * width
            for c, w in entries:
                row[c] = w
            dense.append(tuple(row))
        #: one row of weights per feature: summing rows column-wise runs in C
        self._rows: tuple[tuple[float, ...], ...] = tuple(dense)
        self._automaton: Any = ahocorasick.Automaton()
        for i, feature in enumerate(self.features):
            self._automaton.add_word(feature, i)
        self._automaton.make_automaton()
        self._bias_cache: dict[tuple[str, bool], tuple[float, ...]] = {}
        #: `logits_many`'s numpy matrix: the weight rows, a row of zeros (``_zero``, the
        #: padding) and one bias row per kind of context seen. Built on first use, so
        #: only a bulk audit imports numpy (at its first batch of `SMALL` lines or more).
        self._matrix: Any = None
        self._zero = len(dense)
        self._bias_rows: dict[tuple[str, bool], int] = {}

    def __repr__(self) -> str:
        return f"<Classifier {self.locale}: {len(self.features)} features>"

    def base(self, ctx: CallContext) -> tuple[float, ...]:
        """Each category's bias in this kind of context (cached)."""
        key = (ctx.party, ctx.verified)
        cached = self._bias_cache.get(key)
        if cached is None:
            logits = list(self.bias)
            for name in context_features(ctx):
                for c, w in self.context.get(name, ()):
                    logits[c] += w
            cached = tuple(logits)
            self._bias_cache[key] = cached
        return cached

    def feature_ids(self, canon: str) -> set[int]:
        """The ids of the model's features found in a canonical text."""
        return {i for _, i in self._automaton.iter(canon)}

    def logits(self, norm: str, ctx: CallContext) -> tuple[list[float], str]:
        """Raw scores per category for a normalised utterance, and its canonical text."""
        canon = canonical(norm)
        ids = self.feature_ids(canon)
        rows = self._rows
        columns = zip(self.base(ctx), *map(rows.__getitem__, ids), strict=True)
        return list(map(sum, columns)), canon

    def logits_many(
        self, norms: Sequence[str], contexts: Sequence[CallContext]
    ) -> tuple[list[list[float]], list[str]]:
        """`logits` for a batch of normalised utterances (and their canonical texts).

        The same numbers as `logits`, bit for bit. ``sum`` adds a line's rows one
        after the other (the context's bias, then each feature in the order of
        the line's id set); numpy's reductions add in another order (pairwise),
        so instead the ids of the batch are laid out as a matrix, one line per
        row, padded with a row of zeros, and added column by column: one vector
        addition per feature position, each in the same order as ``sum``. Python
        does one ``set(map(...))`` per line; the per-feature work is compiled.
        A line with more than `WIDE` features takes the one-line path (its
        padding would cost the batch more than it saves), and so does every line of
        a batch of fewer than `SMALL` lines, so a short audit never imports numpy.
        """
        if len(norms) < SMALL:
            one = [self.logits(norm, ctx) for norm, ctx in zip(norms, contexts, strict=True)]
            return [scores for scores, _ in one], [canon for _, canon in one]
        import numpy as np

        canons = [canonical(norm) for norm in norms]
        scan = self._automaton.iter
        sets = [set(map(_ID, scan(canon))) for canon in canons]
        count = len(sets)
        out: list[list[float]] = [[] for _ in range(count)]
        narrow = [i for i in range(count) if len(sets[i]) <= WIDE]
        for i in range(count):
            if len(sets[i]) > WIDE:
                out[i] = self.logits(norms[i], contexts[i])[0]
        if not narrow:
            return out, canons
        if self._matrix is None:
            self.prepare_batches()
        rows = self._bias_rows
        bias = [
            rows.get((contexts[i].party, contexts[i].verified)) or self._bias_row(contexts[i])
            for i in narrow
        ]
        matrix = self._matrix
        acc = matrix[np.array(bias, dtype=np.intp)]
        lengths = np.fromiter((len(sets[i]) for i in narrow), dtype=np.intp, count=len(narrow))
        width = int(lengths.max())
        if width:
            ids = np.fromiter(
                chain.from_iterable(sets[i] for i in narrow),
                dtype=np.intp,
                count=int(lengths.sum()),
            )
            laid = np.full((len(narrow), width), self._zero, dtype=np.intp)
            laid[np.arange(width) < lengths[:, None]] = ids
            for column in laid.T:
                acc += matrix[column]
        for i, scores in zip(narrow, acc.tolist(), strict=True):
            out[i] = scores
        return out, canons

    def prepare_batches(self) -> None:
        """Build `logits_many`'s matrix now (an audit does it before its workers fork,
        so they share it instead of each building its own)."""
        import numpy as np

        if self._matrix is None:
            classes = len(self.classes)
            padded = [*self._rows, (0.0,) * classes]
            self._matrix = np.array(padded, dtype=np.float64).reshape(-1, classes)

    def _bias_row(self, ctx: CallContext) -> int:
        """The matrix row holding this kind of context's bias (added on first use)."""
        import numpy as np

        key = (ctx.party, ctx.verified)
        row = self._bias_rows.get(key)
        if row is None:
            bias = np.array([self.base(ctx)], dtype=np.float64)
            self._matrix = np.vstack([self._matrix, bias])
            row = self._bias_rows[key] = len(self._matrix) - 1
        return row

    def probabilities(self, norm: str, ctx: CallContext) -> dict[str, float]:
        """The probability of each category for a normalised utterance."""
        logits, _ = self.logits(norm, ctx)
        return {c: sigmoid(x) for c, x in zip(self.classes, logits, strict=True)}

    def evidence(self, norm: str, category: str, canon: str | None = None) -> tuple[int, int]:
        """The span in ``norm`` of the feature that weighs most towards ``category``.

        ``canon`` is ``canonical(norm)`` when the caller already has it.
        """
        c = self.classes.index(category)
        if canon is None:
            canon = canonical(norm)
        best: tuple[float, int, int] | None = None
        for end, i in self._automaton.iter(canon):
            weight = self._rows[i][c]
            feature = self.features[i].strip()
            if weight > 0 and feature and (best is None or weight > best[0]):
                start = end - len(self.features[i]) + 1
                best = (weight, start, end + 1)
        if best is None or not norm:
            return (0, len(norm))
        positions = canonical_positions(norm)
        _, start, end = best
        # skip the padding spaces of word features
        while start < end and canon[start] == " ":
            start += 1
        while end > start and canon[end - 1] == " ":
            end -= 1
        a = positions[min(start, len(positions) - 1)]
        b = positions[min(end - 1, len(positions) - 1)] + 1
        return (a, max(b, a + 1))


def sigmoid(x: float) -> float:
    """The logistic function, without overflow for large negative ``x``."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def logit(p: float) -> float:
    """The inverse of the sigmoid: thresholds are compared as logits (no exp per check)."""
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def _check(data: Any, source: str) -> None:
    where = source or "model"
    if not isinstance(data, dict):
        raise ModelError(f"{where}: a model file holds one JSON object")
    if data.get("format") != FORMAT:
        raise ModelError(
            f"{where}: model format {data.get('format')!r} is not {FORMAT}; retrain it"
        )
    for key in ("locale", "classes", "bias", "thresholds", "weights"):
        if key not in data:
            raise ModelError(f"{where}: missing '{key}'; retrain the model")
    classes = data["classes"]
    if not isinstance(classes, list) or not set(classes) <= set(CATEGORY_CODES):
        raise ModelError(f"{where}: 'classes' must list rule categories")
    for key in ("bias", "thresholds"):
        if not isinstance(data[key], dict) or set(data[key]) != set(classes):
            raise ModelError(f"{where}: '{key}' must give a number for every class")
    if not isinstance(data["weights"], dict):
        raise ModelError(f"{where}: 'weights' must map features to weights")
    for feature, entries in data["weights"].items():
        if (
            not feature
            or not isinstance(entries, list)
            or not all(
                isinstance(e, list) and len(e) == 2 and 0 <= e[0] < len(classes) for e in entries
            )
        ):
            raise ModelError(f"{where}: bad weights for feature {feature!r}")


def load_classifier(path: Path, display: str = "") -> Classifier:
    """Read a model file (raises `ModelError` with the file name when it is unusable)."""
    shown = display or str(path)
    from trainer.paths import regular_file_problem

    problem = regular_file_problem(path)
    if problem is not None:
        raise ModelError(f"{shown}: {problem}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{shown}: cannot read the model file ({exc.strerror})") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{shown}: not valid JSON ({exc})") from None
    return Classifier(data, shown)


def file_digest(paths: Iterable[Path]) -> str:
    """SHA-256 over the bytes of files, in order (names the data a model came from)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
