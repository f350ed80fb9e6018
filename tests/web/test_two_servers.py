"""Real ``trainer serve`` processes: the command's own errors, and two servers on two
ports over one PostgreSQL store serving the same class consistently."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import aiohttp
from web_support import CALL, SCENARIO, free_port, make_classroom, play, serving

from trainer.records.stores import open_store


def test_serve_refuses_a_taken_port_and_a_missing_folder(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = ["--store", f"sqlite:///{tmp_path / 'c.db'}"]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        busy = run_cli("serve", "--port", port, *store)
    assert busy.returncode == 2 and busy.stderr.count("\n") == 1
    assert f"cannot listen on 127.0.0.1:{port}" in busy.stderr
    missing = run_cli("serve", "--content", str(tmp_path / "nope"), *store)
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    bad = run_cli("serve", "--port", "99999", *store)
    assert bad.returncode == 2 and "outside 1..65535" in bad.stderr
    down = run_cli("serve", "--store", "postgresql://nobody@127.0.0.1:1/x")
    assert down.returncode == 2 and "Traceback" not in down.stderr
    assert down.stderr.count("\n") == 1


def test_two_servers_over_one_postgresql_serve_one_class(pg_url: str, tmp_path: Path) -> None:
    room = make_classroom(pg_url, tmp_path / "home")
    ports = free_port(), free_port()

    async def check() -> None:
        jar = aiohttp.CookieJar(unsafe=True)  # one browser, both servers (one host name)
        async with (
            aiohttp.ClientSession(cookie_jar=jar) as teacher,
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as trainee,
        ):
            for port in ports:
                base = f"http://127.0.0.1:{port}"
                signed = await teacher.post(f"{base}/signin", data={"token": room.tokens["陈老师"]})
                assert signed.status == 200 and str(signed.url).endswith("/dashboard")
                mine = await trainee.post(f"{base}/signin", data={"token": room.tokens["王丽"]})
                assert str(mine.url).endswith("/app")
            # the browser holds a cookie per server: signing in on the second kept the first
            for port in ports:
                page = await (await trainee.get(f"http://127.0.0.1:{port}/app")).text()
                assert "data-session-websocket-url" in page

            async def boards() -> list[Any]:
                found = []
                for port in ports:
                    answer = await teacher.get(f"http://127.0.0.1:{port}/dashboard?format=json")
                    assert answer.status == 200
                    found.append(await answer.json())
                return found

            first = await boards()
            assert first[0] == first[1]
            assert {r["state"] for r in first[0]["standings"]} == {"not started"}
            session = await asyncio.to_thread(play, room, "王丽", CALL)
            with open_store(room.url, room.home) as store:
                store.create_assignment("spring", SCENARIO, due="2030-01-01", pass_mark=90)
            second = await boards()
            assert second[0] == second[1]
            rows = [r for r in second[0]["standings"] if r["trainee"] == "王丽"]
            assert len(rows) == 2 and rows[0]["last_session"] == session
            assert rows[1]["state"] == "not started"  # assigned after that call
            for port in ports:
                debrief = await teacher.get(f"http://127.0.0.1:{port}/dashboard/debrief/{session}")
                assert debrief.status == 200 and "老赖" in await debrief.text()

    with serving(room, ports[0]), serving(room, ports[1]):
        asyncio.run(check())
