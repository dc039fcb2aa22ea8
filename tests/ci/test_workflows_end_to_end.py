"""A district's life through the example workflows, with the real psconfig CLI.

The jobs run step by step (see ``gha``) against ``sim://demo``; only GitHub is
faked. This proves the workflows and the CLI agree on what matters to CI: the
commands and flags, the exit codes, the markdown markers, the CRITICAL wording and
the audit log.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.ci.conftest import REPO_ROOT, Fakes, RunJob

LABEL = "psconfig-drift"


def drift_issues(fakes: Fakes) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = fakes.github()["issues"]
    return found


def grant_health_logs_by_hand(workspace: Path) -> None:
    """Someone widens the Read-Only Export group in PowerSchool, outside psconfig."""
    # psconfig's state home on the runner: ~/.local/state/psconfig (HOME is the
    # workspace there), not the working directory.
    state_file = workspace / ".local" / "state" / "psconfig" / "sim" / "demo.json"
    state = json.loads(state_file.read_text(encoding="utf-8"))
    [group] = [g for g in state["groups"] if g["number"] == 12]
    group["log_types"] = [*group["log_types"], "health"]
    state_file.write_text(json.dumps(state), encoding="utf-8")


def test_plan_apply_and_drift_through_the_workflows(
    fakes: Fakes, run_example: RunJob, workspace: Path
) -> None:
    shutil.copy(REPO_ROOT / "examples" / "demo.yaml", workspace / "specs")

    def run(workflow: str, job: str) -> str:
        result = run_example(workflow, job, real_psconfig=True)
        assert result.conclusion == "success", result.log
        return result.summary

    run("plan.yml", "validate")
    assert "<!-- psconfig:plan name=demo -->" in run("plan.yml", "plan")
    [comment] = fakes.github()["comments"]["7"]
    assert "**Plan: 1 to create, 3 to change, 0 to remove." in comment["body"]
    assert "sync-pw-0002" not in comment["body"]

    run("apply.yml", "apply")
    audit = (workspace / "_runner_temp" / "psconfig-audit.jsonl").read_text("utf-8")
    events = [json.loads(line)["event"] for line in audit.splitlines()]
    assert events[0] == "start"
    assert "change" in events
    assert "sync-pw-0002" not in audit

    run("plan.yml", "plan")
    [comment] = fakes.github()["comments"]["7"]  # the same comment, edited
    assert "No changes. PowerSchool matches the spec." in comment["body"]

    run("drift.yml", "drift")
    assert drift_issues(fakes) == []

    grant_health_logs_by_hand(workspace)
    run("drift.yml", "drift")
    [issue] = drift_issues(fakes)
    assert issue["state"] == "open"
    assert "CRITICAL" in issue["title"]
    assert issue["labels"] == [LABEL]

    run("apply.yml", "apply")
    run("drift.yml", "drift")
    [issue] = drift_issues(fakes)
    assert issue["state"] == "closed"
