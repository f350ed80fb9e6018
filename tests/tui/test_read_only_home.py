"""The app on a read-only data folder: it starts, shows history, says once that nothing is
saved, and refuses to start a call it could not keep — never a traceback.

A read-only folder needs a read-only mount (root ignores permission bits), so the
pilot runs in a user namespace with the home bind-mounted read-only; where that
cannot be made the test is skipped with the reason.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from namespaces import in_namespace, mount_problem

HERE = Path(__file__).resolve().parent

PILOT = """
import asyncio, sys
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from tui_support import SIZE, build_app, enter_home

async def main() -> None:
    app = build_app(Path(sys.argv[1]))
    async with app.run_test(size=SIZE) as pilot:
        await enter_home(pilot)
        for note in app._notifications:
            print("notify", note.severity, note.message)
        app.action_history()
        await pilot.pause()
        print("screen", type(app.screen).__name__)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("enter")  # the suggested call → briefing
        await pilot.pause()
        await pilot.press("enter")  # start it: refused, the briefing stays
        await pilot.pause()
        print("screen", type(app.screen).__name__)
        for note in list(app._notifications)[-1:]:
            print("notify", note.severity, note.message)
    print("ended", app.return_code)

asyncio.run(main())
"""


READ_ONLY = mount_problem("--bind {folder} {folder}")


@pytest.mark.skipif(READ_ONLY is not None, reason=str(READ_ONLY))
def test_the_app_on_a_read_only_home_says_so_and_does_not_crash(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    setup = (
        "import sys; sys.path.insert(0, sys.argv[2]);"
        "from pathlib import Path; from tui_support import build_app;"
        "app = build_app(Path(sys.argv[1]));"
        "app.backend.store.create_session(scenario_id='tui-zh-first', trainee='王小明')"
    )
    subprocess.run([sys.executable, "-c", setup, str(home), str(HERE)], check=True)
    script = tmp_path / "pilot.py"
    script.write_text(PILOT, encoding="utf-8")
    result = in_namespace(
        f"mount --bind {home} {home} && mount -o remount,ro,bind {home} {home}"
        f' && "{sys.executable}" {script} {home} {HERE}',
        timeout=240,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "screen HistoryScreen" in lines and "screen BriefingScreen" in lines
    notes = [line for line in lines if line.startswith("notify")]
    assert notes[0].startswith("notify warning 数据文件夹只读:通话和设置都不会保存")
    assert f"{home}/trainer.db: cannot save: the data folder is read-only" in notes[0]
    assert notes[-1].startswith("notify error 无法开始通话,因为它无法保存:")
    assert "ended" in lines[-1]
    from trainer.records.sqlite import DB_NAME, Store

    with Store(home / DB_NAME) as store:  # the stored session is kept, nothing was added
        assert [s.scenario_id for s in store.list_sessions()] == ["tui-zh-first"]


@pytest.mark.skipif(READ_ONLY is not None, reason=str(READ_ONLY))
def test_an_empty_read_only_home_is_one_line(tmp_path: Path) -> None:
    """No database yet and none can be made: the line says so (it used to say "restore
    it from a backup", as if a database were damaged)."""
    home = tmp_path / "empty"
    home.mkdir()
    result = in_namespace(
        f"mount --bind {home} {home} && mount -o remount,ro,bind {home} {home}"
        f' && "{sys.executable}" -m trainer --home {home} tui'
    )
    assert result.returncode == 2
    assert result.stderr == (
        f"trainer: {home}/trainer.db: cannot create the session database: the data folder"
        " cannot be written — run with --home DIR (a folder you can write to)\n"
    )
