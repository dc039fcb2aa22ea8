"""``--lock-timeout`` on apply and rotate-password, and refusals that leave a record."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from psconfig.cli.common import state_home
from psconfig.engine.applying.lock import target_lock
from tests.cli.helpers import audit_events, error_lines, run, write_demo


@pytest.mark.parametrize("command", ["apply", "rotate-password"])
@pytest.mark.parametrize("value", ["nan", "-1", "inf"])
def test_lock_timeout_must_be_a_finite_number_of_seconds(
    command: str, value: str
) -> None:
    write_demo()
    extra = ["--auto-approve"] if command == "apply" else ["--out", "new.txt"]
    result = run(command, "demo.yaml", *extra, "--lock-timeout", value)
    assert result.exit_code == 1, result.output
    [line] = error_lines(result)
    assert line.startswith("error: --lock-timeout: expected a number of seconds")
    assert not Path("new.txt").exists()


def test_rotate_password_waits_only_as_long_as_asked() -> None:
    write_demo()
    assert run("apply", "demo.yaml", "--auto-approve").exit_code == 0
    with target_lock("sim://demo", state_home(), timeout=1):
        started = time.monotonic()
        result = run(
            "rotate-password",
            "demo.yaml",
            "--out",
            "new.txt",
            "--lock-timeout",
            "0.2",
        )
        waited = time.monotonic() - started
    assert result.exit_code == 3, result.output
    assert (
        "another psconfig run (apply, plan or drift) holds the lock for sim://demo"
        in result.stderr
    )
    assert "waited 0.2 s" in result.stderr
    assert waited < 5  # not the old fixed 10 s
    assert not Path("new.txt").exists()


def test_a_refusal_without_a_terminal_leaves_a_record() -> None:
    write_demo()
    write_demo("other.yaml", url="sim://other")
    result = run("apply", "demo.yaml", "other.yaml")  # stdin is not a terminal
    assert result.exit_code == 3, result.output
    assert "pass --auto-approve" in result.stderr
    records = audit_events()
    assert [r["event"] for r in records] == ["refused", "refused"]
    assert [r["target"]["url"] for r in records] == ["sim://demo", "sim://other"]
    assert all("pass --auto-approve" in r["error"] for r in records)
    assert records[0]["spec"]["path"] == "demo.yaml"
    assert records[0]["spec"]["digest"].startswith("sha256:")
    assert records[0]["target"]["powerschool_version"] == ""
    assert records[0]["operator"]["username"] == ""


def test_a_saved_plan_refused_for_the_lock_leaves_a_record() -> None:
    write_demo()
    assert run("plan", "demo.yaml", "--out", "plan.json").exit_code == 2
    planned = json.loads(Path("plan.json").read_text())
    with target_lock("sim://demo", state_home(), timeout=1):
        result = run(
            "apply", "--plan", "plan.json", "--auto-approve", "--lock-timeout", "0"
        )
    assert result.exit_code == 3, result.output
    [record] = audit_events()
    assert record["event"] == "refused"
    assert record["target"] == {
        "url": planned["target"]["url"],
        "powerschool_version": planned["target"]["powerschool_version"],
        "username": "",  # nobody signed in
    }
    assert (
        "another psconfig run (apply, plan or drift) holds the lock" in record["error"]
    )


def test_an_unwritable_audit_log_does_not_turn_a_refusal_into_an_error() -> None:
    write_demo()
    Path("logs").write_text("")  # a file where the log's directory goes
    result = run("apply", "demo.yaml", "--audit-log", "logs/audit.jsonl")
    assert result.exit_code == 3, result.output
    refusal, warning = error_lines(result)[-2:]
    assert refusal.startswith("error: apply asks for confirmation")
    assert warning.startswith("warning: cannot write the audit log logs/audit.jsonl")
    assert warning.endswith("; the refusal is not recorded")
