"""A district's life through the example workflows, with the real psconfig CLI.

The jobs run step by step (see ``gha``), the action from this checkout, against
``sim://demo``; only GitHub is faked, and the snapshot flags are emulated (see
``fake_psconfig``): a pull-request plan ``--live`` plans the simulator as it is,
with the simulator's sign-in given to it alone, never through the workflow. The
artifacts a job uploads are handed to the fake GitHub as the runs' artifacts, so
drift feeds the plan, and the plan's artifact is what apply applies. This proves
the workflows and the CLI agree on what matters to CI: the commands and flags, the
exit codes, the JSON plan, the markdown markers, the refusals and the audit log.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.ci import gha
from tests.ci.conftest import CONTEXT, REPO_ROOT, Fakes, RunJob

LABEL = "psconfig-drift"
DELETE_LABEL = "psconfig:allow-remove-staff"
MERGE = CONTEXT["github.sha"]
HEAD = CONTEXT["github.event.pull_request.head.sha"]
REMOVAL = """\
psconfig: 1
name: demo
server: {url: sim://demo}
removal: delete
staff:
  - id: "99999"
    ensure: absent
"""
SIM_ADMIN = {"PS_ADMIN_USER": "admin", "PS_ADMIN_PASSWORD": "psconfig-demo"}


class District:
    """The spec repository, its fake GitHub, and the jobs run on it."""

    def __init__(self, fakes: Fakes, run_example: RunJob, workspace: Path) -> None:
        self.fakes, self.run_example, self.workspace = fakes, run_example, workspace
        fakes.use_real_psconfig(SIM_ADMIN)

    def job(
        self, workflow: str, job: str, context: dict[str, str] | None = None
    ) -> gha.JobResult:
        return self.run_example(workflow, job, context)

    def drift(self) -> gha.JobResult:
        result = self.job("drift.yml", "drift", {"github.event_name": "schedule"})
        assert result.conclusion == "success", result.log
        self._publish(result, "Publish the live-state snapshot", "drift", "main", MERGE)
        return result

    def pull_request_plan(self) -> gha.JobResult:
        result = self.job("plan.yml", "plan")
        assert result.conclusion == "success", result.log
        self._publish(result, "Upload the reviewed plan", "plan", "feature", HEAD)
        return result

    def merge(self, labels: tuple[str, ...] = ()) -> gha.JobResult:
        pull = {
            "number": 7,
            "head": {"sha": HEAD},
            "base": {"ref": "main"},
            "merged_at": "2026-12-01T10:00:00Z",
            "merge_commit_sha": MERGE,
            "labels": [{"name": label} for label in labels],
        }
        events = [
            {"event": "labeled", "label": {"name": label}, "actor": {"login": "lead"}}
            for label in labels
        ]
        self.fakes.update_github(
            pulls=[pull], events={"7": events}, permissions={"lead": "maintain"}
        )
        return self.job("apply.yml", "apply", {"github.event_name": "push"})

    def comments(self) -> list[str]:
        return [c["body"] for c in self.fakes.github()["comments"].get("7", [])]

    def _publish(
        self, result: gha.JobResult, step: str, workflow: str, branch: str, sha: str
    ) -> None:
        upload = result.step(step)
        path = Path(upload.inputs["path"])
        self.fakes.add_run(
            path=f".github/workflows/psconfig-{workflow}.yml",
            headBranch=branch,
            headSha=sha,
            artifacts={upload.inputs["name"]: {path.name: path.read_text("utf-8")}},
        )


@pytest.fixture
def district(fakes: Fakes, run_example: RunJob, workspace: Path) -> District:
    shutil.copy(REPO_ROOT / "examples" / "demo.yaml", workspace / "specs")
    return District(fakes, run_example, workspace)


def runner_sim_state(workspace: Path) -> Path:
    """sim://demo's state file under psconfig's state home on the runner.

    That home is ~/.local/state/psconfig (HOME is the workspace there), not the
    working directory.
    """
    return workspace / ".local" / "state" / "psconfig" / "sim" / "demo.json"


def grant_health_logs_by_hand(workspace: Path) -> None:
    """Someone widens the Read-Only Export group in PowerSchool, outside psconfig."""
    state_file = runner_sim_state(workspace)
    state = json.loads(state_file.read_text(encoding="utf-8"))
    [group] = [g for g in state["groups"] if g["number"] == 12]
    group["log_types"] = [*group["log_types"], "health"]
    state_file.write_text(json.dumps(state), encoding="utf-8")


def runner_env(workspace: Path, **extra: str) -> dict[str, str]:
    """This process's environment with the runner's state home (HOME = workspace)."""
    env = {k: v for k, v in os.environ.items() if k != "PSCONFIG_HOME"}
    return {**env, "HOME": str(workspace), **extra}


def drift_issues(fakes: Fakes) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = fakes.github()["issues"]
    return found


def test_plan_apply_and_drift_through_the_workflows(
    district: District, fakes: Fakes, workspace: Path
) -> None:
    assert district.job("plan.yml", "validate").conclusion == "success"
    district.drift()
    assert "<!-- psconfig:plan name=demo -->" in district.pull_request_plan().summary
    [comment] = district.comments()
    assert "**Plan: 1 to create, 3 to change, 0 to remove." in comment
    assert "sync-pw-0002" not in comment
    # The pull-request plan ran with no secret of any kind in its environment.
    plan_calls = [c for c in fakes.psconfig_calls() if "--live" in c["argv"]]
    assert plan_calls and all(c["env"] == {} for c in plan_calls)

    applied = district.merge()
    assert applied.conclusion == "success", applied.log
    audit = (workspace / "_runner_temp" / "psconfig-audit.jsonl").read_text("utf-8")
    events = [json.loads(line)["event"] for line in audit.splitlines()]
    assert events[0] == "start"
    assert "change" in events
    assert "sync-pw-0002" not in audit
    assert "psconfig apply succeeded" in district.comments()[-1]

    # The first drift ran before the spec was applied and opened the issue.
    district.drift()
    assert [i["state"] for i in drift_issues(fakes)] == ["closed"]
    grant_health_logs_by_hand(workspace)
    district.drift()
    [issue] = [i for i in drift_issues(fakes) if i["state"] == "open"]
    assert "CRITICAL" in issue["title"]
    assert issue["labels"] == [LABEL]


def test_live_changes_after_the_review_make_apply_refuse_as_stale(
    district: District, workspace: Path
) -> None:
    district.drift()
    district.pull_request_plan()
    # After the review, someone edits PowerSchool by hand.
    grant_health_logs_by_hand(workspace)

    refused = district.merge()

    assert refused.conclusion == "failure"
    assert refused.step("Fail unless applied").exit_code == 3
    comment = district.comments()[-1]
    assert "the reviewed plan is stale (exit 3)" in comment
    assert "specs/demo.yaml: PowerSchool changed since the reviewed plan" in comment
    audit = workspace / "_runner_temp" / "psconfig-audit.jsonl"
    assert not audit.exists() or '"change"' not in audit.read_text("utf-8")


def test_a_removal_applies_only_with_the_label_a_maintainer_set(
    district: District, fakes: Fakes, workspace: Path
) -> None:
    # The sync account exists (set up earlier, as in the first test).
    subprocess.run(
        [sys.executable, "-m", "psconfig", "apply", "specs", "--auto-approve"],
        cwd=workspace,
        env=runner_env(workspace, CLEVER_SYNC_PASSWORD="sync-pw-0002"),
        capture_output=True,
        check=True,
    )
    district.drift()
    (workspace / "specs" / "demo.yaml").write_text(REMOVAL, encoding="utf-8")
    district.pull_request_plan()
    assert "to remove" in district.comments()[0]

    refused = district.merge()

    assert refused.conclusion == "failure"
    assert refused.step("Fail unless applied").exit_code == 3
    comment = district.comments()[-1]
    assert f"must add the label `{DELETE_LABEL}`" in comment

    applied = district.merge(labels=(DELETE_LABEL,))

    assert applied.conclusion == "success", applied.log
    assert "psconfig apply succeeded" in district.comments()[-1]
    state = json.loads(runner_sim_state(workspace).read_text("utf-8"))
    assert "99999" not in json.dumps(state["staff"])
