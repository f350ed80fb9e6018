"""Fixtures for scorecard and record tests: a home folder with several trainees' calls."""

from __future__ import annotations

from pathlib import Path

import pytest
from scorecard_helpers import find, play

from trainer.records.sqlite import DB_NAME, Store

#: trainee → calls (scenario id, part of the golden transcript's name), in order played.
PLAN: dict[str, list[tuple[str, str]]] = {
    "alice": [
        ("zh-first-forgetful", "确认本人之前就说出逾期和金额"),
        ("zh-first-forgetful", "规范的首次联系"),
        ("zh-third-spouse", "只留姓氏和号码"),
    ],
    "bob": [
        ("zh-first-loud", "威胁"),
        ("zh-first-loud", "每一步都选最佳话术"),
        ("zh-repeat-partial", "劝客户借网贷"),
    ],
    "carol": [
        ("en-first-minimiranda", "amount before verification is flagged"),
        ("en-third-coworker", "Name and call-back"),
        ("en-special-hardship", "threat"),
    ],
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home folder whose session database holds the calls of `PLAN`."""
    folder = tmp_path_factory.mktemp("home")
    with Store(folder / DB_NAME) as store:
        for trainee, calls in PLAN.items():
            for scenario_id, name in calls:
                play(store, scenario_id, find(scenario_id, name), trainee=trainee)
    return folder
