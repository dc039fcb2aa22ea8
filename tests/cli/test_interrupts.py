"""Ctrl-C during apply, with a real process and real signals (issue 13, item 4).

A second Ctrl-C while an interrupted apply turns the page-permission toggle back
off must not stop it, and the audit log records the restore and every change left;
Ctrl-C at the [y/N] question cancels at once with exit 130. Ordering comes from
the process's own output lines and the simulator's latency knob, never a sleep.
"""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from psconfig.sim import load_state, save_state
from tests.cli.helpers import AUDIT_LOG, audit_events, run, state_file, write_demo

ENABLED = "page_toggle [enable (temporary)]: applied"
RESTORING = "interrupted: turning the page-permission toggle back off"
IGNORED = "Ctrl-C ignored"
LATENCY_MS = 800  # the restore takes at least three requests: 2.4 s or more


def _env() -> dict[str, str]:
    extra = {"PYTHONUNBUFFERED": "1", "NO_COLOR": "1", "PYTHONFAULTHANDLER": "1"}
    return {**os.environ, **extra}


def _slow_simulator() -> None:
    assert run("plan", "demo.yaml").exit_code == 2  # seeds sim://demo
    path = state_file()
    state = load_state(path)
    faults = state.faults.model_copy(update={"latency_ms": LATENCY_MS})
    save_state(state.model_copy(update={"faults": faults}), path)


def _lines(process: subprocess.Popen[str]) -> Iterator[str]:
    assert process.stdout is not None
    yield from process.stdout


def _until(lines: Iterator[str], needle: str, seen: list[str]) -> None:
    for line in lines:
        seen.append(line)
        if needle in line:
            return
    raise AssertionError(f"never saw {needle!r} in:\n{''.join(seen)}")


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except OSError:  # the other end closed
        return


def test_a_second_ctrl_c_does_not_stop_the_toggle_restore() -> None:
    write_demo()
    _slow_simulator()
    apply = subprocess.Popen(
        [sys.executable, "-m", "psconfig", "apply", "demo.yaml", "--auto-approve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(),
    )
    seen: list[str] = []
    lines = _lines(apply)
    try:
        _until(lines, ENABLED, seen)
        apply.send_signal(signal.SIGINT)
        _until(lines, RESTORING, seen)
        apply.send_signal(signal.SIGINT)  # during the restore: ignored
        apply.send_signal(signal.SIGINT)
        _until(lines, IGNORED, seen)
        seen.extend(lines)
        code = apply.wait(timeout=120)
    finally:
        apply.kill()
        apply.wait()
    output = "".join(seen)
    assert code == 130, output
    assert load_state(state_file()).page_toggle is False, output
    assert "Traceback" not in output
    events = audit_events()
    changes = [e for e in events if e["event"] == "change"]
    restore = [c for c in changes if c["detail"] == "restore off"]
    assert [c["outcome"] for c in restore] == ["applied"], changes
    outcomes = {c["address"]: c["outcome"] for c in changes}
    assert outcomes['staff["99999"]'] in ("skipped", "failed")
    assert "skipped" in outcomes.values()
    # Every change of the plan is accounted for, once.
    start = next(e for e in events if e["event"] == "start")
    assert len(changes) == start["changes"]
    assert events[-1]["event"] == "end" and events[-1]["outcome"] == "interrupted"


def test_ctrl_c_at_the_question_cancels_at_once() -> None:
    write_demo()
    assert run("plan", "demo.yaml").exit_code == 2
    before = load_state(state_file())
    controller, terminal = pty.openpty()
    apply = subprocess.Popen(
        [sys.executable, "-m", "psconfig", "apply", "demo.yaml"],
        stdin=terminal,
        stdout=terminal,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    os.close(terminal)
    shown = b""
    try:
        while b"[y/N]" not in shown:
            chunk = os.read(controller, 4096)
            assert chunk, f"no question; the terminal showed {shown!r}"
            shown += chunk
        # Keep the terminal drained, so no write of the process can block on it.
        drain = threading.Thread(target=_drain, args=(controller,), daemon=True)
        drain.start()
        apply.send_signal(signal.SIGINT)
        try:
            code = apply.wait(timeout=60)
        except subprocess.TimeoutExpired:
            apply.send_signal(signal.SIGABRT)  # faulthandler: where it hangs
            apply.wait()
            assert apply.stderr is not None
            pytest.fail(f"Ctrl-C at the question was ignored:\n{apply.stderr.read()}")
    finally:
        apply.kill()
        apply.wait()
        os.close(controller)
    assert apply.stderr is not None
    errors = apply.stderr.read()
    assert code == 130, errors
    assert "interrupted" in errors and "Traceback" not in errors
    after = load_state(state_file())
    assert after.groups == before.groups and after.staff == before.staff
    assert after.page_toggle is False
    records = [json.loads(line) for line in AUDIT_LOG.read_text().splitlines()]
    assert [r["event"] for r in records] == ["refused"]
    assert "interrupted at the review" in records[0]["error"]
