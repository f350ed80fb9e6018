"""Compliance sign-off end to end: ids that survive reformatting, the gate's positions,
the hash chain, SSH seals, re-review after a rule change, the compliance book."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from browser import screenshot

from trainer.approvals.ledger import LedgerError, read_ledger
from trainer.approvals.text import normalise, text_hash, word_diff

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "valid"
EASY = Path("pack/zh-CN/scenarios/first_contact/forgetful-easy.yaml")
LEDGER = Path("pack/approvals.jsonl")


@pytest.fixture
def pack(tmp_path: Path, run_cli) -> Path:  # type: ignore[no-untyped-def]
    """A copy of the valid fixture pack, every line signed once."""
    shutil.copytree(FIXTURE, tmp_path / "pack")
    done = run_cli("approvals", "sign", "pack", "--reviewer", "Ann Reviewer", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "signed" in done.stdout
    return tmp_path


def _status(run_cli, cwd: Path, *extra: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def,type-arg]
    done = run_cli("approvals", "status", "pack", "--format", "json", *extra, cwd=cwd)
    return done.returncode, json.loads(done.stdout)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


# ---------------------------------------------------------------- normalised text


def test_normalised_text_ignores_folding_but_not_words() -> None:
    assert normalise("您好,\n  我是王丽。 ") == "您好,我是王丽。"
    assert normalise("Hi,   this is\n Ann") == "Hi, this is Ann"
    assert text_hash("您好,我是王丽") == text_hash("您好, 我是 王丽")
    assert text_hash("您好,我是王丽") != text_hash("您好,我是王莉")
    assert word_diff("please call us back", "please call back") == "please call [-us -]back"
    assert word_diff("我是王丽。", "我是王莉。") == "我是王[-丽-]{+莉+}。"


# ---------------------------------------------------------------- status and the gate


def test_signed_pack_is_clean_and_the_gate_passes(pack: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    code, data = _status(run_cli, pack)
    assert code == 0 and data["pending"] == []
    assert data["counts"]["approved"] >= 10
    done = run_cli("validate", "--require-approval", "pack", cwd=pack)
    assert done.returncode == 0, done.stdout


def test_editing_a_signed_line_makes_it_changed_at_its_place(pack: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    lines = (pack / EASY).read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if "请问是{honorific}本人吗?" in line)
    column = lines[number - 1].index("请问") + 1
    _edit(pack / EASY, "请问是{honorific}本人吗?", "请问您是{honorific}本人吗?")
    code, data = _status(run_cli, pack)
    assert code == 1
    (item,) = data["pending"]
    assert item["state"] == "changed"
    assert item["id"] == (
        "zh-CN/scenarios/first_contact/forgetful-easy.yaml"
        "#fx-first-forgetful-easy/confirm/confirm_identity/best"
    )
    assert (item["file"], item["line"], item["column"]) == (str(EASY), number, column)
    assert item["diff"] == "请问{+您+}是{honorific}本人吗?"
    done = run_cli("validate", "--require-approval", "pack", cwd=pack)
    assert done.returncode == 1
    assert f"{EASY}:{number}:{column}: error A902: option changed since its approval" in done.stdout
    # the plain validation of the same files still passes: only the gate fails
    assert run_cli("validate", "pack", cwd=pack).returncode == 0


def test_reordering_and_reformatting_keep_every_approval(pack: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = pack / EASY
    text = path.read_text(encoding="utf-8")
    best = (
        "      - text: 您好,我是{institution}{unit}的{agent_name}经理,工号{staff_id}。\n"
        "        quality: best\n"
        "        why: 先报机构、部门和姓氏,客户才能回拨并被转接到您。\n"
        "        intent: greet_identify\n"
    )
    poor = (
        "      - text: 你好,银行的,找李明。\n"
        "        quality: poor\n"
        "        why: 没有说明部门和姓氏,也直接点了全名,像是催债电话,容易被挂断。\n"
        "        intent: greet_identify\n"
    )
    assert best + poor in text
    # options swapped, the best one folded over two lines and its keys reordered
    folded = (
        "      - intent: greet_identify\n"
        "        quality: best\n"
        "        text: >-\n"
        "          您好,我是{institution}{unit}的{agent_name}经理,\n"
        "          工号{staff_id}。\n"
        "        why: 先报机构、部门和姓氏,客户才能回拨并被转接到您。\n"
    )
    text = text.replace(best + poor, poor + folded)
    # objectives: a flow list becomes a block list, in another order, one of them quoted
    text = text.replace(
        "objectives: [自报机构和姓氏, 核实身份, 清楚说明金额, 约定金额、日期和渠道]",
        'objectives:\n  - 核实身份\n  - "自报机构和姓氏"\n'
        "  - 约定金额、日期和渠道\n  - 清楚说明金额",
    )
    path.write_text(text, encoding="utf-8")
    code, data = _status(run_cli, pack)
    assert (code, data["pending"]) == (0, [])


def test_a_new_line_fails_the_gate_and_signing_clears_it(pack: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    _edit(
        pack / EASY,
        "        why: 先确认是本人,才能谈任何账户信息。\n        intent: confirm_identity\n",
        "        why: 先确认是本人,才能谈任何账户信息。\n        intent: confirm_identity\n"
        "      - text: 请问您是{debtor_name}本人吗?\n"
        "        quality: acceptable\n"
        "        why: 用全名确认本人。\n"
        "        intent: confirm_identity\n",
    )
    code, data = _status(run_cli, pack)
    assert code == 1 and [p["state"] for p in data["pending"]] == ["new"]
    assert data["pending"][0]["id"].endswith("/confirm/confirm_identity/acceptable")
    done = run_cli("validate", "--require-approval", "pack", cwd=pack)
    assert done.returncode == 1 and "error A901: option not approved" in done.stdout
    signed = run_cli("approvals", "sign", "pack", "--reviewer", "Bo", "--note", "n", cwd=pack)
    assert signed.returncode == 0 and "signed 1 line(s)" in signed.stdout
    assert _status(run_cli, pack)[0] == 0
    last = json.loads((pack / LEDGER).read_text(encoding="utf-8").splitlines()[-1])
    assert (last["reviewer"], last["note"], last["action"]) == ("Bo", "n", "approve")
    assert last["rulebook"]["id"] == "zh-CN" and last["findings"] == []


def test_a_removed_line_is_listed_and_withdrawn(pack: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    _edit(
        pack / EASY,
        "      - text: 您尾号{card_last4}的信用卡本期应还{amount_owed}元,"
        "已经逾期{days_past_due}天了。\n"
        "        quality: acceptable\n"
        "        why: 金额说得清楚,但漏了录音告知。\n"
        "        intent: state_purpose\n",
        "",
    )
    code, data = _status(run_cli, pack)
    assert code == 1 and [(p["state"], p["file"]) for p in data["pending"]] == [("removed", None)]
    assert run_cli("validate", "--require-approval", "pack", cwd=pack).returncode == 0
    run_cli("approvals", "sign", "pack", "--reviewer", "Bo", cwd=pack)
    last = json.loads((pack / LEDGER).read_text(encoding="utf-8").splitlines()[-1])
    assert last["action"] == "withdraw" and last["id"] == data["pending"][0]["id"]
    assert _status(run_cli, pack)[0] == 0


def test_a_narrowed_status_does_not_call_the_rest_removed(pack: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    done = run_cli("approvals", "status", "pack/zh-CN/wording", "--format", "json", cwd=pack)
    data = json.loads(done.stdout)
    assert done.returncode == 0 and data["pending"] == [] and data["counts"]["approved"] == 1


ORPHAN = """\
  orphan:
    stage: close
    say: ["嗯。"]
    fallback:
      say: ["好。"]
      goto: ptp_secured
    options:
      - text: 感谢您的配合,再见。
        quality: best
        why: 礼貌收尾。
        intent: close_politely
"""


def test_a_line_no_trainee_can_reach_is_listed_but_passes_the_gate(pack: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    _edit(pack / EASY, "\nendings:\n", "\n" + ORPHAN + "endings:\n")
    code, data = _status(run_cli, pack)
    assert code == 1 and [(p["state"], p["reachable"]) for p in data["pending"]] == [("new", False)]
    done = run_cli("validate", "--require-approval", "pack", cwd=pack)
    assert done.returncode == 0 and "A901" not in done.stdout and "G401" in done.stdout


def test_a_file_that_does_not_load_withdraws_nothing(pack: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    _edit(pack / EASY, "kind: scenario\n", "kind: scenario\n  broken: [\n")
    code, data = _status(run_cli, pack)
    assert code == 0 and data["pending"] == []
    before = (pack / LEDGER).read_bytes()
    done = run_cli("approvals", "sign", "pack", "--reviewer", "Bo", cwd=pack)
    assert done.returncode == 1 and "nothing signed: some content does not load" in done.stderr
    assert (pack / LEDGER).read_bytes() == before


# ---------------------------------------------------------------- serious findings


def test_a_line_with_a_major_finding_needs_an_override(pack: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    bad = "我是公安局经侦大队的,请您配合。"
    _edit(pack / EASY, "请问是{honorific}本人吗?", bad)
    before = (pack / LEDGER).read_bytes()
    done = run_cli("approvals", "sign", "pack", "--reviewer", "Bo", cwd=pack)
    assert done.returncode == 1 and "nothing signed" in done.stderr
    assert f"{EASY}:" in done.stdout and "error A904" in done.stdout
    assert "--override REASON" in done.stdout
    assert (pack / LEDGER).read_bytes() == before
    done = run_cli(
        "approvals", "sign", "pack", "--reviewer", "Bo", "--override", "test line", cwd=pack
    )
    assert done.returncode == 0
    last = json.loads((pack / LEDGER).read_text(encoding="utf-8").splitlines()[-1])
    assert last["override"] == "test line"
    assert any(f["category"] == "impersonation" for f in last["findings"])


# ---------------------------------------------------------------- the chain


def test_a_tampered_entry_is_detected(pack: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    ledger = pack / LEDGER
    rows = ledger.read_text(encoding="utf-8").splitlines()
    assert len(read_ledger(ledger)) == len(rows) >= 3
    # 1. an old entry edited in place
    entry = json.loads(rows[1])
    entry["reviewer"] = "Mallory"
    ledger.write_text("\n".join([rows[0], json.dumps(entry, ensure_ascii=False), *rows[2:]]) + "\n")
    done = run_cli("approvals", "status", "pack", cwd=pack)
    assert done.returncode == 2
    assert f"{LEDGER}:2: entry 2 was changed after it was written" in done.stderr
    assert run_cli("validate", "--require-approval", "pack", cwd=pack).returncode == 2
    # 2. the same edit with its own hash recomputed: the next entry no longer follows it
    from trainer.approvals.ledger import entry_digest

    entry["entry"] = entry_digest(entry)
    ledger.write_text("\n".join([rows[0], json.dumps(entry, ensure_ascii=False), *rows[2:]]) + "\n")
    with pytest.raises(LedgerError, match=r":3: entry 3 does not follow"):
        read_ledger(ledger)
    # 3. an entry removed
    ledger.write_text("\n".join([rows[0], *rows[2:]]) + "\n")
    with pytest.raises(LedgerError, match=r":2: entry 3 where entry 2 belongs"):
        read_ledger(ledger)
    # 4. the untouched ledger reads again
    ledger.write_text("\n".join(rows) + "\n")
    assert len(read_ledger(ledger)) == len(rows)


def test_a_sign_off_never_chains_onto_a_ledger_that_changed_under_it(pack: Path) -> None:
    from trainer.approvals.ledger import append

    ledger = pack / LEDGER
    read = read_ledger(ledger)
    append(ledger, read, [{"action": "withdraw", "id": "x", "reviewer": "A"}])
    with pytest.raises(LedgerError, match="the ledger changed while signing"):
        append(ledger, read, [{"action": "withdraw", "id": "y", "reviewer": "B"}])
    assert len(read_ledger(ledger)) == len(read) + 1


# ---------------------------------------------------------------- SSH seals


def _keygen(folder: Path, name: str) -> tuple[Path, str]:
    key = folder / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
        check=True,
        capture_output=True,
    )
    return key, (folder / f"{name}.pub").read_text(encoding="utf-8").strip()


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is not installed")
def test_ssh_seal_round_trips(pack: Path, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    keys = tmp_path / "keys"
    keys.mkdir()
    key, public = _keygen(keys, "ann")
    _, other = _keygen(keys, "eve")
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"ann@example.com {public}\n", encoding="utf-8")
    _edit(pack / EASY, "请问是{honorific}本人吗?", "请问您是{honorific}本人吗?")
    done = run_cli(
        "approvals", "sign", "pack", "--reviewer", "Ann Reviewer",
        "--ssh-key", str(key), "--signer", "ann@example.com", cwd=pack,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "sealed the ledger" in done.stdout
    seal = read_ledger(pack / LEDGER)[-1]
    assert seal.action == "seal" and "BEGIN SSH SIGNATURE" in seal.data["signature"]
    verify = ("approvals", "verify", "pack", "--allowed-signers", str(allowed))
    done = run_cli(*verify, cwd=pack)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "good seal by ann@example.com" in done.stdout
    # a key that is not trusted for this principal does not verify
    allowed.write_text(f"ann@example.com {other}\n", encoding="utf-8")
    done = run_cli(*verify, cwd=pack)
    assert done.returncode == 1 and "BAD seal" in done.stdout
    allowed.write_text(f"ann@example.com {public}\n", encoding="utf-8")
    # the whole ledger rewritten consistently up to the seal: the seal no longer matches
    from trainer.approvals.ledger import chain

    entries = read_ledger(pack / LEDGER)
    forged = [dict(e.data) for e in entries]
    forged[0]["reviewer"] = "Mallory"
    rebuilt = chain(
        [], [{k: v for k, v in d.items() if k not in ("seq", "prev", "entry")} for d in forged]
    )
    rebuilt[-1] = {**rebuilt[-1]}  # the seal keeps the head it signed
    (pack / LEDGER).write_text(
        "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in rebuilt), encoding="utf-8"
    )
    done = run_cli(*verify, cwd=pack)
    assert done.returncode == 1 and "BAD seal" in done.stdout


# ---------------------------------------------------------------- rules change


OVERLAY = """\
kind: rulebook
id: acme-bank
version: "2026.1"
extends: zh-CN
rules:
  - id: ZH-IDN-901
    category: identity
    severity: minor
    title: 测试:不要索要身份证号
    message: 测试规则
    suggestion: 改用其他核实方式
    citations: [{instrument: 测试, status: verify}]
    triggers: [身份证]
    examples:
      flag: [请报一下身份证后四位, 身份证号码多少, 把身份证拿出来]
      pass: [您好, 谢谢]
"""


def test_a_rulebook_change_lists_exactly_the_affected_lines(pack: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    overlay = pack / "overlay.yaml"
    overlay.write_text(OVERLAY, encoding="utf-8")
    from trainer.services.approvals import open_review

    with_id = {
        line.id
        for line in open_review([pack / "pack"]).lines
        if "身份证" in line.rendered and line.contexts
    }
    assert with_id  # the fixture asks for ID digits somewhere
    code, data = _status(run_cli, pack, "--rules", str(overlay))
    assert code == 1
    assert {p["state"] for p in data["pending"]} == {"rules"}
    assert {p["id"] for p in data["pending"]} == with_id
    assert all("ZH-IDN-901 (minor)" in p["message"] for p in data["pending"])
    # unchanged rules: nothing to re-review
    assert _status(run_cli, pack)[0] == 0
    # re-signed under the overlay, the lines are approved under it
    run_cli("approvals", "sign", "pack", "--reviewer", "Bo", "--rules", str(overlay), cwd=pack)
    assert _status(run_cli, pack, "--rules", str(overlay))[0] == 0


# ---------------------------------------------------------------- other gates


def test_audit_can_require_approval(pack: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("audit", "pack", "--require-approval", cwd=pack).returncode == 0
    _edit(pack / EASY, "请问是{honorific}本人吗?", "请问您是{honorific}本人吗?")
    done = run_cli("audit", "pack", "--require-approval", cwd=pack)
    assert done.returncode == 1 and "error A902" in done.stderr
    assert run_cli("audit", "pack", cwd=pack).returncode == 0


def test_the_app_refuses_unapproved_content(pack: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    _edit(pack / EASY, "请问是{honorific}本人吗?", "请问您是{honorific}本人吗?")
    done = run_cli("tui", "--content", "pack", "--require-approval", cwd=pack)
    assert done.returncode == 1
    assert "error A902" in done.stderr and "refuses unapproved content" in done.stderr


def test_errors_are_one_line_with_an_exit_code(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    done = run_cli("approvals", "status", "nowhere", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0
    assert "nowhere: no such file or folder" in done.stderr
    shutil.copytree(FIXTURE, tmp_path / "pack")
    (tmp_path / LEDGER).write_text("{not json\n", encoding="utf-8")
    done = run_cli("approvals", "sign", "pack", "--reviewer", "x", cwd=tmp_path)
    assert done.returncode == 2 and "approvals.jsonl:1: not a JSON entry" in done.stderr
    done = run_cli("approvals", "sign", "pack", "--reviewer", "  ", cwd=tmp_path)
    assert done.returncode == 2 and "--reviewer must name someone" in done.stderr


# ---------------------------------------------------------------- the book


def test_the_book_as_csv_and_self_contained_html(pack: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    done = run_cli("approvals", "report", "pack", "--format", "csv", cwd=pack)
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    _, data = _status(run_cli, pack)
    assert done.returncode == 0 and len(rows) == data["counts"]["approved"]
    assert {r["reviewer"] for r in rows} == {"Ann Reviewer"}
    assert rows[0]["stage"] == "first_contact" and rows[-1]["stage"] == "wording"
    (pack / "book.html").unlink(missing_ok=True)
    done = run_cli("approvals", "report", "pack", "-o", "book.html", cwd=pack)
    page = (pack / "book.html").read_text(encoding="utf-8")
    assert done.returncode == 0 and page.startswith("<!DOCTYPE html>")
    for needle in ("http://", "https://", "<script", "<link", " src=", "@import", "url("):
        assert needle not in page
    for text in ("请问是{honorific}本人吗?", "先确认是本人,才能谈任何账户信息。", "Ann Reviewer"):
        assert text in page


def test_the_book_escapes_content(pack: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    _edit(pack / EASY, "先确认是本人,才能谈任何账户信息。", "<b>先确认</b>是本人")
    done = run_cli("approvals", "report", "pack", cwd=pack)
    assert "&lt;b&gt;先确认&lt;/b&gt;" in done.stdout and "<b>先确认" not in done.stdout


def test_the_book_renders_in_a_headless_browser(pack: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    page, shot = pack / "book.html", pack / "book.png"
    run_cli("approvals", "report", "pack", "-o", str(page), cwd=pack)
    data = screenshot(page, shot, size="1000,1400")
    assert data.startswith(b"\x89PNG") and len(data) > 20_000


def test_the_app_refuses_when_the_environment_says_so(
    pack: Path,
    run_cli,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _edit(pack / EASY, "请问是{honorific}本人吗?", "请问您是{honorific}本人吗?")
    monkeypatch.setenv("TRAINER_REQUIRE_APPROVAL", "1")
    done = run_cli("tui", "--content", "pack", cwd=pack)
    assert done.returncode == 1 and "refuses unapproved content" in done.stderr


def test_sign_only_the_lines_named(pack: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    _edit(pack / EASY, "请问是{honorific}本人吗?", "请问您是{honorific}本人吗?")
    _edit(pack / EASY, "先报机构、部门和姓氏", "先报机构、部门和姓名")  # a why: not signed text
    _edit(pack / "pack/zh-CN/wording/opening.yaml", "工号1234", "工号5678")
    code, data = _status(run_cli, pack)
    assert code == 1 and len(data["pending"]) == 2
    done = run_cli(
        "approvals", "sign", "pack", "--reviewer", "Bo", "--id", "zh-CN/wording/", cwd=pack
    )
    assert done.returncode == 0 and "signed 1 line(s)" in done.stdout
    code, data = _status(run_cli, pack)
    assert [p["id"].split("#")[1] for p in data["pending"]] == [
        "fx-first-forgetful-easy/confirm/confirm_identity/best"
    ]
