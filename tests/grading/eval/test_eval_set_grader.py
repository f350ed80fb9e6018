"""The grader measured on the held-out evaluation set.

The set was written without looking at the rulebooks, so these scores estimate
how the grader does on unseen lines. The floors guard against
regressions; raise them as the grader improves, and never tune rules by reading this set.
Print the full table with ``python tests/grading/eval/evalset.py -v``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import evalset

grading = pytest.importorskip("trainer.grading")

#: Floors per locale, set just under the grader's first measured scores (zh-CN: recall
#: 0.56, clean 0.92; en-US: recall 0.34, clean 0.97) so a regression fails the suite.
#: The target is 0.80 recall at 0.90 clean; raise the floors as the grader improves.
MIN_RECALL = {"zh-CN": 0.50, "en-US": 0.30}
MIN_CLEAN = {"zh-CN": 0.88, "en-US": 0.92}
#: Finding severities that only ask for human review; they are not flags.
REVIEW_ONLY = frozenset({"review"})


@pytest.mark.parametrize("locale", evalset.LOCALES)
def test_grader_on_held_out_set(locale: str) -> None:
    if not hasattr(grading, "load_rulebook"):
        pytest.skip("trainer.grading.load_rulebook is not built yet")
    rulebook = grading.load_rulebook(locale)
    result = evalset.score(locale, rulebook, grading.CallContext, REVIEW_ONLY)
    table = evalset.report(result, verbose=True)
    assert result.recall >= MIN_RECALL[locale], table
    assert result.clean_rate >= MIN_CLEAN[locale], table
