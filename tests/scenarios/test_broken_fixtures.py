"""Each broken fixture yields its code at the right line and column, in text and JSON.

Files in tests/fixtures/broken/ are named after the code they demonstrate and
start with ``# expect: CODE LINE:COLUMN`` (and optionally ``# also: CODE…`` for
errors that necessarily come with it).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from trainer.scenarios.loader import context_for, load_content

BROKEN = Path(__file__).resolve().parents[1] / "fixtures" / "broken"
FILES = sorted(BROKEN.glob("[A-Z][0-9][0-9][0-9]-*.yaml"))
EXPECT = re.compile(rb"^# expect: ([A-Z]\d{3}) (\d+):(\d+)\n(?:# also: ([A-Z0-9 ]+?)(?: \(|\n))?")
#: Internal errors of other packages' plugins are not what these fixtures test.
IGNORED = {"X900"}
#: Codes that are warnings: their fixtures must produce no error at all.
WARNINGS = {"R310", "R311", "G401", "G403", "G404", "G405", "G406", "Y110"}


def _expectation(path: Path) -> tuple[str, int, int, set[str]]:
    match = EXPECT.match(path.read_bytes())
    assert match, f"{path.name} must start with '# expect: CODE LINE:COL'"
    code, line, col, also = match.groups()
    extra = set(also.decode().split()) if also else set()
    return code.decode(), int(line), int(col), extra


def test_every_code_has_a_fixture() -> None:
    codes = {path.name[:4] for path in FILES}
    expected = {f"Y10{i}" for i in range(1, 8)} | {f"S20{i}" for i in range(1, 6)}
    expected |= {f"R3{i:02d}" for i in range(1, 12)} | {f"G40{i}" for i in range(1, 6)}
    expected |= {"P501", "P502", "P503", "G406", "Y110"}
    assert codes == expected


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_fixture_yields_its_code_in_place(path: Path) -> None:
    code, line, col, also = _expectation(path)
    assert path.name.startswith(code)
    _, diagnostics = load_content([path], context=context_for([path]))
    here = [(d.code, d.line, d.column) for d in diagnostics if Path(d.file).name == path.name]
    assert (code, line, col) in here, diagnostics
    errors = {d.code for d in diagnostics if d.severity == "error"} - IGNORED
    if code[0] in "RGP" and code not in WARNINGS:
        assert errors <= {code} | also, diagnostics
    elif code in WARNINGS:
        assert errors == set(), diagnostics  # warnings only
        warning = next(d for d in diagnostics if d.code == code)
        assert warning.severity == "warning"
    else:
        assert errors == {code}, diagnostics
    for diagnostic in diagnostics:
        assert diagnostic.hint, f"{diagnostic.code} has no hint"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_fixture_through_the_cli(path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    code, line, col, _ = _expectation(path)
    text = run_cli("validate", str(path))
    assert "Traceback" not in text.stderr
    where = rf"{re.escape(path.name)}:{line}:{col}: (error|warning) {code}: "
    assert re.search(where, text.stdout), text.stdout
    assert text.stdout.splitlines()[-1].startswith(("invalid:", "valid:"))
    as_json = run_cli("validate", "--format", "json", str(path))
    report = json.loads(as_json.stdout)
    assert set(report) == {"errors", "warnings"}
    bucket = "warnings" if code in WARNINGS else "errors"
    found = [d for d in report[bucket] if d["code"] == code and Path(d["file"]).name == path.name]
    assert found and (found[0]["line"], found[0]["column"]) == (line, col)
    assert set(found[0]) == {"file", "line", "column", "code", "message", "hint"}
    strict_errors = [d for d in report["errors"] if d["code"] not in IGNORED]
    if bucket == "errors":
        assert text.returncode == as_json.returncode == 1
    elif not strict_errors:
        assert text.returncode == 0
        assert run_cli("validate", "--strict", str(path)).returncode == 1
