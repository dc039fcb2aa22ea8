"""examples/github/drift.yml, run step by step with fake psconfig and gh.

Contract: exit 2 opens or updates ONE issue labelled ``psconfig-drift`` (CRITICAL
in the title for privilege escalations), commenting only when the findings
changed; exit 0 closes it; exit 1 fails the job and leaves the issue alone. The
live state drift read is published as the artifact pull-request plans use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.ci.conftest import RUN_URL, Fakes, RunJob

LABEL = "psconfig-drift"
DRIFT_MD = (
    "<!-- psconfig:drift name=springfield-usd at=2026-11-28T05:23:00Z -->\n"
    "## Drift: springfield-usd\n\n"
    "- staff 99999 allowed_ips: [54.241.134.131] -> []\n"
)
CRITICAL_MD = (
    "<!-- psconfig:drift name=springfield-usd at=2026-11-29T05:23:00Z -->\n"
    "## Drift: springfield-usd\n\n"
    "- CRITICAL: group 12 Read-Only Export health access no_access -> full\n"
)


def issues(fakes: Fakes) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = fakes.github()["issues"]
    return found


def open_issue(number: int, body: str = "old report") -> dict[str, Any]:
    return {
        "number": number,
        "title": "psconfig drift: PowerSchool differs from the specs",
        "body": body,
        "state": "open",
        "labels": [LABEL],
        "comments": [],
    }


def test_drift_opens_one_labelled_issue(fakes: Fakes, run_example: RunJob) -> None:
    fakes.psconfig_returns(2, DRIFT_MD)

    job = run_example("drift.yml", "drift")

    assert job.conclusion == "success", job.log
    [issue] = issues(fakes)
    assert issue["state"] == "open"
    assert issue["labels"] == [LABEL]
    assert issue["title"] == "psconfig drift: PowerSchool differs from the specs"
    assert "CRITICAL" not in issue["title"]
    assert DRIFT_MD in issue["body"]
    assert RUN_URL in issue["body"]
    assert LABEL in fakes.github()["labels"]
    assert DRIFT_MD in job.summary


def test_privilege_escalation_puts_critical_in_the_title(
    fakes: Fakes, run_example: RunJob
) -> None:
    fakes.psconfig_returns(2, CRITICAL_MD)

    run_example("drift.yml", "drift")

    [issue] = issues(fakes)
    assert "CRITICAL" in issue["title"]


def test_drift_updates_the_open_issue_instead_of_opening_another(
    fakes: Fakes, run_example: RunJob
) -> None:
    fakes.seed_github(issues=[open_issue(1)], labels={LABEL: {}})
    fakes.psconfig_returns(2, CRITICAL_MD)

    run_example("drift.yml", "drift")

    [issue] = issues(fakes)
    assert issue["number"] == 1
    assert CRITICAL_MD in issue["body"]
    assert "CRITICAL" in issue["title"]
    # The findings changed, so watchers hear about it.
    assert issue["comments"] == [
        f"The drift changed: the description shows the latest report "
        f"([workflow run]({RUN_URL}))."
    ]


def test_the_same_drift_again_refreshes_without_a_comment(
    fakes: Fakes, run_example: RunJob
) -> None:
    fakes.psconfig_returns(2, DRIFT_MD)
    run_example("drift.yml", "drift")
    # Same findings the next night; only the hidden marker's timestamp differs.
    fakes.psconfig_returns(2, DRIFT_MD.replace("2026-11-28", "2026-11-29"))

    job = run_example("drift.yml", "drift")

    assert job.conclusion == "success", job.log
    [issue] = issues(fakes)
    assert "2026-11-29" in issue["body"]
    assert issue["comments"] == []


def test_clean_check_closes_the_open_issue(fakes: Fakes, run_example: RunJob) -> None:
    fakes.seed_github(issues=[open_issue(1)], labels={LABEL: {}})
    fakes.psconfig_returns(
        0, "<!-- psconfig:drift name=springfield-usd -->\nNo drift.\n"
    )

    job = run_example("drift.yml", "drift")

    assert job.conclusion == "success", job.log
    [issue] = issues(fakes)
    assert issue["state"] == "closed"
    assert issue["state_reason"] == "completed"
    assert issue["comments"] == [
        f"PowerSchool matches the specs again ([workflow run]({RUN_URL}))."
    ]


def test_clean_check_without_an_issue_touches_nothing(
    fakes: Fakes, run_example: RunJob
) -> None:
    fakes.psconfig_returns(0, "No drift.\n")

    job = run_example("drift.yml", "drift")

    assert job.conclusion == "success", job.log
    assert issues(fakes) == []
    assert all(call[:2] == ["issue", "list"] for call in fakes.gh_calls())


def test_an_unrelated_labelled_closed_issue_is_not_reopened(
    fakes: Fakes, run_example: RunJob
) -> None:
    closed = open_issue(1) | {"state": "closed"}
    fakes.seed_github(issues=[closed], labels={LABEL: {}})
    fakes.psconfig_returns(2, DRIFT_MD)

    run_example("drift.yml", "drift")

    first, second = issues(fakes)
    assert first["state"] == "closed"
    assert second["state"] == "open"
    assert DRIFT_MD in second["body"]


def test_failed_check_fails_the_job_and_leaves_the_issue(
    fakes: Fakes, run_example: RunJob
) -> None:
    seeded = open_issue(1)
    fakes.seed_github(issues=[seeded], labels={LABEL: {}})
    fakes.psconfig_returns(1, "", "error: sign-in refused for ps-admin\n")

    job = run_example("drift.yml", "drift")

    assert job.conclusion == "failure"
    assert issues(fakes) == [seeded]
    assert fakes.gh_calls() == []


def test_drift_needs_the_admin_sign_in_only(fakes: Fakes, run_example: RunJob) -> None:
    fakes.psconfig_returns(0, "No drift.\n")

    run_example("drift.yml", "drift")

    [call] = fakes.psconfig_calls()
    assert call["argv"][:4] == ["drift", "specs", "--format", "markdown"]
    assert set(call["env"]) == {"PS_ADMIN_USER", "PS_ADMIN_PASSWORD"}


def test_drift_publishes_the_live_state_snapshot(
    fakes: Fakes, run_example: RunJob
) -> None:
    fakes.psconfig_returns(2, DRIFT_MD)

    job = run_example("drift.yml", "drift")

    [call] = fakes.psconfig_calls()
    assert call["argv"][4] == "--snapshot-out"
    upload = job.step("Publish the live-state snapshot")
    assert upload.outcome == "success"
    assert upload.inputs["name"] == "psconfig-live-snapshot"
    assert upload.inputs["path"] == call["argv"][5]
    assert Path(call["argv"][5]).is_file()
