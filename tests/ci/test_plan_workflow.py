"""examples/github/plan.yml, run step by step with fake psconfig and gh.

Contract: the plan runs offline against the latest live-state snapshot of the
drift workflow, with no PowerSchool secret; exit 0 and 2 pass and exit 1 fails the
job; the plan lands in ONE pull-request comment, found again by its hidden marker
and updated in place; the job summary holds the full report; the JSON plan is
uploaded as the reviewed plan; a comment that cannot be posted fails the job.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.ci.conftest import RUN_URL, Fakes, RunJob

MARKER = "<!-- psconfig:pr-comment -->"
PLAN_MD = (
    "<!-- psconfig:plan name=springfield-usd -->\n"
    "## psconfig plan: springfield-usd\n\n"
    "1 to change: security group 12 Read-Only Export\n"
)
PLAN_JSON = json.dumps({"format_version": "1.0", "mode": "plan", "changes": []})
PR = "7"
SNAPSHOT = '{"snapshot": "of springfield-usd"}\n'


def comments(fakes: Fakes) -> list[dict[str, Any]]:
    thread: list[dict[str, Any]] = fakes.github()["comments"].get(PR, [])
    return thread


def publish_snapshot(fakes: Fakes, **run: Any) -> int:
    """A finished drift run of main that published ``SNAPSHOT``."""
    fields = {
        "path": ".github/workflows/psconfig-drift.yml",
        "headBranch": "main",
        "headSha": "abc",
        "event": "schedule",
        "artifacts": {"psconfig-live-snapshot": {"live.json": SNAPSHOT}},
    }
    return fakes.add_run(**(fields | run))


def plans(fakes: Fakes, code: int, markdown: str = PLAN_MD) -> None:
    fakes.psconfig_returns_for("plan:json", code, PLAN_JSON if code != 1 else "")
    fakes.psconfig_returns_for("plan:markdown", code, markdown)


@pytest.fixture(autouse=True)
def snapshot(fakes: Fakes) -> int:
    return publish_snapshot(fakes)


@pytest.mark.parametrize("code", [0, 2])
def test_no_changes_and_changes_pending_pass(
    fakes: Fakes, run_example: RunJob, code: int
) -> None:
    plans(fakes, code)

    job = run_example("plan.yml", "plan")

    assert job.conclusion == "success", job.log
    [comment] = comments(fakes)
    assert comment["body"].startswith(MARKER + "\n" + PLAN_MD)
    assert RUN_URL in comment["body"]
    assert "commit 0123456" in comment["body"]
    assert "`psconfig:allow-lower-access`" in comment["body"]
    assert "`psconfig:allow-remove-staff`" in comment["body"]
    assert PLAN_MD in job.summary


def test_the_json_plan_is_uploaded_as_the_reviewed_plan(
    fakes: Fakes, run_example: RunJob
) -> None:
    plans(fakes, 2)

    job = run_example("plan.yml", "plan")

    upload = job.step("Upload the reviewed plan")
    assert upload.outcome == "success"
    assert upload.inputs["name"] == "psconfig-plan"
    assert upload.inputs["if-no-files-found"] == "error"
    assert Path(upload.inputs["path"]).name == "plan.json"
    assert Path(upload.inputs["path"]).read_text(encoding="utf-8") == PLAN_JSON


def test_plans_offline_from_the_snapshot_without_any_secret(
    fakes: Fakes, run_example: RunJob, snapshot: int
) -> None:
    plans(fakes, 2)

    run_example("plan.yml", "plan")

    calls = fakes.psconfig_calls()
    assert [c["argv"][:4] for c in calls] == [
        ["plan", "specs", "--format", "json"],
        ["plan", "specs", "--format", "markdown"],
    ]
    for call in calls:
        assert call["env"] == {}
        live = call["argv"][call["argv"].index("--live") + 1]
        assert Path(live).read_text(encoding="utf-8") == SNAPSHOT
        assert call["argv"][call["argv"].index("--max-age") + 1] == "36h"
    assert [
        "run", "download", str(snapshot), "--name", "psconfig-live-snapshot",
    ] == fakes.gh_calls()[1][:5]  # fmt: skip


def test_the_snapshot_comes_from_the_latest_successful_drift_of_main(
    fakes: Fakes, run_example: RunJob
) -> None:
    stale = '{"snapshot": "the good one"}\n'
    publish_snapshot(fakes, artifacts={"psconfig-live-snapshot": {"live.json": stale}})
    publish_snapshot(fakes, conclusion="failure")
    publish_snapshot(fakes, headBranch="feature")
    publish_snapshot(fakes, path=".github/workflows/other.yml")
    plans(fakes, 2)

    run_example("plan.yml", "plan")

    call = fakes.psconfig_calls()[0]
    live = call["argv"][call["argv"].index("--live") + 1]
    assert Path(live).read_text(encoding="utf-8") == stale


def test_no_snapshot_yet_fails_and_says_how_to_get_one(
    fakes: Fakes, run_example: RunJob
) -> None:
    fakes.seed_github()
    plans(fakes, 2)

    job = run_example("plan.yml", "plan")

    assert job.conclusion == "failure"
    assert fakes.psconfig_calls() == []
    body = comments(fakes)[0]["body"]
    assert "No live-state snapshot" in body
    assert "psconfig-drift.yml" in body
    assert job.step("Upload the reviewed plan").outcome == "skipped"


def test_error_fails_the_job_after_reporting_it(
    fakes: Fakes, run_example: RunJob
) -> None:
    fakes.psconfig_returns(1, "", "error: specs/a.yaml:3:5: unknown key 'sever'\n")

    job = run_example("plan.yml", "plan")

    assert job.conclusion == "failure"
    assert job.step("Fail on error (exit 1), not on pending changes (exit 2)").exit_code
    body = comments(fakes)[0]["body"]
    assert "psconfig plan failed (exit 1)" in body
    # Indented, so the error text renders as code whatever it contains.
    assert "\n    error: specs/a.yaml:3:5: unknown key 'sever'\n" in body
    assert "psconfig plan failed" in job.summary


def test_a_json_plan_that_disagrees_with_the_markdown_fails_the_job(
    fakes: Fakes, run_example: RunJob
) -> None:
    fakes.psconfig_returns_for("plan:json", 1, "", "error: snapshot too old\n")
    fakes.psconfig_returns_for("plan:markdown", 2, PLAN_MD)

    job = run_example("plan.yml", "plan")

    assert job.conclusion == "failure"


def test_a_new_push_updates_the_one_comment_in_place(
    fakes: Fakes, run_example: RunJob
) -> None:
    plans(fakes, 2)
    run_example("plan.yml", "plan")
    plans(fakes, 0, "<!-- psconfig:plan name=x -->\nNo changes.\n")

    job = run_example("plan.yml", "plan")

    assert job.conclusion == "success", job.log
    [comment] = comments(fakes)
    assert "No changes." in comment["body"]
    assert "1 to change" not in comment["body"]


def test_finds_its_comment_on_a_later_page_and_ignores_lookalikes(
    fakes: Fakes, run_example: RunJob
) -> None:
    # A human pasting the marker must not get their comment overwritten, and the
    # bot's comment is past the first page of results.
    thread = [
        {"id": 1, "user": {"login": "octocat"}, "body": "LGTM"},
        {"id": 2, "user": {"login": "mallory"}, "body": MARKER + "\nmine"},
        {"id": 3, "user": {"login": "github-actions[bot]"}, "body": MARKER + "\nold"},
    ]
    fakes.update_github(comments={PR: thread})
    plans(fakes, 2)

    run_example("plan.yml", "plan")

    bodies = {c["id"]: c["body"] for c in comments(fakes)}
    assert bodies[2] == MARKER + "\nmine"
    assert PLAN_MD in bodies[3]
    assert len(bodies) == 3


def test_huge_plans_are_cut_to_fit_a_comment(fakes: Fakes, run_example: RunJob) -> None:
    line = "| staff | 99999 | allowed_ips | ✓ → ✗ |\n"
    huge = PLAN_MD + line * 3000  # about 130 kB, past GitHub's 65536 characters
    plans(fakes, 2, huge)

    job = run_example("plan.yml", "plan")

    assert job.conclusion == "success", job.log
    body = comments(fakes)[0]["body"]
    assert len(body) <= 65536
    assert body.startswith(MARKER + "\n" + PLAN_MD)
    assert f"Truncated: the full plan is in the [job summary]({RUN_URL})." in body
    # Whole lines only: no row is cut half-way.
    rows = [r for r in body.splitlines() if r.startswith("| staff")]
    assert set(rows) == {line.rstrip("\n")}
    assert huge in job.summary


def test_a_comment_that_cannot_be_posted_fails_the_job(
    fakes: Fakes, run_example: RunJob
) -> None:
    fakes.update_github(fail_writes=True)
    plans(fakes, 0)

    job = run_example("plan.yml", "plan")

    assert job.conclusion == "failure"
    assert job.step("Post or update the pull-request comment").outcome == "failure"
    assert "Resource not accessible by integration" in job.log


def test_a_plan_started_by_hand_reports_in_the_summary_only(
    fakes: Fakes, run_example: RunJob
) -> None:
    plans(fakes, 2)

    job = run_example(
        "plan.yml",
        "plan",
        {
            "github.event_name": "workflow_dispatch",
            "github.event.pull_request.number": "",
            "github.event.pull_request.head.sha": "",
        },
    )

    assert job.conclusion == "success", job.log
    assert comments(fakes) == []
    assert PLAN_MD in job.summary
    assert "commit fedcba9" in job.summary


def test_validate_job_runs_offline_without_secrets(
    fakes: Fakes, run_example: RunJob
) -> None:
    job = run_example("plan.yml", "validate")

    assert job.conclusion == "success", job.log
    [call] = fakes.psconfig_calls()
    assert call["argv"] == ["validate", "specs", "--format", "github"]
    assert call["env"] == {}
    assert fakes.gh_calls() == []


def test_validate_job_fails_on_an_invalid_spec(
    fakes: Fakes, run_example: RunJob
) -> None:
    fakes.psconfig_returns(1, "::error file=specs/a.yaml,line=3,col=5::bad\n")

    assert run_example("plan.yml", "validate").conclusion == "failure"
