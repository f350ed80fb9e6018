"""Render ``trainer report --format html`` in headless Chromium and save a screenshot.

Builds a throw-away home folder with calls of several trainees (the shipped
golden transcripts played through the engine), writes the HTML report, and
asks Chromium — with background networking off — for a PNG, so a person (or
CI) can look at the charts. The report must render without any network.

    python scripts/report_screenshot.py [OUT_DIR]

Prints the paths of the HTML and PNG files. Exit 1 when Chromium is missing
or writes no image.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: trainee → golden transcripts to play: (scenario id, part of the transcript name).
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
        ("zh-repeat-partial", "先确认已还款"),
    ],
    "carol": [
        ("en-first-minimiranda", "amount before verification is flagged"),
        ("en-first-minimiranda", "Full balance"),
        ("en-third-coworker", "Name and call-back"),
        ("en-special-hardship", "threat"),
    ],
}


def build_store(home: Path) -> int:
    """Play the `PLAN` calls into the session database of ``home``; returns how many."""
    from trainer.engine.session import Session
    from trainer.grading import load_rulebook
    from trainer.records.sqlite import DB_NAME, Store
    from trainer.scoring.golden import Golden, _choice_index
    from trainer.services.content import load_content

    content, _ = load_content()
    goldens = [x.obj for x in content.of_kind("golden") if isinstance(x.obj, Golden)]
    count = 0
    with Store(home / DB_NAME) as store:
        for trainee, calls in PLAN.items():
            for scenario_id, part in calls:
                transcript = next(
                    t
                    for g in goldens
                    if g.scenario == scenario_id
                    for t in g.transcripts
                    if part in t.name
                )
                scenario = content.scenarios[scenario_id]
                session = Session.new(
                    scenario,
                    content,
                    seed=transcript.seed,
                    mode=transcript.mode,
                    grader=load_rulebook(scenario.locale),
                    store=store,
                    trainee=trainee,
                    call_time=transcript.call_time,
                )
                session.start()
                for step in transcript.steps:
                    if session.finished:
                        break
                    if step.say is not None:
                        session.say(step.say)
                    else:
                        session.choose(_choice_index(session, step.choose))
                count += 1
    return count


def main(argv: list[str]) -> int:
    """Build the demo store, write the report and screenshot it."""
    from trainer.cli import main as trainer

    out = Path(argv[0]) if argv else Path(tempfile.mkdtemp(prefix="trainer-report-"))
    out.mkdir(parents=True, exist_ok=True)
    home = out / "home"
    if home.exists():
        shutil.rmtree(home)
    home.mkdir()
    calls = build_store(home)
    page, shot = out / "report.html", out / "report.png"
    code = trainer(["--home", str(home), "report", "--format", "html", "-o", str(page)])
    if code != 0:
        return code
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print(f"{page}\nchromium not found (apt-get install -y chromium)", file=sys.stderr)
        return 1
    shot.unlink(missing_ok=True)
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--window-size=1100,1800",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    if not shot.is_file() or shot.stat().st_size == 0:
        print("chromium wrote no screenshot", file=sys.stderr)
        return 1
    print(f"{calls} calls\n{page}\n{shot}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
