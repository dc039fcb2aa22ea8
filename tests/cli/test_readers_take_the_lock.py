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
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from psconfig.cli.common import state_home
from psconfig.engine.applying.lock import is_held, target_lock
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


def test_a_plan_started_during_a_real_apply_waits_for_it(tmp_path: Path) -> None:
    """A real apply, paused (SIGSTOP) inside its toggle bracket, then resumed.

    The simulator's latency (500 ms a request) leaves the apply seconds of work
    after it says the toggle is on, so it is surely paused inside the bracket.
    """
    write_demo()
    assert run("plan", "demo.yaml").exit_code == 2  # seeds sim://demo
    state = load_state(state_file())
    faults = state.faults.model_copy(update={"latency_ms": 500})
    save_state(state.model_copy(update={"faults": faults}), state_file())
    apply = subprocess.Popen(
        [sys.executable, "-m", "psconfig", "apply", "demo.yaml", "--auto-approve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"},
    )
    reader = None
    try:
        assert apply.stdout is not None
        for line in apply.stdout:
            if "page_toggle [enable (temporary)]: applied" in line:
                break
        else:
            pytest.fail("the apply never turned the toggle on")
        apply.send_signal(signal.SIGSTOP)  # mid-apply: lock held, toggle on
        assert is_held("sim://demo", state_home())
        assert load_state(state_file()).page_toggle is True
        reader = _reader("plan", tmp_path / "elsewhere")
        _wait_for_line(reader, "waiting for sim://demo")
        assert reader.poll() is None
        apply.send_signal(signal.SIGCONT)
        rest = apply.communicate(timeout=120)[0]
        assert apply.returncode == 0, rest
        out, err = reader.communicate(timeout=120)
    finally:
        apply.send_signal(signal.SIGCONT)
        apply.kill()
        apply.wait()
        if reader is not None:
            reader.kill()
            reader.wait()
    # The plan read after the apply: nothing left to do, nothing flipped under it.
    assert reader.returncode == 0, out + err
    assert "No changes." in out
    assert load_state(state_file()).page_toggle is False
