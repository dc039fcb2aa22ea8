"""Failures are one clear line each: spec problems, usage, unwritable paths, --out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import error_lines, run, write_demo

BROKEN = """\
psconfig: 1
name: demo
server: {url: "sim://demo"}
groups: []
users: []
"""


@pytest.mark.parametrize("command", ["plan", "drift", "apply", "verify"])
def test_spec_problems_are_one_line_each_without_a_doubled_prefix(
    command: str,
) -> None:
    Path("broken.yaml").write_text(BROKEN)
    extra = ["--auto-approve"] if command == "apply" else []
    result = run(command, "broken.yaml", *extra)
    assert result.exit_code == 1, result.output
    lines = error_lines(result)
    assert len(lines) >= 2, lines  # one per problem
    for line in lines:
        assert line.startswith("broken.yaml:"), line
        assert ": error: " in line
        assert "error: broken.yaml" not in line


def test_a_fleet_names_the_failing_spec_once() -> None:
    write_demo("specs/a.yaml")
    Path("specs/b.yaml").write_text(BROKEN)
    result = run("plan", "specs")
    assert result.exit_code == 1, result.output
    assert "\nspecs/b.yaml:4:1: error: groups: unknown key" in result.stderr
    assert "error: specs/b.yaml" not in result.stderr


def test_a_usage_error_is_one_line_exiting_1() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "psconfig", "plan", "--bogus"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    assert proc.returncode == 1
    [line] = proc.stderr.splitlines()
    assert line.startswith("error: No such option: --bogus")
    assert line.endswith("psconfig plan --help'")


def test_an_unusable_sim_dir_is_named_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_demo()
    Path("afile").write_text("")
    monkeypatch.setenv("PSCONFIG_SIM_DIR", "afile/sim")
    result = run("plan", "demo.yaml")
    assert result.exit_code == 1, result.output
    [line] = error_lines(result)
    assert line.startswith("error: afile/sim/demo.json: cannot write the simulator")
    assert "in afile/sim:" in line
    assert "unexpected" not in line


def test_sim_serve_with_an_unusable_state_path_is_one_line() -> None:
    Path("afile").write_text("")
    result = run("sim", "serve", "--state", "afile/x/demo.json")
    assert result.exit_code == 1, result.output
    [line] = error_lines(result)
    assert line.startswith("error: afile/x/demo.json: cannot write the simulator")
    assert "Traceback" not in result.output


def test_an_unusable_lock_dir_is_named_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_demo()
    Path(".psconfig").write_text("")  # a file where the lock directory goes
    monkeypatch.setenv("PSCONFIG_SIM_DIR", "sim")
    result = run("apply", "demo.yaml", "--auto-approve", "--audit-log", "audit.jsonl")
    assert result.exit_code == 1, result.output
    [line] = error_lines(result)
    assert line.startswith("error: cannot create the lock in "), line
    assert "/.psconfig/locks: " in line


OUT_COMMANDS = [
    ["plan", "demo.yaml"],
    ["import", "--server", "sim://demo"],
    ["verify", "demo.yaml"],
    ["rotate-password", "demo.yaml"],
]


@pytest.mark.parametrize("command", OUT_COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("out", ["", ".", "adir"])
def test_out_must_name_a_file(command: list[str], out: str) -> None:
    write_demo()
    Path("adir").mkdir()
    result = run(*command, "--out", out)
    assert result.exit_code == 1, result.output
    [line] = error_lines(result)
    assert line.startswith("error: --out: "), line
    assert "file name" in line
    assert "Traceback" not in result.output
