"""examples/github/apply.yml, run step by step with a fake psconfig.

Contract: apply runs with ``--auto-approve`` and every secret; any non-zero exit
fails the job with its meaning in the summary; the audit log is uploaded whatever
happened.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ci.conftest import Fakes, RunJob

UPLOAD = "Upload the audit log"


def test_apply_approves_itself_and_writes_the_audit_log(
    fakes: Fakes, run_example: RunJob
) -> None:
    job = run_example("apply.yml", "apply")

    assert job.conclusion == "success", job.log
    [call] = fakes.psconfig_calls()
    argv = call["argv"]
    assert argv[:3] == ["apply", "specs", "--auto-approve"]
    assert argv[3] == "--audit-log"
    # The upload step picks the log up where apply wrote it.
    upload = job.step(UPLOAD)
    assert upload.outcome == "success"
    assert upload.inputs["path"] == argv[4]
    assert Path(argv[4]).is_file()
    assert call["env"] == {
        "PS_ADMIN_USER": "ps-admin",
        "PS_ADMIN_PASSWORD": "admin-pw-0001",
        "CLEVER_SYNC_PASSWORD": "sync-pw-0002",
    }
    assert "psconfig apply succeeded" in job.summary


@pytest.mark.parametrize(
    ("code", "meaning"),
    [
        (1, "psconfig apply failed (exit 1)"),
        (3, "psconfig apply refused for safety (exit 3)"),
    ],
)
def test_failure_or_refusal_fails_the_job_and_still_uploads_the_audit_log(
    fakes: Fakes, run_example: RunJob, code: int, meaning: str
) -> None:
    fakes.psconfig_returns(code, "", "error: something\n")

    job = run_example("apply.yml", "apply")

    assert job.conclusion == "failure"
    assert job.step("psconfig apply").exit_code == code
    assert meaning in job.summary
    assert (
        f"::error title=psconfig apply::{meaning}" in job.step("psconfig apply").stdout
    )
    assert job.step(UPLOAD).outcome == "success"
