"""Property: a random walk through any scenario ends (an ending or the turn limit), never raises."""

from __future__ import annotations

from functools import cache

from engine_helpers import FakeGrader, load_fixture_content
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shipped import shipped_content

from trainer.engine.session import Session, check_scenario
from trainer.scenarios.loader import ContentSet


@cache
def _all() -> list[tuple[ContentSet, str]]:
    """Every playable scenario: the fixtures and the shipped ones that load cleanly."""
    pairs = []
    fixtures = load_fixture_content()
    pairs += [(fixtures, sid) for sid in sorted(fixtures.scenarios)]
    try:
        shipped, _ = shipped_content()
    except FileNotFoundError:  # pragma: no cover - no shipped content
        return pairs
    pairs += [
        (shipped, sid)
        for sid in sorted(shipped.scenarios)
        if not check_scenario(shipped.scenarios[sid])
    ]
    return pairs


action = st.one_of(
    st.tuples(st.just("example"), st.integers(0, 1000), st.integers(0, 1000)),
    st.tuples(st.just("text"), st.text(max_size=40), st.just(0)),
    st.tuples(st.just("choose"), st.integers(0, 5), st.just(0)),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pick=st.integers(0, 10_000),
    seed=st.integers(0, 2**31),
    mode=st.sampled_from(["free", "guided"]),
    actions=st.lists(action, max_size=600),
)
def test_random_walk_always_ends(
    pick: int, seed: int, mode: str, actions: list[tuple[str, object, int]]
) -> None:
    pairs = _all()
    content, sid = pairs[pick % len(pairs)]
    scenario = content.scenarios[sid]
    session = Session.new(
        scenario,
        content,
        seed=seed,
        mode=mode,  # type: ignore[arg-type]
        grader=FakeGrader(),
    )
    session.start()
    steps = iter(actions)
    limit = scenario.limits.max_turns
    while not session.finished:
        kind, a, b = next(steps, ("text", "嗯", 0))
        expected = session.expected()
        if kind == "example" and expected:
            intent = session.intents.get(expected[int(a) % len(expected)])  # type: ignore[call-overload]
            text = intent.examples[b % len(intent.examples)] if intent else "嗯"
            session.say(text)
        elif kind == "choose" and session.options():
            session.choose(int(a) % len(session.options()))  # type: ignore[call-overload]
        else:
            session.say(str(a) if str(a).strip() else "嗯")
        assert session.agent_turns <= limit
    assert session.ending is not None
    ending_id, _ = session.ending
    assert ending_id in scenario.endings
