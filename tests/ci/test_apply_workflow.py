"""examples/github/apply.yml, run step by step with fake psconfig and gh.

Contract: on a merge, apply finds the merged pull request, takes the JSON plan of
the last successful plan run for its head commit (the reviewed plan), plans again
live, refuses as stale (exit 3, a comment on the pull request) unless spec digest,
target and changes are exactly the reviewed ones, and otherwise applies each fresh
plan with ``apply --plan``. Intents come only from labels set by accounts with
write access; a refusal for a missing intent names the label to add. The admin
secrets reach the apply step only; the audit log is uploaded whatever happened.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.ci.conftest import CONTEXT, Fakes, RunJob

UPLOAD = "Upload the audit log"
HEAD = "0123456789abcdef0123456789abcdef01234567"
MERGE = CONTEXT["github.sha"]
PR = "7"
DELETE_LABEL = "psconfig:allow-remove-staff"
LOWER_LABEL = "psconfig:allow-lower-access"
GROUPS_LABEL = "psconfig:allow-add-groups"


def a_plan(path: str = "specs/a.yaml", **changed: Any) -> dict[str, Any]:
    plan = {
        "format_version": "1.0",
        "mode": "plan",
        "target": {"url": "https://ps.example.org", "username": "ps-admin"},
        "spec": {"path": path, "name": "a", "digest": "sha256:aaa"},
        "live_fingerprint": "sha256:111",
        "changes": [{"address": "group.12", "actions": ["update"]}],
        "notes": [],
    }
    return plan | changed


def fleet(*plans: dict[str, Any]) -> dict[str, Any]:
    return {"command": "plan", "districts": [{"plan": p} for p in plans]}


def merged(fakes: Fakes, reviewed: Any, labels: tuple[str, ...] = ()) -> int:
    """PR 7 merged as MERGE; a successful plan run of HEAD saved ``reviewed``."""
    fakes.update_github(
        pulls=[
            {
                "number": int(PR),
                "head": {"sha": HEAD},
                "base": {"ref": "main"},
                "merged_at": "2026-12-01T10:00:00Z",
                "merge_commit_sha": MERGE,
                "labels": [{"name": label} for label in labels],
            }
        ]
    )
    return fakes.add_run(
        path=".github/workflows/psconfig-plan.yml",
        headBranch="feature",
        headSha=HEAD,
        artifacts={"psconfig-plan": {"plan.json": json.dumps(reviewed)}},
    )


def label_added_by(fakes: Fakes, label: str, login: str, permission: str) -> None:
    events = fakes.github().get("events", {}).get(PR, [])
    events.append(
        {"event": "labeled", "label": {"name": label}, "actor": {"login": login}}
    )
    permissions = fakes.github().get("permissions", {}) | {login: permission}
    fakes.update_github(events={PR: events}, permissions=permissions)


def plans_now(fakes: Fakes, fresh: Any, apply_exit: int = 0, err: str = "") -> None:
    fakes.psconfig_returns_for("plan:json", 2, json.dumps(fresh))
    fakes.psconfig_returns_for("apply", apply_exit, "Apply complete.\n", err)


def apply_calls(fakes: Fakes) -> list[list[str]]:
    return [c["argv"] for c in fakes.psconfig_calls() if c["argv"][0] == "apply"]


def pr_comments(fakes: Fakes) -> list[str]:
    return [c["body"] for c in fakes.github()["comments"].get(PR, [])]


def test_applies_exactly_the_reviewed_plan(fakes: Fakes, run_example: RunJob) -> None:
    merged(fakes, a_plan())
    plans_now(fakes, a_plan())

    job = run_example("apply.yml", "apply", {"github.event_name": "push"})

    assert job.conclusion == "success", job.log
    plan_call, apply_call = fakes.psconfig_calls()
    assert plan_call["argv"] == ["plan", "specs", "--format", "json"]
    argv = apply_call["argv"]
    assert argv[:4] == ["apply", "--plan", argv[2], "--auto-approve"]
    assert json.loads(Path(argv[2]).read_text(encoding="utf-8")) == a_plan()
    assert not any(arg.startswith("--allow-") for arg in argv)
    assert apply_call["env"] == {
        "PS_ADMIN_USER": "ps-admin",
        "PS_ADMIN_PASSWORD": "admin-pw-0001",
        "CLEVER_SYNC_PASSWORD": "sync-pw-0002",
    }
    # The upload step picks the log up where apply wrote it.
    upload = job.step(UPLOAD)
    assert upload.outcome == "success"
    assert upload.inputs["path"] == argv[argv.index("--audit-log") + 1]
    assert Path(upload.inputs["path"]).is_file()
    [comment] = pr_comments(fakes)
    assert "psconfig apply succeeded" in comment
    assert "psconfig apply succeeded" in job.summary


def test_each_district_with_changes_is_applied_from_its_own_fresh_plan(
    fakes: Fakes, run_example: RunJob
) -> None:
    clean = a_plan("specs/b.yaml", changes=[])
    merged(fakes, fleet(a_plan(), clean))
    plans_now(fakes, fleet(clean, a_plan()))  # order does not matter

    job = run_example("apply.yml", "apply", {"github.event_name": "push"})

    assert job.conclusion == "success", job.log
    [argv] = apply_calls(fakes)
    assert json.loads(Path(argv[2]).read_text(encoding="utf-8")) == a_plan()


@pytest.mark.parametrize(
    ("fresh", "reason"),
    [
        (
            a_plan(changes=[{"address": "group.12", "actions": ["delete"]}]),
            "specs/a.yaml: PowerSchool changed since the reviewed plan was made",
        ),
        (
            a_plan(spec={"path": "specs/a.yaml", "name": "a", "digest": "sha256:b"}),
            "specs/a.yaml: the spec changed after the plan was reviewed",
        ),
        (
            a_plan(target={"url": "https://other.example.org", "username": "x"}),
            "specs/a.yaml: the reviewed plan was made for https://ps.example.org",
        ),
        (
            fleet(a_plan(), a_plan("specs/b.yaml")),
            "specs/b.yaml: planned now but not in the reviewed plan",
        ),
    ],
    ids=["live-changed", "spec-changed", "target-changed", "new-spec"],
)
def test_a_stale_plan_is_refused_with_a_comment(
    fakes: Fakes, run_example: RunJob, fresh: dict[str, Any], reason: str
) -> None:
    merged(fakes, a_plan())
    plans_now(fakes, fresh)

    job = run_example("apply.yml", "apply", {"github.event_name": "push"})

    assert job.conclusion == "failure"
    assert apply_calls(fakes) == []
    assert job.step("Fail unless applied").exit_code == 3
    [comment] = pr_comments(fakes)
    assert "the reviewed plan is stale (exit 3)" in comment
    assert reason in comment
    assert "A fresh plan needs review" in comment
    assert job.step(UPLOAD).outcome == "success"


def test_a_removal_without_the_label_stops_and_names_the_label(
    fakes: Fakes, run_example: RunJob
) -> None:
    merged(fakes, a_plan())
    refusal = (
        "error: refusing to remove staff without --allow-remove-staff: "
        'staff["99999"] would be deleted\n'
    )
    plans_now(fakes, a_plan(), apply_exit=3, err=refusal)

    job = run_example("apply.yml", "apply", {"github.event_name": "push"})

    assert job.conclusion == "failure"
    assert job.step("Fail unless applied").exit_code == 3
    [comment] = pr_comments(fakes)
    assert "refused for safety (exit 3)" in comment
    assert f"must add the label `{DELETE_LABEL}`" in comment
    assert GROUPS_LABEL not in comment and LOWER_LABEL not in comment
    assert "refusing to remove staff" in comment


def test_a_refusal_naming_two_intents_names_both_labels(
    fakes: Fakes, run_example: RunJob
) -> None:
    merged(fakes, a_plan())
    refusal = (
        "error: refusing to lower access without --allow-lower-access: "
        "page x lowers group 7 | refusing to remove staff without "
        '--allow-remove-staff: staff["99999"] would be deleted\n'
    )
    plans_now(fakes, a_plan(), apply_exit=3, err=refusal)

    run_example("apply.yml", "apply", {"github.event_name": "push"})

    [comment] = pr_comments(fakes)
    assert f"must add the label `{DELETE_LABEL}`" in comment
    assert f"must add the label `{LOWER_LABEL}`" in comment
    assert GROUPS_LABEL not in comment


@pytest.mark.parametrize("permission", ["write", "maintain", "admin"])
def test_a_label_set_with_write_access_passes_the_intent(
    fakes: Fakes, run_example: RunJob, permission: str
) -> None:
    merged(fakes, a_plan(), labels=(DELETE_LABEL, LOWER_LABEL, GROUPS_LABEL))
    for label in (DELETE_LABEL, LOWER_LABEL, GROUPS_LABEL):
        label_added_by(fakes, label, "maintainer", permission)
    plans_now(fakes, a_plan())

    job = run_example("apply.yml", "apply", {"github.event_name": "push"})

    assert job.conclusion == "success", job.log
    [argv] = apply_calls(fakes)
    assert {
        "--allow-remove-staff",
        "--allow-lower-access",
        "--allow-add-groups",
    } <= set(argv)
    assert "--allow-delete" not in argv


@pytest.mark.parametrize("permission", ["read", "triage", "none"])
def test_a_label_set_without_write_access_is_ignored(
    fakes: Fakes, run_example: RunJob, permission: str
) -> None:
    merged(fakes, a_plan(), labels=(DELETE_LABEL,))
    label_added_by(fakes, DELETE_LABEL, "maintainer", "write")
    label_added_by(fakes, DELETE_LABEL, "mallory", permission)  # the last to add it
    plans_now(fakes, a_plan())

    job = run_example("apply.yml", "apply", {"github.event_name": "push"})

    [argv] = apply_calls(fakes)
    assert "--allow-remove-staff" not in argv
    assert f"label {DELETE_LABEL} ignored: mallory" in job.log


def test_the_pull_request_text_never_grants_an_intent(
    fakes: Fakes, run_example: RunJob
) -> None:
    merged(fakes, a_plan())
    pulls = fakes.github()["pulls"]
    pulls[0] |= {"title": f"please {DELETE_LABEL}", "body": "--allow-remove-staff"}
    fakes.update_github(pulls=pulls)
    plans_now(fakes, a_plan())

    run_example(
        "apply.yml",
        "apply",
        {"github.event_name": "push"},
    )

    [argv] = apply_calls(fakes)
    assert not any(arg.startswith("--allow-") for arg in argv)


def test_a_commit_without_a_merged_pull_request_applies_nothing(
    fakes: Fakes, run_example: RunJob
) -> None:
    plans_now(fakes, a_plan())

    job = run_example("apply.yml", "apply", {"github.event_name": "push"})

    assert job.conclusion == "failure"
    assert fakes.psconfig_calls() == []
    assert "reached main without a merged pull request" in job.summary


def test_a_pull_request_without_a_successful_plan_applies_nothing(
    fakes: Fakes, run_example: RunJob
) -> None:
    merged(fakes, a_plan())
    runs = fakes.github()["runs"]
    runs[0]["conclusion"] = "failure"
    fakes.update_github(runs=runs)
    plans_now(fakes, a_plan())

    job = run_example("apply.yml", "apply", {"github.event_name": "push"})

    assert job.conclusion == "failure"
    assert fakes.psconfig_calls() == []
    [comment] = pr_comments(fakes)
    assert "no successful plan run for the last commit 0123456" in comment


def dispatch(run_id: str, allow_remove_staff: str = "false") -> dict[str, str]:
    return {
        "github.event_name": "workflow_dispatch",
        "inputs.plan_run": run_id,
        "inputs.allow_lower_access": "false",
        "inputs.allow_remove_staff": allow_remove_staff,
        "inputs.allow_add_groups": "false",
    }


def test_a_dispatched_apply_takes_a_reviewed_plan_run_of_main(
    fakes: Fakes, run_example: RunJob
) -> None:
    run_id = fakes.add_run(
        path=".github/workflows/psconfig-plan.yml",
        headBranch="main",
        headSha=MERGE,
        event="workflow_dispatch",
        artifacts={"psconfig-plan": {"plan.json": json.dumps(a_plan())}},
    )
    plans_now(fakes, a_plan())

    job = run_example("apply.yml", "apply", dispatch(str(run_id), "true"))

    assert job.conclusion == "success", job.log
    [argv] = apply_calls(fakes)
    assert "--allow-remove-staff" in argv and "--allow-lower-access" not in argv


@pytest.mark.parametrize(
    "run",
    [
        {"headBranch": "feature"},
        {"conclusion": "failure"},
        {"path": ".github/workflows/other.yml"},
    ],
    ids=["other-branch", "failed", "other-workflow"],
)
def test_a_dispatched_apply_refuses_any_other_run(
    fakes: Fakes, run_example: RunJob, run: dict[str, str]
) -> None:
    fields = {
        "path": ".github/workflows/psconfig-plan.yml",
        "headBranch": "main",
        "headSha": MERGE,
        "artifacts": {"psconfig-plan": {"plan.json": json.dumps(a_plan())}},
    }
    run_id = fakes.add_run(**(fields | run))
    plans_now(fakes, a_plan())

    job = run_example("apply.yml", "apply", dispatch(str(run_id)))

    assert job.conclusion == "failure"
    assert fakes.psconfig_calls() == []
    assert "is not a successful psconfig-plan.yml run of main" in job.summary


def test_a_dispatched_apply_checks_the_run_id(
    fakes: Fakes, run_example: RunJob
) -> None:
    job = run_example("apply.yml", "apply", dispatch("1; rm -rf /"))

    assert job.conclusion == "failure"
    assert fakes.gh_calls() == []
    assert "plan_run must be the numeric ID" in job.summary


def test_a_failed_apply_fails_the_job_and_still_uploads_the_audit_log(
    fakes: Fakes, run_example: RunJob
) -> None:
    merged(fakes, a_plan())
    plans_now(fakes, a_plan(), apply_exit=1, err="error: apply stopped at group.12\n")

    job = run_example("apply.yml", "apply", {"github.event_name": "push"})

    assert job.conclusion == "failure"
    assert job.step("Fail unless applied").exit_code == 1
    [comment] = pr_comments(fakes)
    assert "psconfig apply failed (exit 1)" in comment
    assert "apply stopped at group.12" in comment
    assert job.step(UPLOAD).outcome == "success"


def test_text_from_the_reviewed_artifact_cannot_inject_commands(
    fakes: Fakes, run_example: RunJob
) -> None:
    # A pull request can change its own plan workflow, so the artifact is untrusted.
    hostile = "specs/x.yaml\n::add-mask::ghs_fake_token\n<img src=x>"
    merged(fakes, a_plan(hostile))
    plans_now(fakes, a_plan())

    job = run_example("apply.yml", "apply", {"github.event_name": "push"})

    assert job.conclusion == "failure"
    assert apply_calls(fakes) == []
    # Workflow commands act at the start of a line; none comes from the artifact.
    lines = job.log.splitlines()
    assert not [line for line in lines if line.lstrip().startswith("::add-mask")]
    [comment] = pr_comments(fakes)
    assert "specs/x.yaml?::add-mask::ghs_fake_token??img src=x?" in comment
    assert "<img" not in comment


def test_a_reviewed_artifact_that_is_not_a_plan_applies_nothing(
    fakes: Fakes, run_example: RunJob
) -> None:
    merged(fakes, "not a plan")
    plans_now(fakes, a_plan())

    job = run_example("apply.yml", "apply", {"github.event_name": "push"})

    assert job.conclusion == "failure"
    assert fakes.psconfig_calls() == []
    assert "is not a JSON plan" in pr_comments(fakes)[0]
