"""The shared intent libraries recognise fresh paraphrases — and the misses authors reported.

Every line here is written for this test and is NOT an example of any intent
(the test checks that), so it measures how well the *shipped* libraries
generalise, the way a trainee's own wording would meet them. Each line is
matched among the intents its node would expect (the engine's real
situation), and also against the whole library ("closest", harder). The
accuracy is printed; floors are asserted.

``REPORTED`` are the lines content authors found misrecognised (issue 2): each
must now be recognised at its node, with the intents it used to lose to
among the competitors.
"""

from __future__ import annotations

import pytest

from trainer.engine.recognise import Recogniser, prepare
from trainer.paths import content_root
from trainer.scenarios.loader import load_content
from trainer.scenarios.model import Intent

# (text, intent, other intents the node expects)
Case = tuple[str, str, list[str]]

ZH: list[Case] = [
    (
        "喂,您好,这边是华信银行信用卡中心贷后管理部,我是小孙。",
        "greet_identify",
        ["confirm_identity"],
    ),
    (
        "方便确认一下,现在接电话的是王芳女士吗?",
        "confirm_identity",
        ["greet_identify", "verify_identity"],
    ),
    (
        "为了核实是您本人,请报一下您的出生年月日。",
        "verify_identity",
        ["confirm_identity", "state_purpose"],
    ),
    (
        "提前跟您讲一声,咱们的对话是有录音的。",
        "state_recording",
        ["state_purpose", "verify_identity"],
    ),
    (
        "您尾号3321的卡,这期账单2,800元还没还,已经过了10天。",
        "state_purpose",
        ["ask_reason", "state_recording"],
    ),
    (
        "减免的问题稍后我帮您问,眼下想先弄清楚,这次逾期是怎么造成的?",
        "ask_reason",
        ["explain_relief_process", "show_empathy"],
    ),
    (
        "申请减免之前,能先说说您这回为啥没还上吗?",
        "ask_reason",
        ["explain_relief_process", "explain_consequences"],
    ),
    ("嗯,一下子多出这么多钱,换作谁心里都会窝火。", "show_empathy", ["calm_anger", "ask_reason"]),
    (
        "家里有人住院,开销那么大,真的挺不容易的。",
        "show_empathy",
        ["calm_anger", "explain_consequences"],
    ),
    (
        "拖得越久利息越多,逾期记录也会按规定报到征信。",
        "explain_consequences",
        ["show_empathy", "request_full_payment"],
    ),
    (
        "您看能不能这周把欠的钱一次全部还掉?",
        "request_full_payment",
        ["offer_minimum_payment", "offer_instalment"],
    ),
    (
        "一时凑不齐的话,先把最低还款还了也行。",
        "offer_minimum_payment",
        ["offer_instalment", "request_full_payment"],
    ),
    (
        "按您的情况可以申请分24期,每个月的压力会小很多。",
        "offer_instalment",
        ["offer_minimum_payment", "request_full_payment"],
    ),
    (
        "请在华信银行手机App的还款页面操作,别转给任何个人。",
        "give_channel",
        ["ask_promise", "offer_instalment"],
    ),
    ("那就这么约定:25号之前您还986元,可以吗?", "ask_promise", ["give_channel", "close_politely"]),
    ("这笔钱您看月底前还上,行不行?", "ask_promise", ["give_channel", "close_politely"]),
    (
        "我再给您复述一下:本月25号前,用手机银行还986元,对吧?",
        "read_back_promise",
        ["close_politely", "ask_promise"],
    ),
    (
        "好,那就不耽误您了,多谢,再见。",
        "close_politely",
        ["respect_contact_request", "read_back_promise"],
    ),
    (
        "麻烦您帮我带个话,请他抽空给我们回个电话。",
        "request_callback",
        ["decline_details", "close_politely"],
    ),
    (
        "这个涉及他个人的事情,只能跟他本人说明,还请您理解。",
        "decline_details",
        ["request_callback", "show_empathy"],
    ),
    (
        "那您看他一般什么时间段比较容易联系上?",
        "ask_contact_time",
        ["request_callback", "close_politely"],
    ),
    (
        "非常抱歉,应该是我们把号码弄错了,打扰您了。",
        "apologise_wrong_number",
        ["close_politely", "confirm_identity"],
    ),
    (
        "关于减免,需要您先交书面申请和证明,银行审核后才有结果。",
        "explain_relief_process",
        ["ask_reason", "show_empathy"],
    ),
    (
        "您说已经转了500,我这边查一下到账了没有。",
        "confirm_payment",
        ["ask_reason", "state_purpose"],
    ),
    (
        "好的,从今天起我们暂停给您打电话,有进展再发短信告诉您。",
        "respect_contact_request",
        ["close_politely", "handle_dispute"],
    ),
    (
        "放心,以后不会再往您公司座机打了。",
        "respect_contact_request",
        ["close_politely", "ask_contact_time"],
    ),
    (
        "您随时可以投诉,这是您的正当权利。",
        "acknowledge_complaint_right",
        ["calm_anger", "close_politely"],
    ),
]

EN: list[Case] = [
    (
        "Hello, Alex Kim here from Lakeshore Recovery Services.",
        "greet_identify",
        ["confirm_identity"],
    ),
    (
        "So can we settle on $200 by the 20th, does that work?",
        "ask_promise",
        ["give_channel", "close_politely"],
    ),
    (
        "Let me read it back to you: $200 on the 20th through the app, correct?",
        "read_back_promise",
        ["ask_promise", "close_politely"],
    ),
    (
        "Before we get into a waiver, can you walk me through why the payments stopped?",
        "ask_reason",
        ["explain_relief_process", "show_empathy"],
    ),
    (
        "No wonder you're upset, a bill that size would throw anybody.",
        "show_empathy",
        ["calm_anger", "ask_reason"],
    ),
    (
        "Okay, we'll stop calling your workplace from now on.",
        "respect_contact_request",
        ["close_politely", "handle_dispute"],
    ),
    (
        "I'll put a hold on calls to you until next week.",
        "respect_contact_request",
        ["close_politely", "ask_contact_time"],
    ),
    (
        "I can't share the details with you, it's something I need to discuss with him.",
        "decline_details",
        ["request_callback", "close_politely"],
    ),
    (
        "What's the best time to catch him at home?",
        "ask_contact_time",
        ["request_callback", "close_politely"],
    ),
    (
        "Interest and late fees keep adding up under your card agreement.",
        "explain_consequences",
        ["show_empathy", "ask_reason"],
    ),
    (
        "Could you put in at least the minimum this week?",
        "offer_minimum_payment",
        ["offer_instalment", "request_full_payment"],
    ),
    (
        "You have every right to file a complaint, and I'll tell you how.",
        "acknowledge_complaint_right",
        ["calm_anger", "close_politely"],
    ),
]

REPORTED: list[tuple[str, Case]] = [
    (
        "zh-CN",
        (
            "那咱们说好,12月20号之前还1,684.23元,行吗?",
            "ask_promise",
            ["read_back_promise", "close_politely"],
        ),
    ),
    (
        "zh-CN",
        (
            "减免的事我们后面再说,您先跟我讲讲,上次怎么没还上呢?",
            "ask_reason",
            ["explain_relief_process", "show_empathy", "explain_consequences"],
        ),
    ),
    (
        "zh-CN",
        (
            "关于减免,您先跟我讲讲,上次怎么没还上呢?",
            "ask_reason",
            ["explain_relief_process", "show_empathy", "explain_consequences"],
        ),
    ),
    ("zh-CN", ("明白,看到钱多了谁心里都不舒服", "show_empathy", ["calm_anger", "ask_reason"])),
    (
        "zh-CN",
        ("暂停来电", "respect_contact_request", ["close_politely", "apologise_wrong_number"]),
    ),
    (
        "zh-CN",
        (
            "以后不再打这个号码",
            "respect_contact_request",
            ["close_politely", "apologise_wrong_number"],
        ),
    ),
    (
        "zh-CN",
        (
            "我们先不打您单位电话了",
            "respect_contact_request",
            ["close_politely", "ask_contact_time"],
        ),
    ),
]

_LIBRARIES: dict[str, tuple[dict[str, Intent], Recogniser]] = {}


def _library(locale: str) -> tuple[dict[str, Intent], Recogniser]:
    """The shipped intent library of ``locale`` and its recogniser (built once)."""
    if locale not in _LIBRARIES:
        content, _ = load_content([content_root() / locale / "intents"])
        intents = content.intents.get(locale, {})
        assert intents, f"no shipped intents for {locale}"
        _LIBRARIES[locale] = intents, Recogniser(intents)
    return _LIBRARIES[locale]


def _examples(intents: dict[str, Intent]) -> set[str]:
    return {prepare(example) for intent in intents.values() for example in intent.examples}


@pytest.mark.parametrize(("locale", "cases", "floor"), [("zh-CN", ZH, 0.9), ("en-US", EN, 0.9)])
def test_fresh_paraphrases(locale: str, cases: list[Case], floor: float) -> None:
    intents, recogniser = _library(locale)
    examples = _examples(intents)
    in_node = overall = 0
    misses: list[str] = []
    for text, intent, others in cases:
        assert intent in intents and all(other in intents for other in others), text
        assert prepare(text) not in examples, f"{text!r} is an example, not a paraphrase"
        result = recogniser.recognise(text, [intent, *others])
        in_node += result.intent == intent
        overall += result.closest == intent
        if result.intent != intent:
            misses.append(f"{text!r}: expected {intent}, got {result.intent} {dict(result.scores)}")
    n = len(cases)
    print(
        f"\n{locale}: {in_node}/{n} = {in_node / n:.0%} among the node's intents; "
        f"{overall}/{n} = {overall / n:.0%} closest among all {len(intents)} intents"
    )
    for miss in misses:
        print("  miss:", miss)
    assert in_node / n >= floor, misses
    assert overall / n >= floor - 0.15


def test_enough_fresh_paraphrases() -> None:
    assert len(ZH) >= 20 and len(EN) >= 10
    assert len({intent for _, intent, _ in ZH}) >= 15  # spread over the shared intents


@pytest.mark.parametrize(("locale", "case"), REPORTED, ids=[c[0] for _, c in REPORTED])
def test_reported_misses_are_fixed(locale: str, case: Case) -> None:
    intents, recogniser = _library(locale)
    text, intent, others = case
    assert prepare(text) not in _examples(intents), "fix the library, don't paste the line in"
    result = recogniser.recognise(text, [intent, *others])
    assert result.intent == intent, dict(result.scores)
    assert result.closest == intent, (result.closest, result.closest_score)
