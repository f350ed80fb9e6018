"""Pilot tests: full calls driven with the keyboard, checked on screen and in the store."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import DataTable, Input, OptionList
from tui_support import GOOD_CALL, SIZE, build_app, enter_home, open_call, say, shown_text

from trainer.records.sqlite import Store
from trainer.tui.screens.briefing import BriefingScreen
from trainer.tui.screens.call import CallScreen
from trainer.tui.screens.debrief import DebriefScreen
from trainer.tui.screens.history import HistoryScreen
from trainer.tui.screens.home import HomeScreen
from trainer.tui.screens.start import StartScreen
from trainer.tui.widgets.transcript import HIGHLIGHT, Transcript, TranscriptEntry


def run(coro_fn):  # type: ignore[no-untyped-def]
    """Run one async pilot scenario to completion."""
    return asyncio.run(coro_fn())


def test_free_call_to_the_debrief_and_history(home: Path) -> None:
    async def scenario() -> None:
        app = build_app(home)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, StartScreen)
            await enter_home(pilot)
            assert isinstance(app.screen, HomeScreen)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, BriefingScreen)
            briefing = " ".join(shown_text(w) for w in app.screen.query("Static"))
            assert "8,650.00" in briefing and "李明" in briefing and "70/100" in briefing
            await pilot.press("enter")
            await pilot.pause()
            call = app.screen
            assert isinstance(call, CallScreen)
            transcript = call.query_one("#transcript", Transcript)
            assert [e.text for e in transcript.entries()] == ["喂,哪位?"]
            for line in GOOD_CALL:
                await say(pilot, line)
            entries = transcript.entries()
            agent = [e.text for e in entries if e.speaker == "agent"]
            assert agent == GOOD_CALL
            assert all(e.understood and not e.findings for e in entries)
            assert entries[-1].speaker == "customer" and entries[-1].text == "好的,再见。"
            assert call.ended
            assert "承诺还款" in shown_text(call.query_one("#call-end"))
            # the stored session is complete and finished
            stored = app.backend.store.load(call.session.id or "")
            assert stored.status == "finished"
            assert stored.outcome == "promise_to_pay"
            assert stored.trainee == "王小明"
            assert [t.text for t in stored.turns if t.speaker == "agent"] == GOOD_CALL
            await pilot.press("enter")
            await pilot.pause()
            debrief = app.screen
            assert isinstance(debrief, DebriefScreen)
            verdict = shown_text(debrief.query_one("#verdict"))
            assert "承诺还款" in verdict
            assert debrief.view.outcome == "promise_to_pay"
            assert debrief.view.scored and debrief.view.score == 100 and debrief.view.passed
            assert "100/100" in verdict and "及格" in verdict
            checks = shown_text(debrief.query_one("#checks Static"))
            assert "✓ 核实身份之后才说欠款" in checks and GOOD_CALL[1] in checks  # proving line
            await pilot.press("f6")
            await pilot.pause()
            assert isinstance(app.screen, HistoryScreen)
            table = app.screen.query_one("#sessions", DataTable)
            assert table.row_count == 1
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, DebriefScreen)
            replayed = [e.entry.text for e in app.screen.query(TranscriptEntry)]
            assert replayed[0] == "喂,哪位?" and GOOD_CALL[0] in replayed
            assert "100" in shown_text(app.screen.query_one("#verdict"))
            await pilot.press("escape", "escape")  # back to the list: best score shown
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)
            options = app.screen.query_one("#scenarios", OptionList)
            prompt = options.get_option("tui-zh-first").prompt
            assert "最佳 100 ✓" in prompt.plain  # type: ignore[union-attr]

    run(scenario)


def test_a_goodbye_before_the_close_ends_the_call_and_is_not_a_mishearing(home: Path) -> None:
    async def scenario() -> None:
        app = build_app(home)
        async with app.run_test(size=SIZE) as pilot:
            await open_call(pilot)
            call = app.screen
            assert isinstance(call, CallScreen)
            await say(pilot, GOOD_CALL[0])
            await say(pilot, "好的,感谢您的配合,祝您生活愉快,再见。")
            assert call.ended
            entries = call.query_one("#transcript", Transcript).entries()
            goodbye = [e for e in entries if e.speaker == "agent"][-1]
            assert goodbye.understood  # no "(客户没听懂您的意思)" under a goodbye
            stored = app.backend.store.load(call.session.id or "")
            assert stored.outcome == "nothing_agreed"

    run(scenario)


def test_guided_call_with_a_critical_line_fails_with_the_rule_shown(home: Path) -> None:
    async def scenario() -> None:
        app = build_app(home)
        app.set_mode("guided")
        async with app.run_test(size=SIZE) as pilot:
            await open_call(pilot)
            call = app.screen
            assert isinstance(call, CallScreen)
            choices = call.query_one("#choices", OptionList)
            assert choices.display and not call.query_one("#say", Input).display
            texts = [o.text for o in call.session.options()]
            bad = texts.index("我是公安局的,你欠钱的事要处理一下。")
            for _ in range(bad):
                await pilot.press("down")
            await pilot.press("enter")
            await pilot.pause()
            entry = call.query_one("#transcript", Transcript).last_agent()
            assert entry is not None
            assert [f.rule for f in entry.entry.findings] == ["ZH-IMP-001"]
            finding = entry.entry.findings[0]
            assert entry.entry.text[finding.start : finding.end] == "公安局"
            shown = shown_text(entry)
            assert "ZH-IMP-001" in shown and "不是公安机关" in shown  # rule and better wording
            assert entry.entry.note_quality == "poor"
            assert call.ended
            stored = app.backend.store.load(call.session.id or "")
            assert stored.outcome == "complaint" and stored.mode == "guided"
            assert stored.turns[1].findings[0]["rule"] == "ZH-IMP-001"
            await pilot.press("enter")
            await pilot.pause()
            debrief = app.screen
            assert isinstance(debrief, DebriefScreen)
            assert debrief.view.hard_fail and debrief.view.passed is False
            text = shown_text(debrief.query_one("#findings Static"))
            assert "ZH-IMP-001" in text and "不是公安机关" in text

    run(scenario)


def test_guided_call_with_best_lines_reaches_a_promise(home: Path) -> None:
    async def scenario() -> None:
        app = build_app(home)
        app.set_mode("guided")
        async with app.run_test(size=SIZE) as pilot:
            await open_call(pilot)
            call = app.screen
            assert isinstance(call, CallScreen)
            while not call.ended:
                options = call.session.options()
                best = next(i for i, o in enumerate(options) if o.quality == "best")
                call.query_one("#choices", OptionList).highlighted = best
                await pilot.press("enter")
                await pilot.pause()
            stored = app.backend.store.load(call.session.id or "")
            assert stored.outcome == "promise_to_pay"
            notes = [
                e.note_quality
                for e in call.query_one("#transcript", Transcript).entries()
                if e.speaker == "agent"
            ]
            assert notes == ["best"] * 5

    run(scenario)


def test_guided_number_keys_pick_the_options_they_label(home: Path) -> None:
    async def scenario() -> None:
        app = build_app(home)
        app.set_mode("guided")
        async with app.run_test(size=SIZE) as pilot:
            await open_call(pilot)
            call = app.screen
            assert isinstance(call, CallScreen)
            choices = call.query_one("#choices", OptionList)
            options = call.session.options()
            assert len(options) >= 2 and choices.highlighted == 0
            await pilot.press(str(len(options) + 1))  # no such option: nothing is said
            await pilot.pause()
            assert call.session.agent_turns == 0
            await pilot.press("f3")  # free mode: a digit is typed into the line, not chosen
            await pilot.pause()
            await pilot.press("1")
            await pilot.pause()
            say = call.query_one("#say", Input)
            assert say.value == "1" and call.session.agent_turns == 0
            say.value = ""
            await pilot.press("f3")  # back to choosing
            await pilot.pause()
            await pilot.press("2")  # the second line, not the highlighted first
            await pilot.pause()
            entry = call.query_one("#transcript", Transcript).last_agent()
            assert entry is not None and entry.entry.text == options[1].text
            assert call.session.agent_turns == 1

    run(scenario)


def test_search_opens_the_highlighted_call_on_the_first_enter(home: Path) -> None:
    async def scenario() -> None:
        app = build_app(home)
        async with app.run_test(size=SIZE) as pilot:
            await enter_home(pilot)
            await pilot.press("f5", *"zzz", "enter")  # nothing matches: Enter stays on the list
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)
            assert app.screen.query_one("#scenarios", OptionList).has_focus
            await pilot.press("f5", "escape", "f5", *"李先生", "enter")
            await pilot.pause()
            assert isinstance(app.screen, BriefingScreen)

    run(scenario)


def test_escape_on_home_never_puts_typing_in_the_name_field(home: Path) -> None:
    async def scenario() -> None:
        app = build_app(home)
        async with app.run_test(size=SIZE) as pilot:
            await enter_home(pilot, "王小明")
            home_screen = app.screen
            assert isinstance(home_screen, HomeScreen)
            await pilot.press("f5", *"ab", "escape")  # Esc leaves the search, not the screen
            await pilot.pause()
            assert app.screen is home_screen
            assert home_screen.query_one("#search", Input).value == ""
            assert home_screen.query_one("#scenarios", OptionList).has_focus
            await pilot.press("escape")  # from the list: back to the start screen
            await pilot.pause()
            start = app.screen
            assert isinstance(start, StartScreen)
            await pilot.press(*"部分")
            await pilot.pause()
            assert start.query_one("#name", Input).value == "王小明"
            assert not start.query_one("#name", Input).has_focus
            await pilot.press("enter")  # the focused Start button goes on under the same name
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen) and app.trainee == "王小明"

    run(scenario)


def test_finding_highlights_the_words_and_assessment_hides_it(home: Path) -> None:
    async def scenario() -> None:
        app = build_app(home)
        async with app.run_test(size=SIZE) as pilot:
            await open_call(pilot)
            call = app.screen
            assert isinstance(call, CallScreen)
            line = "您好,我是华信银行信用卡中心的小王,你这种老赖"
            await say(pilot, line)
            entry = call.query_one("#transcript", Transcript).last_agent()
            assert entry is not None
            finding = entry.entry.findings[0]
            assert (finding.rule, line[finding.start : finding.end]) == ("ZH-ABU-001", "老赖")
            spans = entry.render().spans  # type: ignore[union-attr]
            start = shown_text(entry).index(line)
            assert any(
                s.style == HIGHLIGHT
                and (s.start, s.end) == (start + finding.start, start + finding.end)
                for s in spans
            )
            assert entry.has_class("has-finding")
            # assessment mode: the same line shows no rule and no highlight
            await pilot.press("f4")
            await pilot.pause()
            assert call.coaching == "assessment"
            assert "ZH-ABU-001" not in shown_text(entry)
            assert not any(s.style == HIGHLIGHT for s in entry.render().spans)  # type: ignore[union-attr]
            await pilot.press("f2")  # no hints in an assessment
            assert not call.query_one("#hint-box").display
            await pilot.press("f4")
            await pilot.pause()
            assert "ZH-ABU-001" in shown_text(entry)

    run(scenario)


def test_markup_like_and_very_long_input_is_shown_as_typed(home: Path) -> None:
    async def scenario() -> None:
        app = build_app(home)
        async with app.run_test(size=SIZE) as pilot:
            await enter_home(pilot, "[bold]Ann[/]")
            heading = shown_text(app.screen.query_one("#home-heading"))
            assert "[bold]Ann[/]" in heading
            await pilot.press("enter", "enter")
            await pilot.pause()
            call = app.screen
            assert isinstance(call, CallScreen)
            box = call.query_one("#say", Input)
            box.focus()
            await pilot.press(*"[bold]x[/] [red", "enter")  # typed key by key
            await pilot.pause()
            entry = call.query_one("#transcript", Transcript).last_agent()
            assert entry is not None
            assert entry.entry.text == "[bold]x[/] [red"
            assert "[bold]x[/] [red" in shown_text(entry)
            long_line = "请" * 5000 + "[/]"
            await say(pilot, long_line)
            entry = call.query_one("#transcript", Transcript).last_agent()
            assert entry is not None
            assert 0 < len(entry.entry.text) <= 1000 and set(entry.entry.text) <= {"请"}
            await pilot.press("f2")  # the app still answers keys
            await pilot.pause()
            assert call.query_one("#hint-box").display

    run(scenario)


def test_interrupted_call_resumes_from_the_history(home: Path) -> None:
    async def scenario() -> None:
        app = build_app(home)
        async with app.run_test(size=SIZE) as pilot:
            await open_call(pilot)
            await say(pilot, GOOD_CALL[0])
            await pilot.press("f10")  # leave the call
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)
            app.open_history()
            await pilot.pause()
            history = app.screen
            assert isinstance(history, HistoryScreen)
            assert [r.status for r in history.rows] == ["in_progress"]
            await pilot.press("r")
            await pilot.pause()
            call = app.screen
            assert isinstance(call, CallScreen) and call.resumed
            texts = [e.text for e in call.query_one("#transcript", Transcript).entries()]
            assert texts[:2] == ["喂,哪位?", GOOD_CALL[0]]
            for line in GOOD_CALL[1:]:
                await say(pilot, line)
            assert call.ended
        store = Store.open(home)
        (record,) = store.list_sessions()
        assert record.status == "finished" and record.outcome == "promise_to_pay"
        store.close()

    run(scenario)


def test_settings_are_remembered(home: Path) -> None:
    async def first() -> None:
        app = build_app(home)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.screen.query_one("#language").focus()
            await pilot.press("down", "enter")  # English
            await pilot.pause()
            assert app.language == "en"
            assert "Your name" in " ".join(shown_text(w) for w in app.screen.query("Label"))
            await pilot.press("f8")  # light theme
            await enter_home(pilot, "Ann")
            assert "Ann, pick a call" in shown_text(app.screen.query_one("#home-heading"))

    async def second() -> None:
        app = build_app(home)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.language == "en" and app.trainee == "Ann"
            assert app.theme == "trainer-light"
            assert app.screen.query_one("#name", Input).value == "Ann"

    run(first)
    run(second)


def test_language_given_on_the_command_line_is_remembered(home: Path) -> None:
    async def first() -> None:
        app = build_app(home, language="en")  # `trainer tui --language en`
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.language == "en"
            assert "Your name" in " ".join(shown_text(w) for w in app.screen.query("Label"))

    async def second() -> None:
        app = build_app(home)  # plain `trainer` afterwards
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.language == "en"
            assert "Your name" in " ".join(shown_text(w) for w in app.screen.query("Label"))

    run(first)
    run(second)


def test_the_footer_names_the_palette_key_in_the_interface_language(home: Path) -> None:
    async def scenario() -> None:
        app = build_app(home)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            (palette,) = [b for _, b in app._bindings if b.action == "command_palette"]
            assert palette.description == "命令面板"
            footer = " ".join(shown_text(k) for k in app.screen.query("FooterKey"))
            assert "命令面板" in footer and "palette" not in footer

    run(scenario)


def test_help_lists_the_call_keys(home: Path) -> None:
    async def scenario() -> None:
        app = build_app(home)
        async with app.run_test(size=SIZE) as pilot:
            await open_call(pilot)
            await pilot.press("f1")
            await pilot.pause()
            text = shown_text(app.screen.query_one("#help Static"))
            for key, words in [
                ("f2", "提示"),
                ("f3", "方式"),
                ("f4", "反馈"),
                ("f10", "挂断"),
                ("f1", "帮助"),
            ]:
                assert key.upper() in text.upper() and words in text
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, CallScreen)

    run(scenario)


def test_command_palette_offers_the_app_actions(home: Path) -> None:
    async def scenario() -> None:
        from textual.command import CommandPalette

        from trainer.tui.palette import TrainerCommands

        app = build_app(home)
        async with app.run_test(size=SIZE) as pilot:
            await open_call(pilot)
            await pilot.press("ctrl+p")  # the palette opens over the call, Esc closes it
            await pilot.pause()
            assert isinstance(app.screen, CommandPalette)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, CallScreen)
            provider = TrainerCommands(app.screen)
            names = [name for name, _, _ in provider.commands()]
            assert "开始场景:首次联系:忘记还款的李先生" in names
            assert any("JSONL" in n for n in names)
            hits = [hit async for hit in provider.search("JSONL")]
            assert hits
            hits[0].command()  # export the call in progress
            await pilot.pause()
            call = app.screen
            assert isinstance(call, CallScreen)
            exported = home / "exports" / f"{call.session.id}.jsonl"
            assert exported.read_text(encoding="utf-8").count("\n") == 1
            switch = next(c for n, c, _ in provider.commands() if "切换练习方式" in n)
            switch()
            await pilot.pause()
            assert call.mode == "guided" and call.query_one("#choices", OptionList).display

    run(scenario)


def test_home_waits_for_the_content_loading_in_the_background(home: Path) -> None:
    async def scenario() -> None:
        from tui_support import FIXTURES, RULEBOOK, fixed_clock

        from trainer.tui.app import make_app

        app = make_app(
            home,
            content_paths=[FIXTURES],
            clock=fixed_clock,
            seed=7,
            cursor_blink=False,
            rulebooks={"zh-CN": RULEBOOK},
        )
        async with app.run_test(size=SIZE) as pilot:
            await enter_home(pilot)
            for _ in range(100):
                await pilot.pause(0.05)
                if app.backend.ready() and not app.screen.query_one("#scenarios").loading:
                    break
            options = app.screen.query_one("#scenarios", OptionList)
            assert options.get_option("tui-zh-first").id == "tui-zh-first"

    run(scenario)
