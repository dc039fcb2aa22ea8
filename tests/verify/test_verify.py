"""``psconfig verify`` end to end against a sim:// PowerSchool, through the CLI."""

from __future__ import annotations

import stat
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from psconfig.drivers.portal.pages.probes import load_probes
from psconfig.sim import SimSettings, SimState
from psconfig.sim.state import SimAffiliation
from tests.verify.helpers import (
    OLD,
    add_health_log_by_hand,
    converge,
    edit_state,
    outcomes,
    report,
    run,
    seed,
    sim_state,
    spec,
    sync_staff,
)

NEGATIVE = [p.id for p in load_probes() if p.expect == "denied"]
POSITIVE = [p.id for p in load_probes() if p.expect == "allowed"]


def verify_json(*extra: str) -> tuple[int, dict[str, Any]]:
    result = run("verify", "demo.yaml", "--format", "json", *extra)
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    return result.exit_code, report(result)


def test_verify_passes_after_apply_and_the_report_is_evidence() -> None:
    spec()
    converge()
    result = run("verify", "demo.yaml")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "psconfig verify: demo" in text
    assert "target:  sim://demo (PowerSchool 25.3.0.1, modern), read as admin" in text
    assert "account: cleversync (staff 99999)" in text
    assert "[pass] dde-export-records: POST /admin/tech/dde/exportrecords.html" in text
    assert "allowed: 7 records exported from students" in text
    assert "[FAIL]" not in text
    assert text.rstrip().endswith("Verify: PASSED. 31 passed, 0 failed, 1 skipped.")
    # No allowed IPs in this spec: the outside-address probe has nothing to prove.
    assert "not tried: no allowed IPs, so any address may sign in" in text

    code, data = verify_json()
    assert code == 0 and data["passed"] is True and data["failed"] == []
    assert data["format_version"] == "1.0"
    assert str(data["timestamp"]).endswith("Z")
    datetime.fromisoformat(str(data["timestamp"]).replace("Z", "+00:00"))
    assert data["target"] == {
        "url": "sim://demo",
        "powerschool_version": "25.3.0.1",
        "flavor": "modern",
        "username": "admin",
    }
    digest = data["spec"]["digest"]
    assert digest.startswith("sha256:") and len(digest) == 71
    assert data["account"] == {
        "staff_id": "99999",
        "username": "cleversync",
        "ensure": "present",
    }
    seen = outcomes(data)
    assert all(seen[p] == "pass" for p in NEGATIVE + POSITIVE)
    assert seen["sign-in"] == seen["account-allowed-ips"] == "pass"


def test_markdown_report_and_out_file() -> None:
    spec()
    converge()
    result = run("verify", "demo.yaml", "--format", "markdown", "--out", "audit.md")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!-- psconfig:verify name=demo -->")
    assert "**Verify: PASSED." in result.stdout
    assert (
        "| ✅ pass | `log-health` | `GET /admin/students/log.html?type=health` |"
        in (result.stdout)
    )
    saved = Path("audit.md")
    assert saved.read_text() == result.stdout
    assert not stat.S_IMODE(saved.stat().st_mode) & 0o022  # no secret, not writable
    assert not [p for p in Path.cwd().iterdir() if ".tmp" in p.name]


def test_health_log_added_by_hand_fails_naming_the_probe() -> None:
    spec()
    converge()
    add_health_log_by_hand()
    result = run("verify", "demo.yaml")
    assert result.exit_code == 1
    assert (
        "[FAIL] log-health: GET /admin/students/log.html?type=health" in result.stdout
    )
    assert "expected denied; observed allowed (HTTP 200)" in result.stdout
    assert "why: guide 2: no access to any Health records" in result.stdout
    assert "Verify: FAILED (log-health)." in result.stdout
    _, data = verify_json()
    assert data["failed"] == ["log-health"]


def test_dde_page_set_back_to_none_fails_the_dde_probes() -> None:
    spec()
    converge()
    edit_state(
        lambda s: s.page_permissions["/admin/tech/dde/home.html"].update({12: "none"})
    )
    code, data = verify_json()
    assert code == 1
    assert data["failed"] == ["dde-home", "dde-export-records"]
    home = next(r for r in data["results"] if r["id"] == "dde-home")
    assert home["observed"] == "denied (HTTP 403)"


def test_wrong_password_fails_the_sign_in_after_one_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec()
    converge()
    monkeypatch.setenv("CLEVER_SYNC_PASSWORD", "not-the-password")
    result = run("verify", "demo.yaml")
    assert result.exit_code == 1
    assert "[FAIL] sign-in: sign in to the admin portal as the sync account" in (
        result.stdout
    )
    assert "Invalid Username or Password!" in result.stdout
    assert "not run: no sign-in" in result.stdout
    assert "Verify: FAILED (sign-in)." in result.stdout
    assert sim_state().failed_logins == {"cleversync": 1}


def test_group_widened_to_view_and_modify_fails_every_write_and_changes_nothing() -> (
    None
):
    spec()
    converge()

    def widen(state: SimState) -> None:
        group = state.group(12)
        assert group is not None
        group.access_level = "view_and_modify"

    edit_state(widen)
    before = sim_state()
    code, data = verify_json()
    assert code == 1
    failed = set(data["failed"])
    assert {
        "staff-search",
        "security-groups",
        "write-group-edit",
        "write-page-permissions-toggle",
        "write-staff-new",
    } <= failed
    # Write probes resubmit forms unchanged: even allowed, they changed nothing.
    after = sim_state()
    assert after.groups == before.groups and after.page_toggle == before.page_toggle
    assert [s.teachernumber for s in after.staff] == [
        s.teachernumber for s in before.staff
    ]


def test_allowed_ips_are_proven_from_inside_and_outside() -> None:
    spec(extra="    allowed_ips: [54.241.134.131, 10.20.0.0/16]\n")
    converge()
    result = run("verify", "demo.yaml")
    assert result.exit_code == 0, result.output
    assert "[pass] sign-in-outside-allowed-ips" in result.stdout
    assert "refused from 203.0.113.1" in result.stdout
    assert "not allowed to sign in at this time or from this location" in result.stdout
    assert "# sim://: the sync sessions came from 54.241.134.131" in result.stdout
    assert "no traffic was sent" in result.stdout
    assert sim_state().failed_logins == {}


def test_allowed_ips_widened_by_hand_fail_both_checks() -> None:
    spec(extra="    allowed_ips: [54.241.134.131]\n")
    converge()
    edit_state(lambda s: setattr(sync_staff(s), "ipaddrrestrict", []))
    code, data = verify_json()
    assert code == 1
    assert data["failed"] == ["account-allowed-ips", "sign-in-outside-allowed-ips"]
    ips = next(r for r in data["results"] if r["id"] == "account-allowed-ips")
    assert (ips["expected"], ips["observed"]) == ("54.241.134.131", "any address")


def test_sign_in_window_is_read_through_the_admin_session() -> None:
    spec(extra='    sign_in_window: {from: "07:00", to: "18:00"}\n')
    seed(settings=SimSettings(clock=datetime(2025, 3, 3, 12, 0)))
    converge()
    assert verify_json()[0] == 0
    edit_state(lambda s: setattr(sync_staff(s), "allow_login_end", "20:00"))
    code, data = verify_json()
    assert code == 1 and data["failed"] == ["account-sign-in-window"]
    window = next(r for r in data["results"] if r["id"] == "account-sign-in-window")
    assert (window["expected"], window["observed"]) == ("07:00-18:00", "07:00-20:00")


def test_missing_account_is_not_signed_in_as() -> None:
    spec()
    result = run("verify", "demo.yaml")
    assert result.exit_code == 1
    assert "not tried: no staff member with ID 99999 exists" in result.stdout
    assert sim_state().failed_logins == {}


def test_legacy_flavor_passes_too() -> None:
    spec(url="sim://demo?flavor=legacy")
    converge()
    result = run("verify", "demo.yaml")
    assert result.exit_code == 0, result.output
    assert "(PowerSchool 23.10.0.2, legacy)" in result.stdout


def test_staff_id_picks_among_several_sync_accounts() -> None:
    spec(
        extra=(
            "staff:\n"
            '  - id: "99998"\n'
            "    last_name: Backup\n"
            "    first_name: Sync\n"
            "    admin_access:\n"
            "      enabled: true\n"
            "      username: cleverbackup\n"
            "      password: ${env:CLEVER_SYNC_PASSWORD}\n"
            "      default_group: 12\n"
        )
    )
    converge()
    ambiguous = run("verify", "demo.yaml")
    assert ambiguous.exit_code == 1
    assert "several candidate sync accounts (99998, 99999)" in ambiguous.stderr
    assert "--staff-id" in ambiguous.stderr
    chosen = run("verify", "demo.yaml", "--staff-id", "99998", "--format", "json")
    assert report(chosen)["account"]["username"] == "cleverbackup"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "error: verify needs a SPEC file"),
        (["demo.yaml", "--staff-id", "12345"], "staff '12345' is not in the spec"),
        (
            ["demo.yaml", "--sync-password", OLD],
            "--sync-password takes a reference such as ${env:NAME}",
        ),
        (
            ["demo.yaml", "--sync-password", "${env:NOT_SET_ANYWHERE}"],
            "--sync-password: ${env:NOT_SET_ANYWHERE}: environment variable is not set",
        ),
        (
            ["demo.yaml", "--sync-password", "${env:CLEVER_SYNC_PASSWORD}"],
            "the spec keeps staff '99999'",
        ),
        (["missing.yaml"], "missing.yaml:1:1: error: cannot read the file"),
    ],
)
def test_usage_errors_are_one_line(args: list[str], message: str) -> None:
    spec()
    result = run("verify", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len([line for line in lines if ": warning: " not in line]) == 1
    assert OLD not in result.output


def test_spec_without_a_sync_account_is_an_error() -> None:
    Path("bare.yaml").write_text(
        'psconfig: 1\nname: bare\nserver: {url: "sim://demo"}\n'
        "security_groups:\n  - {number: 12, name: Read-Only Export}\n"
    )
    result = run("verify", "bare.yaml")
    assert result.exit_code == 1
    assert "the spec has no sync account" in result.stderr


def test_a_second_affiliation_does_not_change_the_proof() -> None:
    """The sync account at another school too: District Office sign-in still rules."""
    spec()
    converge()
    edit_state(
        lambda s: sync_staff(s).affiliations.append(
            SimAffiliation(school=100, staff_type=2)
        )
    )
    assert verify_json()[0] == 0


def test_no_password_in_any_report_output_or_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec(extra="    allowed_ips: [54.241.134.131]\n")
    converge()
    results = [
        run("verify", "demo.yaml", "--format", fmt, "--out", f"report.{fmt}")
        for fmt in ("text", "json", "markdown")
    ]
    monkeypatch.setenv("CLEVER_SYNC_PASSWORD", "canary-WRONG-0c4f")
    results.append(run("verify", "demo.yaml", "--format", "json"))
    assert [r.exit_code for r in results] == [0, 0, 0, 1]
    for secret in (OLD, "canary-WRONG-0c4f"):
        for result in results:
            assert secret not in result.stdout and secret not in result.stderr
        for path in Path.cwd().rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path


def test_a_districts_own_markdown_template(tmp_path: Path) -> None:
    spec()
    converge()
    (tmp_path / "verify.md.j2").write_text(
        '{% extends "psconfig/verify.md.j2" %}\n'
        "{% block footer %}\nFiled by {{ account }} for the auditors.\n{% endblock %}\n"
    )
    args = ("verify", "demo.yaml", "--format", "markdown")
    plain = run(*args)
    own = run(*args, "--template", str(tmp_path))
    assert own.exit_code == plain.exit_code == 0, own.output
    assert own.stdout.startswith("<!-- psconfig:verify name=demo -->")
    assert own.stdout.endswith("Filed by cleversync (staff 99999) for the auditors.\n")


def test_a_broken_verify_template_stops_before_anything_is_read(
    tmp_path: Path,
) -> None:
    (tmp_path / "verify.md.j2").write_text("{% block x %}\n{{ name }\n")
    # No spec file at all: the template is checked first, so its error is the one.
    result = run(
        "verify", "nowhere.yaml", "--format", "markdown", "--template", str(tmp_path)
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {tmp_path / 'verify.md.j2'}:2: template: ")
    assert len(result.stderr.splitlines()) == 1
    wrong = run("verify", "nowhere.yaml", "--template", str(tmp_path))
    assert wrong.stderr == (
        "error: --template shapes the comment: use it with --format markdown\n"
    )
