"""The bad-input corpus: every malformed or unsafe spec fails with a located error.

Each ``corpus/*.yaml`` states what it expects in its header:
``# expect: LINE:COL [warning] [RULE] "message substring"`` (the substring as a JSON
string). A case that expects only warnings is a valid spec (exit 0) whose warnings
a careless reviewer would miss: a catch-all address range, a built-in group's name.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.spec.conftest import CORPUS, REPO, Invoke

_EXPECT = re.compile(r'^# expect: (\d+):(\d+)(?: (warning))?(?: (PS\d{3}))? (".*")$')
_LINE = re.compile(
    r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning|notice): "
    r"(?P<message>.*?)(?: \[(?P<rule>PS\d{3})\])?$"
)


@dataclass(frozen=True)
class Expected:
    line: int
    col: int
    rule: str
    text: str
    severity: str = "error"


def expectations(path: Path) -> list[Expected]:
    found = []
    for line in path.read_bytes().decode("latin-1").splitlines():
        match = _EXPECT.match(line)
        if match:
            found.append(
                Expected(
                    int(match[1]),
                    int(match[2]),
                    match[4] or "",
                    json.loads(match[5]),
                    match[3] or "error",
                )
            )
    return found


CASES = sorted(CORPUS.glob("*.yaml"))


def test_the_corpus_is_large_and_every_case_says_what_it_expects() -> None:
    assert len(CASES) >= 30
    for case in CASES:
        assert expectations(case), f"{case.name} has no '# expect:' line"


def assert_reported(output: str, case: Path, expected: list[Expected]) -> None:
    assert "Traceback" not in output
    found = [m for m in map(_LINE.match, output.splitlines()) if m]
    assert found, f"no located line in:\n{output}"
    for want in expected:
        assert any(
            Path(m["file"]).name == case.name
            and (int(m["line"]), int(m["col"])) == (want.line, want.col)
            and m["severity"] == want.severity
            and (m["rule"] or "") == want.rule
            and want.text in m["message"]
            for m in found
        ), f"{case.name}: expected {want} in:\n{output}"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_corpus_case_is_rejected_at_its_position(cli: Invoke, case: Path) -> None:
    result = cli("validate", str(case))
    expected = expectations(case)
    errors = any(want.severity == "error" for want in expected)
    assert result.exit_code == (1 if errors else 0), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert_reported(result.stdout, case, expected)


SUBPROCESS_CASES = [
    "tag-python-object",
    "alias-bomb",
    "non-utf8",
    "policy-ps009-dde-page",
    "syntax-unclosed-flow",
]


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_corpus_case_through_python_dash_m(name: str) -> None:
    case = CORPUS / f"{name}.yaml"
    proc = subprocess.run(
        [sys.executable, "-m", "psconfig", "validate", str(case)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert_reported(proc.stdout, case, expectations(case))


def test_every_corpus_case_in_one_run_reports_each_file(cli: Invoke) -> None:
    result = cli("validate", "--format", "json", str(CORPUS))
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert {Path(f["path"]).name for f in document["files"]} == {c.name for c in CASES}
    warned_only = {
        c.name
        for c in CASES
        if all(want.severity == "warning" for want in expectations(c))
    }
    assert {Path(f["path"]).name for f in document["files"] if f["valid"]} == (
        warned_only
    )
