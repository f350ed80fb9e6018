"""Recognise which move an agent's free-text line makes.

A trainee never types the script word for word, so matching combines three
signals over *normalised* text (see `trainer.engine.textnorm`):

* similarity to the intent's example phrasings, as TF-IDF weighted cosine over
  character n-grams — Chinese has no spaces, so CJK runs give character
  unigrams, bigrams and trigrams; Latin words give the (lightly stemmed) word,
  word bigrams and character trigrams of the padded word, which tolerates
  typos and inflection;
* the intent's ``keywords`` (substring of the normalised text) and
  ``patterns`` (regular expressions) as bonuses.

An intent's similarity is a blend of its best single example and of the
centroid of all its examples, so one close example counts but a paraphrase
that shares pieces with several examples counts too. The vectors are built
once per intent library and cached (`recogniser_for`); a query walks an
inverted index, so a turn costs well under a millisecond.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from trainer.engine.textnorm import fallback_normalize, normalize
from trainer.scenarios.model import Intent

#: Best score at or above this is a recognised move.
THRESHOLD = 0.30
#: A weaker best score still wins when it leads the runner-up by `MARGIN`.
LOW_THRESHOLD = 0.18
MARGIN = 0.10
#: Weight of the best single example against the centroid of all examples.
BEST_WEIGHT = 0.6
KEYWORD_BONUS = 0.20
#: Features found in more than this share of all examples (您, 的, "the") are dropped:
#: they say nothing about the move and would make every query walk every example.
MAX_DF = 0.2
#: How many of the most similar intents are scored in full to find the closest one.
TOP = 5
PATTERN_BONUS = 0.35

_RUNS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[a-z0-9]+(?:'[a-z]+)?")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

Vector = dict[str, float]


@dataclass(frozen=True, slots=True)
class Recognition:
    """The outcome of matching one line.

    ``intent`` is the recognised expected move (None when nothing was clear);
    ``closest``/``closest_score`` name the best intent of the whole library, so
    a debrief can say what the line sounded like even when it was unexpected.
    """

    intent: str | None
    score: float
    closest: str | None = None
    closest_score: float = 0.0
    scores: Mapping[str, float] = field(default_factory=dict)


def prepare(text: str) -> str:
    """Normalised text for matching: the shared normaliser, then case and width folding."""
    return fallback_normalize(normalize(text))


def _stem(word: str) -> str:
    """A deliberately tiny English stemmer: enough for pay/paying/paid-style variants."""
    if len(word) > 4:
        for suffix, repl in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                return word[: len(word) - len(suffix)] + repl
    return word


def features(text: str) -> Counter[str]:
    """Character n-gram (CJK) and word/char-trigram (Latin) features of normalised text."""
    counts: Counter[str] = Counter()
    words: list[str] = []
    for run in _RUNS.findall(text):
        if _CJK.match(run):
            words.clear()
            for n in (1, 2, 3):
                for i in range(len(run) - n + 1):
                    counts[f"{n}:{run[i : i + n]}"] += 1
        else:
            stem = _stem(run.replace("'", ""))
            counts[f"w:{stem}"] += 1
            if words:
                counts[f"b:{words[-1]}_{stem}"] += 1
            words.append(stem)
            padded = f"#{run}#"
            for i in range(len(padded) - 2):
                counts[f"g:{padded[i : i + 3]}"] += 1
    return counts


def _unit(vector: Vector) -> Vector:
    norm = math.sqrt(sum(w * w for w in vector.values()))
    return {k: w / norm for k, w in vector.items()} if norm else {}


class Recogniser:
    """Matches lines against one intent library (built once, reused by many sessions)."""

    def __init__(self, intents: Mapping[str, Intent]) -> None:
        self.intents = dict(intents)
        docs: list[tuple[str, Counter[str]]] = []
        for intent_id, intent in self.intents.items():
            for example in intent.examples:
                docs.append((intent_id, features(prepare(example))))
        df: Counter[str] = Counter()
        for _, feats in docs:
            df.update(feats.keys())
        total = len(docs)
        cutoff = max(3, MAX_DF * total)
        self.idf = {f: math.log((1 + total) / (1 + n)) + 1.0 for f, n in df.items() if n <= cutoff}
        # documents: one per example, plus one centroid per intent
        self._owner: list[str] = []
        self._is_centroid: list[bool] = []
        index: dict[str, list[tuple[int, float]]] = {}
        centroids: dict[str, Vector] = {}

        def add(owner: str, vector: Vector, centroid: bool) -> None:
            doc = len(self._owner)
            self._owner.append(owner)
            self._is_centroid.append(centroid)
            for feat, weight in vector.items():
                index.setdefault(feat, []).append((doc, weight))

        for intent_id, feats in docs:
            vec = _unit(self._weigh(feats))
            add(intent_id, vec, False)
            centre = centroids.setdefault(intent_id, {})
            for feat, weight in vec.items():
                centre[feat] = centre.get(feat, 0.0) + weight
        for intent_id, centre in centroids.items():
            add(intent_id, _unit(centre), True)
        self._index = {f: tuple(postings) for f, postings in index.items()}
        self._keywords = {
            i: tuple(k for k in (prepare(w) for w in it.keywords) if k)
            for i, it in self.intents.items()
        }
        self._patterns = {
            i: tuple(re.compile(p, re.IGNORECASE) for p in it.patterns)
            for i, it in self.intents.items()
        }

    def _weigh(self, feats: Counter[str]) -> Vector:
        """TF-IDF weights (sub-linear term frequency); unknown features are dropped."""
        return {f: (1.0 + math.log(n)) * self.idf[f] for f, n in feats.items() if f in self.idf}

    def similarities(self, text: str) -> tuple[str, dict[str, float]]:
        """Normalised text and the example similarity (0..1) of every intent it touches."""
        norm = prepare(text)
        query = _unit(self._weigh(features(norm)))
        acc: dict[int, float] = {}
        index, get = self._index, acc.get
        for feat, weight in query.items():
            for doc, w in index.get(feat, ()):
                acc[doc] = get(doc, 0.0) + weight * w
        best: dict[str, float] = {}
        centre: dict[str, float] = {}
        owners, centroid = self._owner, self._is_centroid
        for doc, value in acc.items():
            owner = owners[doc]
            if centroid[doc]:
                centre[owner] = value
            elif value > best.get(owner, 0.0):
                best[owner] = value
        sims = {
            i: BEST_WEIGHT * best.get(i, 0.0) + (1 - BEST_WEIGHT) * centre.get(i, 0.0)
            for i in best.keys() | centre.keys()
        }
        return norm, sims

    def _bonus(self, intent_id: str, norm: str, text: str) -> float:
        bonus = 0.0
        if any(k in norm for k in self._keywords[intent_id]):
            bonus += KEYWORD_BONUS
        if any(p.search(norm) or p.search(text) for p in self._patterns[intent_id]):
            bonus += PATTERN_BONUS
        return bonus

    def scored(self, text: str) -> Scored:
        """Everything needed to score ``text`` against any intent, computed once."""
        norm, sims = self.similarities(text)
        return Scored(self, text, norm, sims)

    def score_all(self, text: str, only: Iterable[str] | None = None) -> dict[str, float]:
        """Score of every intent (or of ``only`` those) for ``text``, in 0..1."""
        norm, sims = self.similarities(text)
        wanted = list(only) if only is not None else list(self.intents)
        return {
            i: round(min(sims.get(i, 0.0) + self._bonus(i, norm, text), 1.0), 4)
            for i in wanted
            if i in self.intents
        }

    def recognise(
        self, text: str, expected: Sequence[str], threshold: float = THRESHOLD
    ) -> Recognition:
        """The best expected intent for ``text`` if its score reaches ``threshold``
        (or `LOW_THRESHOLD` with a lead of `MARGIN` over the runner-up).

        Ties go to the intent listed first in ``expected`` (the node's move order),
        so the result is deterministic. The closest intent of the whole library is
        searched among the expected ones and the `TOP` most similar others (the
        keyword and pattern bonuses are only computed for those).
        """
        scored = self.scored(text)
        top = sorted(scored.sims, key=lambda i: (-scored.sims[i], i))[:TOP]
        candidates = [i for i in dict.fromkeys([*expected, *top]) if i in self.intents]
        scores = {i: scored.score(i) for i in candidates}
        closest, closest_score = None, 0.0
        for intent_id, score in scores.items():
            if score > closest_score:
                closest, closest_score = intent_id, score
        best, best_score, runner_up = scored.best(expected)
        if not clear(best_score, runner_up, threshold):
            best = None
        return Recognition(
            best, best_score, closest, closest_score, {i: scores.get(i, 0.0) for i in expected}
        )


class Scored:
    """One piece of text with its example similarities: scores of intents on demand."""

    __slots__ = ("_cache", "norm", "recogniser", "sims", "text")

    def __init__(self, recogniser: Recogniser, text: str, norm: str, sims: dict[str, float]):
        self.recogniser, self.text, self.norm, self.sims = recogniser, text, norm, sims
        self._cache: dict[str, float] = {}

    def score(self, intent_id: str) -> float:
        """Similarity plus keyword and pattern bonuses, in 0..1 (0 for an unknown intent)."""
        found = self._cache.get(intent_id)
        if found is None:
            if intent_id not in self.recogniser.intents:
                return 0.0
            bonus = self.recogniser._bonus(intent_id, self.norm, self.text)
            found = round(min(self.sims.get(intent_id, 0.0) + bonus, 1.0), 4)
            self._cache[intent_id] = found
        return found

    def best(self, among: Iterable[str]) -> tuple[str | None, float, float]:
        """The best of ``among``, its score and the runner-up's (ties: first listed)."""
        best, best_score, runner_up = None, 0.0, 0.0
        for intent_id in among:
            value = self.score(intent_id)
            if value > best_score:
                best, best_score, runner_up = intent_id, value, best_score
            elif value > runner_up:
                runner_up = value
        return best, best_score, runner_up

    def closest(self, among: Iterable[str] | None = None) -> tuple[str | None, float]:
        """The closest intent of the library (or of ``among``), looking at the `TOP` most
        similar by examples plus ``among``."""
        pool = (
            sorted(self.sims, key=lambda i: (-self.sims[i], i))[:TOP]
            if among is None
            else list(among)
        )
        best, value, _ = self.best(pool)
        return best, value


def clear(score: float, runner_up: float, threshold: float = THRESHOLD) -> bool:
    """Whether a best score is a recognition: over the threshold, or a weaker clear lead."""
    return score >= threshold or (score >= LOW_THRESHOLD and score - runner_up >= MARGIN)


_CACHE: dict[tuple[tuple[str, Intent], ...], Recogniser] = {}
_CACHE_SIZE = 32


def recogniser_for(intents: Mapping[str, Intent]) -> Recogniser:
    """A shared recogniser for this intent library (built once per distinct library)."""
    key = tuple(sorted(intents.items(), key=lambda item: item[0]))
    found = _CACHE.get(key)
    if found is None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        found = _CACHE[key] = Recogniser(intents)
    return found
