"""Classes, sign-in tokens, assignments and their status, and one trainee walled off
from another's sessions — on both backends (SQLite and a real PostgreSQL server)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from trainer.records import StoreError, TurnRecord
from trainer.records.classroom import Assignment, TraineeStore, token_digest
from trainer.records.stores import open_store
from trainer.services.classroom import standing

LINES = "您好,我是华信银行信用卡中心客户服务部的王丽,工号1024。\n请问是周建国先生本人吗?\n"


def test_tokens_sign_members_in_and_are_stored_as_digests(store_url: str, tmp_path: Path) -> None:
    with open_store(store_url, tmp_path) as store:
        assert store.create_class("  spring ") == "spring"
        with pytest.raises(StoreError, match="already exists"):
            store.create_class("spring")
        ana = store.add_member("spring", "ana")
        teacher = store.add_member("spring", "chen", "instructor")
        assert len({ana, teacher}) == 2 and len(ana) == 32 and int(ana, 16) >= 0
        member = store.member_for_token(ana)
        assert member is not None and (member.name, member.role) == ("ana", "trainee")
        assert store.member_for_token("not-a-token") is None
        again = store.add_member("spring", "ana")  # a new token: the old one stops working
        assert store.member_for_token(ana) is None and store.member_for_token(again)
        found = [(m.name, m.role) for m in store.members("spring")]
        assert found == [("chen", "instructor"), ("ana", "trainee")]
        assert store.classes() == [("spring", 2, 0)]
        for bad in ("", "x" * 65, "a\x1bb"):
            with pytest.raises(StoreError):
                store.add_member("spring", bad)
        with pytest.raises(StoreError, match="no class"):
            store.add_member("autumn", "bo")
        with pytest.raises(StoreError, match=r"outside 0\.\.100"):
            store.create_assignment("spring", "s", due=None, pass_mark=101)
    if store_url.startswith("sqlite"):
        raw = sqlite3.connect(store_url.removeprefix("sqlite://"))
        digests = [r[0] for r in raw.execute("SELECT token_digest FROM members")]
        assert token_digest(again) in digests and again not in str(digests)


def test_one_trainee_can_never_reach_anothers_sessions(store_url: str, tmp_path: Path) -> None:
    with open_store(store_url, tmp_path) as store:
        store.create_class("c")
        ana, bo = TraineeStore(store, "ana"), TraineeStore(store, "bo")
        sid = ana.create_session(scenario_id="s", trainee="bo")  # the name given is ignored
        ana.append_turns(sid, [TurnRecord(0, "agent", "秘密")], meters={}, facts=[], state={})
        ana.set_setting("language", "en")
        mine = bo.create_session(scenario_id="s")
        turn = [TurnRecord(1, "agent", "偷看")]
        attempts = [
            lambda: bo.load(sid),
            lambda: bo.load(sid[:6]),
            lambda: bo.resolve_id(sid),
            lambda: bo.append_turns(sid, turn, meters={}, facts=[], state={}),
            lambda: bo.finish(sid, ending_id="x", outcome="x"),
            lambda: bo.abandon(sid),
            lambda: bo.set_rulebook(sid, "r", "1"),
            lambda: bo.update_findings(sid, {0: [{"rule": "X"}]}),
            lambda: bo.import_records([store.load(sid)], replace_existing=True),
        ]
        for attempt in attempts:
            with pytest.raises(StoreError) as caught:
                attempt()
            assert sid not in str(caught.value) or "no session" in str(caught.value)
        assert [r.id for r in bo.list_sessions()] == [mine]
        assert bo.list_sessions(trainee="ana") == [] and bo.trainees() == ["bo"]
        assert bo.get_setting("language") is None and ana.settings() == {"language": "en"}
        record = store.load(sid)  # nothing of ana's changed
        assert record.trainee == "ana" and record.status == "in_progress"
        assert [t.text for t in record.turns] == ["秘密"] and record.rulebook_id == ""
        assert ana.load(sid).turns[0].text == "秘密"


@dataclass
class _Debrief:
    score: int
    pass_mark: int = 80
    hard_fail: bool = False
    findings: tuple[object, ...] = ()


@dataclass
class _Scorer:
    scores: dict[str, _Debrief] = field(default_factory=dict)

    def debrief(self, record: object, store: object = None) -> _Debrief | None:
        return self.scores.get(record.id)  # type: ignore[attr-defined]


def test_standing_follows_the_attempts(store_url: str, tmp_path: Path) -> None:
    with open_store(store_url, tmp_path) as store:
        store.create_class("c")
        work = store.create_assignment("c", "s1", due="2026-12-20", pass_mark=70)
        assert store.assignments("c") == [work] and isinstance(work, Assignment)
        scorer = _Scorer()
        ana = TraineeStore(store, "ana")
        day = date(2026, 12, 10)

        def state() -> str:
            return standing(work, "ana", ana, scorer, today=day).state  # type: ignore[arg-type]

        assert state() == "not started"
        ana.create_session(scenario_id="s2")  # another scenario does not count
        first = ana.create_session(scenario_id="s1")
        assert state() == "in progress"
        ana.finish(first, ending_id="e", outcome="o")
        scorer.scores[first] = _Debrief(65)
        assert state() == "failed"
        second = ana.create_session(scenario_id="s1")
        ana.finish(second, ending_id="e", outcome="o")
        scorer.scores[second] = _Debrief(90, hard_fail=True)  # a critical breach fails it
        assert state() == "failed"
        day = date(2026, 12, 21)
        assert state() == "overdue"
        third = ana.create_session(scenario_id="s1")
        ana.finish(third, ending_id="e", outcome="o")
        scorer.scores[third] = _Debrief(72)  # under the scorecard's 80, over the class's 70
        found = standing(work, "ana", ana, scorer, today=day)  # type: ignore[arg-type]
        assert (found.state, found.attempts, found.best_score) == ("passed", 3, 90)
        assert found.last_session == third


def test_the_classroom_from_the_command_line(run_cli, store_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    common = ("--store", store_url, "--home", str(tmp_path))
    made = run_cli("class", "create", "春季班", "--trainee", "王丽", "--trainee", "李娜", *common)
    assert made.returncode == 0, made.stderr
    tokens = {line.split("\t")[0]: line.split("\t")[2] for line in made.stdout.splitlines()}
    assert set(tokens) == {"王丽", "李娜"}
    assigned = run_cli(
        "assign", "zh-first-forgetful", "--class", "春季班", "--due", "2099-01-01",
        "--pass-mark", "70", *common,
    )  # fmt: skip
    assert assigned.returncode == 0 and "pass mark 70" in assigned.stdout
    played = run_cli(
        "play", "zh-first-forgetful", "--script", "-", "--token", tokens["王丽"],
        "--trainee", "李娜", *common, stdin=LINES,
    )  # fmt: skip
    assert played.returncode == 0, played.stderr
    sid = played.stderr.split("session ")[1].split()[0]
    status = run_cli("class", "status", "春季班", "--format", "json", *common)
    rows = {r["trainee"]: r for r in __import__("json").loads(status.stdout)}
    assert rows["王丽"]["state"] == "in progress" and rows["王丽"]["last_session"] == sid
    assert rows["李娜"]["state"] == "not started"
    mine = run_cli("assignments", "--token", tokens["李娜"], *common)
    assert mine.returncode == 0 and "not started" in mine.stdout
    # 李娜's token cannot resume 王丽's call
    stolen = run_cli(
        "play", "--resume", sid, "--script", "-", "--token", tokens["李娜"], *common, stdin="x\n"
    )
    assert stolen.returncode == 2 and "no session" in stolen.stderr
    bad = run_cli("assignments", "--token", "nope", *common)
    assert bad.returncode == 2 and "not valid" in bad.stderr
    missing = run_cli("assign", "zh-first-forgetful", "--class", "秋季班", *common)
    assert missing.returncode == 2 and "no class" in missing.stderr
    listed = run_cli("class", "list", *common)
    assert "春季班\t2 members\t1 assignments" in listed.stdout


def test_the_app_signed_in_with_a_token_is_that_trainee(tmp_path: Path) -> None:
    from trainer.services.backend import SETTING_NAME, Backend

    url = f"sqlite:///{tmp_path / 'class.db'}"
    with open_store(url, tmp_path) as store:
        store.create_class("c")
        token = store.add_member("c", "ana")
        TraineeStore(store, "bo").create_session(scenario_id="zh-first-forgetful")
        store.create_assignment("c", "zh-first-forgetful", due="2099-01-01", pass_mark=70)
    with pytest.raises(StoreError, match="not valid"):
        Backend.open(tmp_path, store_url=url, token="wrong")
    backend = Backend.open(tmp_path, store_url=url, token=token)
    try:
        assert backend.setting(SETTING_NAME) == "ana"
        backend.remember(SETTING_NAME, "bo")  # the name comes from the token
        assert backend.setting(SETTING_NAME) == "ana"
        assert backend.history("bo") == [] and backend.history("ana") == []
        [before] = backend.assignments()  # bo's attempt is not ana's
        assert (before.trainee, before.state, before.attempts) == ("ana", "not started", 0)
        scenario = backend.content.scenarios["zh-first-forgetful"]
        session = backend.new_session(scenario, mode="free", trainee="bo")
        session.start()
        assert [p.id for p in backend.history("ana")] == [session.id]
        assert backend.store.load(session.id or "").trainee == "ana"
        assert [row.state for row in backend.assignments()] == ["in progress"]
    finally:
        backend.store.close()


def test_stamps_are_strictly_increasing_so_quick_sessions_keep_their_order() -> None:
    """Sessions started in the same millisecond must still list newest first in the
    order they were started (the 'last attempt' of a standing depends on it)."""
    from trainer.records.types import now

    stamps = [now() for _ in range(200)]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
