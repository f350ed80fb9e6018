"""The persona repeats the name, staff number and call-back number the trainee gave."""

from __future__ import annotations

from trainer.engine.introductions import introduced


def test_english_self_introductions_give_the_name_and_staff_number() -> None:
    assert introduced("Hi Linda, this is Sam Ortiz with Crestline, employee ID 3318.", "en-US") == {
        "agent_name": "Sam Ortiz",
        "staff_id": "3318",
    }
    assert introduced("My name is Dana, from the hardship team.", "en-US") == {"agent_name": "Dana"}


def test_what_only_looks_like_an_introduction_gives_nothing() -> None:
    assert introduced("Is this Kevin Marsh?", "en-US") == {}
    assert introduced("This is about your account ending 4471.", "en-US") == {}
    assert introduced("I'm calling about the card.", "en-US") == {}
    # a phone number with no sign that it is the agent's own
    assert introduced("Is your number still 555-201-3344?", "en-US") == {}


def test_a_call_back_number_is_taken_when_it_is_the_agents() -> None:
    given = introduced("He can call me back at 800-555-0142, extension 3318.", "en-US")
    assert given["callback_number"] == "800-555-0142, extension 3318"


def test_chinese_staff_numbers_and_call_back_numbers() -> None:
    assert introduced("您好,我是华信银行信用卡中心的林,工号3156。", "zh-CN") == {"staff_id": "3156"}
    assert introduced("请他回电拨打400-820-1234找我,工号A5123。", "zh-CN") == {
        "staff_id": "A5123",
        "callback_number": "400-820-1234",
    }
    # Chinese names are not guessed: the briefing's stays
    assert "agent_name" not in introduced("我是小李", "zh-CN")
