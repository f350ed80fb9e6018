# ruff: noqa: E501
"""Recognition of paraphrases that are NOT among the intents' examples.

Uses the shipped intent libraries when present (the ones trainees meet), else the
fixture libraries. Each paraphrase is matched twice: among the intents a node
would expect (the engine's real situation) and against the whole library (harder;
reported as "closest"). Accuracy is printed; the floor is asserted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.engine.recognise import Recogniser, prepare
from trainer.paths import content_root
from trainer.scenarios.loader import load_content
from trainer.scenarios.model import Intent

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "engine"

# (text, intent, other intents the node expects)
ZH = [
    ("喂您好,我这里是银行卡中心账户管理部,免贵姓赵", "greet_identify", ["confirm_identity"]),
    ("您好,我是信用卡中心的工作人员小周,工号是3321", "greet_identify", ["state_purpose"]),
    (
        "我想确认一下,电话那头是李明本人吧?",
        "confirm_identity",
        ["verify_identity", "state_purpose"],
    ),
    ("请问现在接电话的是李先生您自己吗?", "confirm_identity", ["greet_identify", "state_purpose"]),
    (
        "为了确认身份,麻烦说一下您身份证号码的最后四位",
        "verify_identity",
        ["confirm_identity", "state_purpose"],
    ),
    ("先跟您说一声,咱们这通电话会全程录音", "state_recording", ["state_purpose", "ask_reason"]),
    (
        "您这张尾号6688的卡上个月账单没还,现在欠款三千二",
        "state_purpose",
        ["state_recording", "ask_reason"],
    ),
    (
        "想问一下这个月没按时还款是出了什么状况吗?",
        "ask_reason",
        ["show_empathy", "explain_consequences"],
    ),
    (
        "我明白的,最近压力确实挺大的,您别太着急",
        "show_empathy",
        ["ask_reason", "explain_consequences"],
    ),
    (
        "逾期时间长了会产生利息,也会上报到征信",
        "explain_consequences",
        ["show_empathy", "ask_reason"],
    ),
    (
        "要是一次还不上,可以先还个最低还款",
        "offer_minimum_payment",
        ["offer_instalment", "request_full_payment"],
    ),
    (
        "资金上有困难的话,我们可以帮您办个分期,按月慢慢还",
        "offer_instalment",
        ["offer_minimum_payment", "request_full_payment"],
    ),
    (
        "建议您尽快把欠的钱一次性全部还上",
        "request_full_payment",
        ["offer_instalment", "give_channel"],
    ),
    (
        "还款的话用手机银行或者去柜台办理都行,这些是官方的渠道",
        "give_channel",
        ["ask_promise", "offer_instalment"],
    ),
    ("那您最晚哪天能把这笔钱还上,打算还多少?", "ask_promise", ["give_channel", "close_politely"]),
    (
        "我跟您再核对一遍:周五前用手机银行还清全部欠款,是这样吧?",
        "read_back_promise",
        ["close_politely", "ask_promise"],
    ),
    ("好的,今天就先这样,谢谢您的配合,再见", "close_politely", ["read_back_promise", "ask_promise"]),
    (
        "实在不好意思打扰到您了,您先消消气,我慢慢解释",
        "calm_anger",
        ["explain_call_reason", "close_politely"],
    ),
    (
        "能不能麻烦您帮忙转告一声,请他有空回个电话",
        "request_callback",
        ["decline_details", "close_politely"],
    ),
    (
        "如果这张卡不是您本人申请的,我们可以帮您提交异议",
        "handle_dispute",
        ["state_purpose", "close_politely"],
    ),
]

EN = [
    (
        "Good afternoon, I'm Pat calling from the card services team at the bank",
        "greet_identify",
        ["confirm_identity"],
    ),
    (
        "Hey there, you've got Chris from the recovery department on the line",
        "greet_identify",
        ["state_purpose"],
    ),
    (
        "Is this Daniel Brooks I'm talking to?",
        "confirm_identity",
        ["verify_identity", "state_purpose"],
    ),
    (
        "Could you please confirm you're the account holder?",
        "confirm_identity",
        ["greet_identify", "state_purpose"],
    ),
    (
        "Before we continue, can you tell me your birth date?",
        "verify_identity",
        ["confirm_identity", "state_purpose"],
    ),
    (
        "I need to let you know our conversation is being recorded",
        "state_recording",
        ["state_purpose", "ask_reason"],
    ),
    (
        "I'm reaching out because your credit card payment is overdue and the balance is $1,240",
        "state_purpose",
        ["state_recording", "ask_reason"],
    ),
    (
        "What happened that kept the payment from going through?",
        "ask_reason",
        ["show_empathy", "explain_consequences"],
    ),
    (
        "I totally understand, that sounds like a really tough month",
        "show_empathy",
        ["ask_reason", "explain_consequences"],
    ),
    (
        "If the account stays past due it can hurt your credit score",
        "explain_consequences",
        ["show_empathy", "ask_reason"],
    ),
    (
        "Could you pay the whole balance off today?",
        "request_full_payment",
        ["offer_instalment", "give_channel"],
    ),
    (
        "We could break the balance into smaller monthly installments",
        "offer_instalment",
        ["offer_minimum_payment", "request_full_payment"],
    ),
    (
        "You can make the payment in our mobile app or on the official website",
        "give_channel",
        ["ask_promise", "offer_instalment"],
    ),
    (
        "Which day will you be able to send the payment, and for how much?",
        "ask_promise",
        ["give_channel", "close_politely"],
    ),
    (
        "Just to confirm, you'll pay $1,240 through the app this Friday, right?",
        "read_back_promise",
        ["close_politely", "ask_promise"],
    ),
    (
        "Thanks so much for your time today, goodbye",
        "close_politely",
        ["read_back_promise", "ask_promise"],
    ),
    (
        "I apologize for the inconvenience, I'm only trying to help resolve this",
        "calm_anger",
        ["explain_call_reason", "close_politely"],
    ),
    (
        "Would you mind asking Daniel to give me a call back at this number?",
        "request_callback",
        ["decline_details", "close_politely"],
    ),
    (
        "If you don't recognize this debt, I can open a dispute and we'll look into it",
        "handle_dispute",
        ["state_purpose", "close_politely"],
    ),
    (
        "If paying it all at once is hard, a minimum payment of $85 would keep things from getting worse",
        "offer_minimum_payment",
        ["offer_instalment", "request_full_payment"],
    ),
]


def _library(locale: str) -> tuple[str, dict[str, Intent]]:
    """The shipped intents for ``locale`` if they load, else the fixture library."""
    try:
        shipped = content_root() / locale / "intents"
    except FileNotFoundError:
        shipped = Path("/nonexistent")
    for source, folder in (("shipped", shipped), ("fixture", FIXTURES / locale / "intents")):
        if folder.is_dir():
            loaded, _ = load_content([folder])
            intents = loaded.intents.get(locale, {})
            if all(intent in intents for _, intent, _ in (ZH if locale == "zh-CN" else EN)):
                return source, intents
    pytest.skip(f"no intent library for {locale}")


@pytest.mark.parametrize(("locale", "cases"), [("zh-CN", ZH), ("en-US", EN)])
def test_paraphrases_are_recognised(locale: str, cases: list[tuple[str, str, list[str]]]) -> None:
    source, intents = _library(locale)
    examples = {prepare(e) for intent in intents.values() for e in intent.examples}
    recogniser = Recogniser(intents)
    in_node = overall = 0
    misses = []
    for text, intent, others in cases:
        assert prepare(text) not in examples, f"{text!r} is an example, not a paraphrase"
        result = recogniser.recognise(text, [intent, *others])
        in_node += result.intent == intent
        overall += result.closest == intent
        if result.intent != intent:
            misses.append(f"{text!r}: expected {intent}, got {result.intent} {result.scores}")
    n = len(cases)
    print(
        f"\n{locale} ({source} intents): {in_node}/{n} = {in_node / n:.0%} among the node's"
        f" intents; {overall}/{n} = {overall / n:.0%} against all {len(intents)} intents"
    )
    for miss in misses:
        print("  miss:", miss)
    assert len(cases) >= 15
    assert in_node / n >= 0.85, misses
    assert overall / n >= 0.7


def test_thirty_or_more_paraphrases() -> None:
    assert len(ZH) + len(EN) >= 30
