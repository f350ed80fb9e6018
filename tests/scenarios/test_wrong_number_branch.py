"""zh-third-wrong-number: at ``refuses`` a call-back request can go either way.

The contact grudgingly agrees to pass a message on only when the trainee first
eased his worry ("与您无关") — trust 65 — and has not made him angry; asking
again straight away makes him demand to be removed from the list. Both moves
must be reachable (explore once never took the second in 1,500 runs).
"""

from __future__ import annotations

import pytest
from shipped import shipped_content

from trainer.engine import Session

OPENING = [
    "您好,我是华信银行的郑岚,请问是陈志远先生吗?",  # greeting and the question: two moves
    "不好意思打扰您,跟您核对一下号码,是138 0571 6621吗?",
    "刘强先生登记联系方式的时候留了您的号码,我们联系不上他本人,所以打给您。",
]
EASE = "给您添麻烦了,您不知道这事也很正常。具体是他本人的事,跟您没有关系。"
ASK = "不需要您去找他,万一碰到他,麻烦带句话,请他给华信银行的郑小姐回个电话就行。"


@pytest.fixture(scope="module")
def content():  # type: ignore[no-untyped-def]
    loaded, _ = shipped_content()
    if "zh-third-wrong-number" not in loaded.scenarios:
        pytest.skip("scenario not shipped")
    return loaded


def _play(content, lines: list[str]) -> Session:  # type: ignore[no-untyped-def]
    scenario = content.scenarios["zh-third-wrong-number"]
    session = Session.new(scenario, content, seed=1, mode="free", grader=None)
    session.start()
    for line in lines:
        session.say(line)
    return session


def test_reassured_contact_agrees_to_pass_the_message(content) -> None:  # type: ignore[no-untyped-def]
    session = _play(content, [*OPENING, EASE])
    assert session.node == "refuses"
    assert session.meters["trust"] >= 65
    session.say(ASK)
    assert session.last_move is not None
    assert session.node == "grudging"


def test_asking_again_without_reassurance_gets_a_removal_request(content) -> None:  # type: ignore[no-untyped-def]
    session = _play(content, [*OPENING, "那麻烦您转告一下刘强,请他回个电话。"])
    assert session.node == "refuses"
    assert session.meters["trust"] < 65
    session.say(ASK)
    assert session.node == "remove_request"


def test_an_angry_contact_will_not_help_either(content) -> None:  # type: ignore[no-untyped-def]
    off_topic = "今天天气不错啊。"  # not recognised: the node's fallback annoys him
    session = _play(
        content,
        [
            *OPENING,
            "具体的事情涉及他个人信息,我不方便透露。",
            off_topic,  # a first miss costs little;
            off_topic,  # a second in a row costs the node's full fallback
            "理解您的担心,换了谁都会这么想。",
            off_topic,
            off_topic,
        ],
    )
    assert session.node == "refuses"
    assert session.meters["trust"] >= 65 and session.meters["anger"] >= 45
    session.say(ASK)
    assert session.node == "remove_request"
