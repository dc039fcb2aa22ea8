"""plan and drift wait for an apply of the same server (issue 13, item 3).

Reading page permissions may turn the page-permission toggle on and off, so a read
in the middle of an apply would flip the toggle under it. Readers take the same
server lock as apply, in the state home (``$PSCONFIG_HOME``), whichever directory
they run from. The tests hold the lock and put PowerSchool in an apply's middle
state (the toggle on) themselves, then watch the reader: ordering comes from the
lock's observable state and the reader's own "waiting" line, never from a sleep.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from psconfig.cli.common import state_home
from psconfig.engine.lock import is_held, target_lock
from psconfig.sim import load_state, save_state
from tests.cli.helpers import log_requests, run, state_file, write_demo, writes


def _toggle(on: bool) -> None:
    path = state_file()
    save_state(load_state(path).model_copy(update={"page_toggle": on}), path)


def _reader(command: str, where: Path) -> subprocess.Popen[str]:
    """``psconfig COMMAND demo.yaml`` started in another directory."""
    where.mkdir()
    (where / "demo.yaml").write_text(Path("demo.yaml").read_text())
    return subprocess.Popen(
        [sys.executable, "-m", "psconfig", command, "demo.yaml"],
        cwd=where,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"},
    )


def _wait_for_line(process: subprocess.Popen[str], needle: str) -> str:
    """Read the reader's stderr until ``needle``; fail if it ends first."""
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if needle in line:
            return line
    out = process.stdout.read() if process.stdout else ""
    pytest.fail(f"the reader never waited; stderr: {seen!r}; stdout: {out!r}")


@pytest.mark.parametrize("command", ["plan", "drift"])
def test_a_reader_waits_for_an_apply_and_leaves_the_toggle_alone(
    command: str, tmp_path: Path
) -> None:
    write_demo()
    assert run("apply", "demo.yaml", "--auto-approve").exit_code == 0
    log_requests()
    with target_lock("sim://demo", state_home(), timeout=1) as lock:
        _toggle(True)  # an apply in its toggle bracket
        reader = _reader(command, tmp_path / "elsewhere")
        line = _wait_for_line(reader, "waiting for sim://demo")
        assert str(lock) in line
        # The reader waits: it has not touched PowerSchool, the toggle is still on.
        assert reader.poll() is None
        assert writes() == []
        assert load_state(state_file()).page_toggle is True
        _toggle(False)  # the apply restores the toggle, then lets go
    out, rest = reader.communicate(timeout=120)
    # Same lock, same simulator from another directory: a clean read.
    assert reader.returncode == 0, out + rest
    assert ("No changes." if command == "plan" else "No drift.") in out
    assert not is_held("sim://demo", state_home())


def test_a_reader_that_waits_too_long_is_refused(tmp_path: Path) -> None:
    write_demo()
    with target_lock("sim://demo", state_home(), timeout=1):
        result = run("plan", "demo.yaml", "--lock-timeout", "0")
    assert result.exit_code == 3, result.output
    assert "holds the lock for sim://demo" in result.stderr


def test_the_state_home_is_not_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PSCONFIG_HOME")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert state_home() == tmp_path / "xdg" / "psconfig"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert state_home() == tmp_path / "home" / ".local" / "state" / "psconfig"
    monkeypatch.setenv("PSCONFIG_HOME", "relative")
    assert state_home() == Path.cwd() / "relative"
