"""Removing the integration (guide 5) end to end, and verify proving it took."""

from __future__ import annotations

from pathlib import Path

import pytest

from psconfig.sim import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME
from tests.verify.helpers import (
    REMOVAL,
    converge,
    edit_state,
    report,
    run,
    sim_state,
    spec,
    sync_staff,
)

OLD_CREDENTIALS = (
    "--sync-username",
    "cleversync",
    "--sync-password",
    "${env:CLEVER_SYNC_PASSWORD}",
)
RESET = """\
security_groups:
  - number: 12
    name: Group 12
page_permissions:
  pages:
    /admin/tech/dde/home.html: {12: group_default}
    /admin/tech/dde/exportrecords.html: {12: group_default}
"""


def removal(extra: str = "") -> Path:
    path = Path("removal.yaml")
    path.write_text(REMOVAL + extra)
    return path


def removed_results(*extra: str) -> tuple[int, dict[str, tuple[str, str]]]:
    result = run("verify", "removal.yaml", "--format", "json", *extra)
    assert result.exit_code in (0, 1), result.output
    data = report(result)
    return result.exit_code, {
        r["id"]: (r["outcome"], r["observed"]) for r in data["results"]
    }


def test_before_removal_verify_fails_because_the_account_still_signs_in() -> None:
    spec()
    converge()
    removal()
    code, results = removed_results(*OLD_CREDENTIALS)
    assert code == 1
    assert results["account-removed"] == (
        "fail",
        "the account still has admin sign-in enabled",
    )
    assert results["sign-in"] == ("fail", "signed in as cleversync")


def test_deleted_account_cannot_sign_in() -> None:
    spec()
    converge()
    removal()
    refused = run("apply", "removal.yaml", "--auto-approve")
    assert refused.exit_code == 3, refused.output
    applied = run(
        "apply",
        "removal.yaml",
        "--auto-approve",
        "--allow-remove-staff",
        "--allow-lower-access",
    )
    assert applied.exit_code == 0, applied.output
    assert sim_state().staff_by_login("cleversync") is None

    code, results = removed_results()
    assert code == 0
    assert results["account-removed"] == (
        "pass",
        "deleted: no staff member with ID 99999",
    )
    outcome, why = results["sign-in"]
    assert outcome == "skip" and "no username was given" in why

    text = run("verify", "removal.yaml", *OLD_CREDENTIALS)
    assert text.exit_code == 0, text.output
    assert "[pass] sign-in: sign in as the removed account with its old password" in (
        text.stdout
    )
    assert "refused: sign-in as 'cleversync' refused: Invalid Username" in text.stdout
    assert "account: cleversync (staff 99999, removed by the spec)" in text.stdout
    assert sim_state().failed_logins == {"cleversync": 1}  # exactly one attempt


def test_staff_with_history_is_deactivated_and_still_cannot_sign_in() -> None:
    spec()
    converge()
    edit_state(lambda s: setattr(sync_staff(s), "has_history", True))
    removal()
    applied = run(
        "apply",
        "removal.yaml",
        "--auto-approve",
        "--allow-remove-staff",
        "--allow-lower-access",
    )
    assert applied.exit_code == 0, applied.output
    assert "refused the delete" in applied.stdout
    assert "deactivated instead" in applied.stdout
    staff = sync_staff(sim_state())
    assert (staff.psaccess, staff.status) == (False, 2)

    # The username comes from the deactivated record; only the password is given.
    code, results = removed_results("--sync-password", "${env:CLEVER_SYNC_PASSWORD}")
    assert code == 0
    assert results["account-removed"] == (
        "pass",
        "deactivated: admin sign-in off, status no longer here",
    )
    outcome, observed = results["sign-in"]
    assert outcome == "pass" and observed.startswith("refused: ")
    again = run(
        "apply",
        "removal.yaml",
        "--auto-approve",
        "--allow-remove-staff",
        "--allow-lower-access",
    )
    assert again.exit_code == 0 and "No changes." in again.stdout


def test_removal_can_reset_the_group_and_page_permissions() -> None:
    spec()
    converge()
    removal(RESET)
    applied = run(
        "apply",
        "removal.yaml",
        "--auto-approve",
        "--allow-remove-staff",
        "--allow-lower-access",
    )
    assert applied.exit_code == 0, applied.output
    state = sim_state()
    group = state.group(12)
    assert group is not None and group.name == "Group 12"
    assert all(12 not in levels for levels in state.page_permissions.values())
    assert state.page_toggle is False
    assert state.staff_by_login("cleversync") is None
    assert removed_results()[0] == 0
    again = run(
        "apply",
        "removal.yaml",
        "--auto-approve",
        "--allow-remove-staff",
        "--allow-lower-access",
    )
    assert again.exit_code == 0 and "No changes." in again.stdout


def test_the_shipped_removal_example_removes_the_account(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "removal.yaml"
    monkeypatch.setenv("PS_ADMIN_USER", DEMO_ADMIN_USERNAME)
    monkeypatch.setenv("PS_ADMIN_PASSWORD", DEMO_ADMIN_PASSWORD)
    spec()
    converge()
    args = (str(example), "--server", "sim://demo")
    applied = run(
        "apply", *args, "--auto-approve", "--allow-remove-staff", "--allow-lower-access"
    )
    assert applied.exit_code == 0, applied.output
    verified = run("verify", *args, *OLD_CREDENTIALS)
    assert verified.exit_code == 0, verified.output
    assert "[pass] account-removed" in verified.stdout
    assert "[pass] sign-in" in verified.stdout
