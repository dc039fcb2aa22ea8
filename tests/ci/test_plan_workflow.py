"""examples/github/plan.yml, run step by step with fake psconfig and gh.

Contract: exit 0 and 2 pass and exit 1 fails the job; the plan lands in ONE
pull-request comment, found again by its hidden marker and updated in place; the
job summary holds the full report; a comment that cannot be posted fails the job.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.ci.conftest import RUN_URL, Fakes, RunJob

MARKER = "<!-- psconfig:pr-comment -->"
PLAN_MD = (
    "<!-- psconfig:plan name=springfield-usd -->\n"
    "## psconfig plan: springfield-usd\n\n"
    "1 to change: security group 12 Read-Only Export\n"
)
PR = "7"


def comments(fakes: Fakes) -> list[dict[str, Any]]:
    thread: list[dict[str, Any]] = fakes.github()["comments"].get(PR, [])
    return thread


@pytest.mark.parametrize(("code", "outcome"), [(0, "success"), (2, "success")])
def test_no_changes_and_changes_pending_pass(
    fakes: Fakes, run_example: RunJob, code: int, outcome: str
) -> None:
    fakes.psconfig_returns(code, PLAN_MD)

    job = run_example("plan.yml", "plan")

    assert job.conclusion == outcome, job.log
    [comment] = comments(fakes)
    assert comment["body"].startswith(MARKER + "\n" + PLAN_MD)
    assert RUN_URL in comment["body"]
    assert "commit 0123456" in comment["body"]
    assert PLAN_MD in job.summary


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


def test_plan_runs_on_the_spec_paths_with_admin_secrets_only(
    fakes: Fakes, run_example: RunJob
) -> None:
    fakes.psconfig_returns(2, PLAN_MD)

    run_example("plan.yml", "plan")

    [call] = fakes.psconfig_calls()
    assert call["argv"] == ["plan", "specs", "--format", "markdown"]
    assert call["env"] == {
        "PS_ADMIN_USER": "ps-admin",
        "PS_ADMIN_PASSWORD": "admin-pw-0001",
    }


def test_a_new_push_updates_the_one_comment_in_place(
    fakes: Fakes, run_example: RunJob
) -> None:
    fakes.psconfig_returns(2, PLAN_MD)
    run_example("plan.yml", "plan")
    fakes.psconfig_returns(0, "<!-- psconfig:plan name=x -->\nNo changes.\n")

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
    fakes.seed_github(comments={PR: thread})
    fakes.psconfig_returns(2, PLAN_MD)

    run_example("plan.yml", "plan")

    bodies = {c["id"]: c["body"] for c in comments(fakes)}
    assert bodies[2] == MARKER + "\nmine"
    assert PLAN_MD in bodies[3]
    assert len(bodies) == 3


def test_huge_plans_are_cut_to_fit_a_comment(fakes: Fakes, run_example: RunJob) -> None:
    line = "| staff | 99999 | allowed_ips | ✓ → ✗ |\n"
    huge = PLAN_MD + line * 3000  # about 130 kB, past GitHub's 65536 characters
    fakes.psconfig_returns(2, huge)

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
    fakes.seed_github(fail_writes=True)
    fakes.psconfig_returns(0, PLAN_MD)

    job = run_example("plan.yml", "plan")

    assert job.conclusion == "failure"
    assert job.step("Post or update the pull-request comment").outcome == "failure"
    assert "Resource not accessible by integration" in job.log


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
