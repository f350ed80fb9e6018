"""Grader precision inside a call: compliant lines are not flagged, good calls do not end
on a breach that did not happen.

Replays every shipped golden transcript that is meant to pass, and the blind
development calls (good-faith calls written by people who had not read the rules),
with the shipped rulebooks, as the app does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from shipped import shipped_content

from trainer.engine.session import Session
from trainer.grading import Finding, load_rulebook
from trainer.scenarios.loader import ContentSet
from trainer.scoring.golden import Golden

ROOT = Path(__file__).resolve().parents[2]
DEV_CALLS = sorted((ROOT / "benchmarks" / "calls" / "dev").rglob("*.yaml"))
BREACH_ENDINGS = {"disclosure", "complaint", "scam_hangup"}
#: Lines the blind authors themselves reported as slips when they wrote them.
KNOWN_SLIPS = (
    "谢谢您,不过电话里我不能说账户细节,也不能让您现在还钱",
    "阿姨,您先别着急,我可没说是欠钱啊",
    # Debt details before the customer had answered the verification question: the
    # grader is right to flag them (the authors took a deflection for an answer).
    "好的核对上了。您尾号3721的卡,3月10号那期6,380元没还上",
    "是的,您还款的事我这边看到了,稍后跟您细说",
    # the same slip by another author (heldM), who noted that the persona took it as
    # telling her debt in front of colleagues
    "是的吴女士,您那笔还款我这边看得到的",
    # asking which day the money can be "转进来" without naming the official channel: the
    # learned stage doubts it (major), and the author pressed ("先把态度拿出来")
    "一千也行,先把态度拿出来",
)


@pytest.fixture(scope="module")
def content() -> ContentSet:
    return shipped_content()[0]


def _serious(findings: tuple[Finding, ...]) -> list[Finding]:
    return [f for f in findings if f.confident and f.severity in {"critical", "major"}]


def test_good_golden_calls_have_no_serious_finding_on_lines_meant_clean(
    content: ContentSet,
) -> None:
    books = {locale: load_rulebook(locale) for locale in ("zh-CN", "en-US")}
    problems = []
    for loaded in content.of_kind("golden"):
        golden = loaded.obj
        assert isinstance(golden, Golden)
        scenario = content.scenarios[golden.scenario]
        for transcript in golden.transcripts:
            if transcript.passed is False or transcript.mode != "free":
                continue
            call = Session.new(
                scenario, content, seed=transcript.seed, grader=books[scenario.locale]
            )
            call.start()
            for step in transcript.steps:
                if call.finished or step.say is None:
                    break
                call.say(step.say)
                agent = [t for t in call.turns if t.speaker == "agent"][-1]
                meant_clean = step.expect is None or step.expect.findings in (None, ())
                if meant_clean and _serious(agent.findings):
                    problems.append((golden.scenario, transcript.name, step.say))
    assert problems == []


def test_blind_good_faith_calls_end_on_no_breach_and_flag_no_compliant_line(
    content: ContentSet,
) -> None:
    books = {locale: load_rulebook(locale) for locale in ("zh-CN", "en-US")}
    flagged, breached = [], []
    for path in DEV_CALLS:
        for call in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if not call or not call.get("good_faith", True):
                continue
            scenario = content.scenarios[call["scenario"]]
            session = Session.new(
                scenario, content, seed=int(call["seed"]), grader=books[scenario.locale]
            )
            session.start()
            slipped = False
            for line in call["lines"]:
                if session.finished:
                    break
                session.say(line["say"])
                agent = [t for t in session.turns if t.speaker == "agent"][-1]
                slip = str(line["say"]).startswith(KNOWN_SLIPS)
                slipped = slipped or slip
                if _serious(agent.findings) and not slip:
                    flagged.append((call["scenario"], line["say"]))
            ending = session.ending
            if ending is not None and ending[1].outcome in BREACH_ENDINGS and not slipped:
                facts = sorted(f for f in session.facts if f.startswith("breach_"))
                if facts:
                    breached.append((call["scenario"], ending[0], facts))
    assert flagged == []
    assert breached == []
