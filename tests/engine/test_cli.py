"""End to end through the CLI against a fresh sim:// PowerSchool."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from psconfig.cli import _register_all, app
from psconfig.cli.common import state_home
from psconfig.engine.applying.lock import target_lock
from psconfig.sim import load_state, request_log_path, save_state, state_path_for
from tests.engine.builders import CANARY
from tests.engine.portal import AdminBrowser

DEMO_SPEC = """\
psconfig: 1
name: demo
server: {url: "sim://demo"}
preset:
  clever-dde-sync:
    group_number: 12
    username: cleversync
    password: ${env:CLEVER_SYNC_PASSWORD}
"""
REMOVAL_SPEC = """\
psconfig: 1
name: demo
server: {url: "sim://demo"}
staff:
  - id: "99999"
    ensure: absent
"""
SELF_SPEC = """\
psconfig: 1
name: demo
server: {url: "sim://demo"}
staff:
  - id: "1"
    title: Superintendent
"""
SIM_DIR = Path(".psconfig") / "sim"
HEALTH = "-100001"

_register_all()


@pytest.fixture(autouse=True)
def _sync_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLEVER_SYNC_PASSWORD", CANARY)
    monkeypatch.delenv("PSCONFIG_AUDIT_LOG", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    Path("demo.yaml").write_text(DEMO_SPEC)


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin)


def converge() -> None:
    assert run("apply", "demo.yaml", "--auto-approve").exit_code == 0


def add_health_out_of_band() -> None:
    async def edit() -> None:
        async with AdminBrowser("sim://demo", SIM_DIR) as admin:
            await admin.edit_form(
                "/admin/security/groups/edit.html?group=12",
                "groupForm",
                [("logtypes", HEALTH)],
            )

    asyncio.run(edit())


def test_plan_apply_plan_drift_on_a_fresh_server() -> None:
    first = run("plan", "demo.yaml")
    assert first.exit_code == 2, first.output
    out = first.stdout
    for step in (
        '~ name: "Group 12" -> "Read-Only Export"',
        "page_toggle will be turned on for this apply only",
        '~ page_permissions["/admin/tech/dde/home.html"]',
        '~ page_permissions["/admin/tech/dde/exportrecords.html"]',
        '~ group 12: "group_default" -> "full"',
        '+ staff["99999"]',
        '+ admin_access.username: "cleversync"',
        "+ admin_access.enabled: true",
        "+ admin_access.default_group: 12",
        '+ admin_access.roles: [{"school": 0, "group": null}]',
        '+ affiliations: [{"school": 0, "home": true, "active": true',
        "(sensitive, from ${env:CLEVER_SYNC_PASSWORD})",
        "page_toggle will be restored off",
        "Plan: 1 to create, 3 to change, 0 to remove.",
    ):
        assert step in out, step

    applied = run("apply", "demo.yaml", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 1 created, 3 changed, 0 removed." in applied.stdout
    assert 'staff["99999"]: applied' in applied.stdout

    again = run("plan", "demo.yaml")
    assert again.exit_code == 0, again.output
    assert "No changes. PowerSchool matches the spec." in again.stdout
    clean = run("drift", "demo.yaml")
    assert clean.exit_code == 0, clean.output
    assert "No drift." in clean.stdout


def test_second_apply_changes_nothing() -> None:
    converge()
    state_file = state_path_for("sim://demo", SIM_DIR)
    before = load_state(state_file)
    save_state(before.model_copy(update={"request_log": True}), state_file)
    result = run("apply", "demo.yaml", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "No changes." in result.stdout
    posts = [
        json.loads(line)["path"]
        for line in request_log_path(state_file).read_text().splitlines()
        if json.loads(line)["is_write"]
    ]
    # Sign-in aside, only the driver's documented read bracket of the toggle.
    assert [p.split("?")[0] for p in posts if p != "/admin/home.html"] == [
        "/admin/security/changepageaccesspriv.html"
    ] * 2
    after = load_state(state_file)
    assert after.groups == before.groups and after.staff == before.staff


def test_out_of_band_escalation_is_critical_drift_and_apply_restores() -> None:
    converge()
    add_health_out_of_band()
    drifted = run("drift", "demo.yaml")
    assert drifted.exit_code == 2, drifted.output
    assert "# group.12 has drifted  CRITICAL privilege escalation" in drifted.stdout
    assert "(!) log_types added: health" in drifted.stdout
    assert '~ log_types: [] -> ["health"]' in drifted.stdout
    md = run("drift", "demo.yaml", "--format", "markdown")
    assert md.exit_code == 2
    assert "**CRITICAL** privilege escalation" in md.stdout
    restored = run("apply", "demo.yaml", "--auto-approve")
    assert restored.exit_code == 0, restored.output
    assert run("drift", "demo.yaml").exit_code == 0


def test_saved_plan_applies_and_a_moved_live_state_is_refused() -> None:
    planned = run("plan", "demo.yaml", "--out", "plan.json")
    assert planned.exit_code == 2
    assert run("apply", "--plan", "plan.json", "--auto-approve").exit_code == 0
    assert run("plan", "demo.yaml", "--out", "plan.json").exit_code == 0

    Path("demo.yaml").write_text(DEMO_SPEC.replace("name: demo", "name: demo2"))
    assert run("plan", "demo.yaml", "--out", "stale.json").exit_code == 0
    Path("demo.yaml").write_text(DEMO_SPEC)
    stale_spec = run("apply", "--plan", "stale.json", "--auto-approve")
    assert stale_spec.exit_code == 3
    assert "stale plan: the spec demo.yaml changed" in stale_spec.stderr

    assert run("plan", "demo.yaml", "--out", "plan.json").exit_code == 0
    add_health_out_of_band()
    stale = run("apply", "--plan", "plan.json", "--auto-approve")
    assert stale.exit_code == 3, stale.output
    assert "stale plan" in stale.stderr
    assert "PowerSchool changed since the plan was made" in stale.stderr
    assert "Traceback" not in stale.output


def test_no_secret_in_any_output_or_file() -> None:
    outputs = [
        run("plan", "demo.yaml", "--format", "json", "--out", "plan.json"),
        run("plan", "demo.yaml", "--format", "markdown"),
        run("apply", "--plan", "plan.json", "--auto-approve"),
        run("plan", "demo.yaml", "--format", "json"),
        run("drift", "demo.yaml", "--format", "json"),
    ]
    for result in outputs:
        assert CANARY not in result.output
        assert CANARY not in result.stderr
    json.loads(outputs[3].stdout)
    plan = json.loads(Path("plan.json").read_text())
    create = next(c for c in plan["changes"] if c["actions"] == ["create"])
    assert create["op"]["password"] == "(sensitive)"
    for path in Path.cwd().rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path


def test_audit_log_default_and_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    converge()
    default = Path(".psconfig") / "audit.jsonl"
    events = [json.loads(line) for line in default.read_text().splitlines()]
    assert events[0]["event"] == "start" and events[-1]["outcome"] == "success"
    assert {e["operator"]["username"] for e in events} == {"admin"}
    monkeypatch.setenv("PSCONFIG_AUDIT_LOG", "logs/apply.jsonl")
    converge()
    lines = Path("logs/apply.jsonl").read_text().splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["start", "end"]


def test_lock_held_by_another_apply_refuses() -> None:
    with target_lock("sim://demo", state_home(), timeout=1):
        result = run("apply", "demo.yaml", "--auto-approve", "--lock-timeout", "0.1")
    assert result.exit_code == 3, result.output
    assert (
        "another psconfig run (apply, plan or drift) holds the lock for sim://demo"
        in result.stderr
    )
    audit = Path(".psconfig") / "audit.jsonl"
    (record,) = [json.loads(line) for line in audit.read_text().splitlines()]
    assert record["event"] == "refused"
    assert record["target"]["url"] == "sim://demo"


def test_removal_needs_allow_remove_staff() -> None:
    converge()
    Path("removal.yaml").write_text(REMOVAL_SPEC)
    refused = run("apply", "removal.yaml", "--auto-approve")
    assert refused.exit_code == 3, refused.output
    assert "refusing to remove staff without --allow-remove-staff" in refused.stderr
    lowering = run("apply", "removal.yaml", "--auto-approve", "--allow-lower-access")
    assert lowering.exit_code == 3, lowering.output
    done = run("apply", "removal.yaml", "--auto-approve", "--allow-remove-staff")
    assert done.exit_code == 0, done.output
    assert "Apply complete: 0 created, 0 changed, 1 removed." in done.stdout
    assert run("plan", "removal.yaml").exit_code == 0


def test_allow_delete_still_grants_both_intents_with_a_warning() -> None:
    converge()
    Path("removal.yaml").write_text(REMOVAL_SPEC)
    done = run(
        "apply",
        "removal.yaml",
        "--auto-approve",
        "--allow-delete",
        "--audit-log",
        "audit.jsonl",
    )
    assert done.exit_code == 0, done.output
    assert "warning: --allow-delete is deprecated" in done.stderr
    assert "--allow-lower-access and --allow-remove-staff" in done.stderr
    records = [
        json.loads(line) for line in Path("audit.jsonl").read_text().splitlines()
    ]
    assert {tuple(r["intents"]) for r in records} == {
        ("--allow-lower-access", "--allow-remove-staff")
    }


def test_the_audit_record_names_the_intents_granted_and_the_refusal() -> None:
    converge()
    Path("removal.yaml").write_text(REMOVAL_SPEC)
    args = ("apply", "removal.yaml", "--auto-approve", "--audit-log", "audit.jsonl")
    refused = run(*args, "--allow-lower-access")
    assert refused.exit_code == 3, refused.output
    assert "deprecated" not in refused.stderr
    (record,) = [
        json.loads(line) for line in Path("audit.jsonl").read_text().splitlines()
    ]
    assert record["event"] == "refused"
    assert record["intents"] == ["--allow-lower-access"]
    assert "without --allow-remove-staff" in record["error"]


def test_own_account_is_refused() -> None:
    Path("self.yaml").write_text(SELF_SPEC)
    result = run(
        "apply",
        "self.yaml",
        "--auto-approve",
        "--allow-lower-access",
        "--allow-remove-staff",
    )
    assert result.exit_code == 3, result.output
    assert 'staff["1"] is the account psconfig is signed in as (admin)' in result.stderr


def test_apply_asks_and_refuses_without_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refused = run("apply", "demo.yaml")
    assert refused.exit_code == 3
    assert "pass --auto-approve" in refused.stderr
    monkeypatch.setattr("psconfig.cli.common.stdin_is_tty", lambda: True)
    declined = run("apply", "demo.yaml", stdin="n\n")
    assert declined.exit_code == 1
    assert "Apply these changes to sim://demo?" in declined.stdout
    assert "apply cancelled; nothing was changed" in declined.stderr
    assert run("plan", "demo.yaml").exit_code == 2
    accepted = run("apply", "demo.yaml", stdin="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert run("plan", "demo.yaml").exit_code == 0


def test_many_specs_aggregate_exit_codes() -> None:
    Path("specs").mkdir()
    Path("specs/a.yaml").write_text(DEMO_SPEC)
    Path("specs/b.yaml").write_text(DEMO_SPEC.replace("sim://demo", "sim://other"))
    both = run("plan", "specs")
    assert both.exit_code == 2
    assert both.stdout.count("Plan: 1 to create") == 2
    as_json = json.loads(run("plan", "specs", "--format", "json").stdout)
    urls = [d["plan"]["target"]["url"] for d in as_json["districts"]]
    assert urls == ["sim://demo", "sim://other"]
    Path("specs/c.yaml").write_text("psconfig: 1\nname: [broken\n")
    broken = run("plan", "specs")
    assert broken.exit_code == 1
    assert "specs/c.yaml" in broken.stderr
    assert both.stdout.count("Plan:") == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["apply", "demo.yaml", "--plan", "p.json"], "SPEC files or --plan"),
        (["apply", "--auto-approve"], "SPEC files or --plan"),
        (["apply", "--plan", "missing.json", "--auto-approve"], "cannot read the plan"),
        (["plan", "demo.yaml", "copy.yaml", "--out", "x.json"], "--out saves one plan"),
        (["plan", "nowhere.yaml"], "nowhere.yaml"),
        (["plan"], "plan needs at least one SPEC"),
        (["drift"], "drift needs at least one SPEC"),
    ],
)
def test_usage_errors_are_one_line_exit_1(args: list[str], message: str) -> None:
    Path("copy.yaml").write_text(DEMO_SPEC)
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_markdown_and_json_formats() -> None:
    md = run("plan", "demo.yaml", "--format", "markdown")
    assert md.exit_code == 2
    assert md.stdout.startswith(
        "<!-- psconfig:plan name=demo -->\n## psconfig plan: demo"
    )
    data = json.loads(run("plan", "demo.yaml", "--format", "json").stdout)
    assert data["format_version"] == "1.0"
    assert data["spec"]["path"] == "demo.yaml"
    assert data["target"]["url"] == "sim://demo"
    assert any("toggle" in note for note in data["notes"])


def test_colour_only_on_a_terminal_and_never_with_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain = run("plan", "demo.yaml")
    assert "\x1b[" not in plain.stdout
    monkeypatch.setattr("psconfig.cli.common.stdout_is_tty", lambda: True)
    coloured = run("plan", "demo.yaml")
    assert coloured.exit_code == 2
    assert "\x1b[" in coloured.stdout
    assert "Plan: 1 to create" in coloured.stdout
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run("plan", "demo.yaml").stdout
    assert "\x1b[" not in run("plan", "demo.yaml", "--format", "markdown").stdout


def test_server_flag_retargets_the_plan() -> None:
    result = run("plan", "demo.yaml", "--server", "sim://elsewhere", "--format", "json")
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout)["target"]["url"] == "sim://elsewhere"
    assert (SIM_DIR / "elsewhere.json").exists()


def test_legacy_flavor_converges_too() -> None:
    legacy = "sim://old?flavor=legacy"
    planned = run("plan", "demo.yaml", "--server", legacy, "--format", "json")
    assert planned.exit_code == 2, planned.output
    assert json.loads(planned.stdout)["target"]["flavor"] == "legacy"
    applied = run("apply", "demo.yaml", "--server", legacy, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert run("plan", "demo.yaml", "--server", legacy).exit_code == 0


def test_staff_with_history_is_deactivated_instead_and_then_converged() -> None:
    converge()
    state_file = state_path_for("sim://demo", SIM_DIR)
    state = load_state(state_file)
    staff = [
        s.model_copy(update={"has_history": s.teachernumber == "99999"})
        for s in state.staff
    ]
    save_state(state.model_copy(update={"staff": staff}), state_file)
    Path("removal.yaml").write_text(REMOVAL_SPEC)
    done = run("apply", "removal.yaml", "--auto-approve", "--allow-remove-staff")
    assert done.exit_code == 0, done.output
    assert "refused the delete" in done.stdout
    assert "deactivated instead" in done.stdout
    after = run("plan", "removal.yaml")
    assert after.exit_code == 0, after.output
    assert "deactivated but not deleted" in after.stdout
    audit = Path(".psconfig/audit.jsonl").read_text().splitlines()
    assert "deactivated instead" in json.loads(audit[-2])["note"]


def set_sim_state(**changes: object) -> None:
    state_file = state_path_for("sim://demo", SIM_DIR)
    save_state(load_state(state_file).model_copy(update=changes), state_file)


def test_toggle_left_on_is_critical_drift_and_apply_turns_it_off() -> None:
    converge()
    set_sim_state(page_toggle=True)  # as a crashed apply would leave it
    drifted = run("drift", "demo.yaml")
    assert drifted.exit_code == 2, drifted.output
    assert "# page_toggle has drifted  CRITICAL privilege escalation" in drifted.stdout
    assert "(!) page_toggle turned on" in drifted.stdout
    planned = run("plan", "demo.yaml")
    assert planned.exit_code == 2, planned.output
    assert "# page_toggle will be turned off" in planned.stdout
    assert "(-) page_toggle turned off" in planned.stdout
    applied = run("apply", "demo.yaml", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert load_state(state_path_for("sim://demo", SIM_DIR)).page_toggle is False
    assert run("drift", "demo.yaml").exit_code == 0


def test_access_granted_by_hand_to_an_unlisted_group_is_drift_and_reset() -> None:
    converge()
    export = "/admin/tech/dde/exportrecords.html"
    set_sim_state(page_permissions={export: {7: "full", 12: "full"}})
    drifted = run("drift", "demo.yaml")
    assert drifted.exit_code == 2, drifted.output
    assert (
        f'# page_permissions["{export}"] has drifted  CRITICAL privilege escalation'
        in drifted.stdout
    )
    assert "(!) group 7 not in the spec: granted full by hand" in drifted.stdout
    planned = run("plan", "demo.yaml")
    assert '~ group 7: "full" -> "group_default"' in planned.stdout
    refused = run("apply", "demo.yaml", "--auto-approve")
    assert refused.exit_code == 3, refused.output
    assert "lowers group 7" in refused.stderr
    done = run("apply", "demo.yaml", "--auto-approve", "--allow-lower-access")
    assert done.exit_code == 0, done.output
    assert run("drift", "demo.yaml").exit_code == 0


def test_an_unwritable_audit_log_does_not_turn_a_refusal_into_an_error() -> None:
    converge()
    Path("removal.yaml").write_text(REMOVAL_SPEC)
    Path("file").write_text("")
    refused = run(
        "apply", "removal.yaml", "--auto-approve", "--audit-log", "file/audit.jsonl"
    )
    assert refused.exit_code == 3, refused.output
    lines = refused.stderr.splitlines()
    assert any("without --allow-remove-staff" in line for line in lines)
    assert any(
        line.startswith("warning: cannot write the audit log file/audit.jsonl")
        for line in lines
    )
    assert "Traceback" not in refused.output


GROUPS_SPEC = """\
psconfig: 1
name: demo
server: {url: "sim://demo"}
security_groups:
  - number: NUMBER
    name: NAME
"""


def groups_spec(number: int, name: str) -> str:
    Path("groups.yaml").write_text(
        GROUPS_SPEC.replace("NUMBER", str(number)).replace("NAME", name)
    )
    return "groups.yaml"


def test_a_group_number_far_above_the_count_is_stated_and_refused() -> None:
    spec = groups_spec(20, "Far Export")
    planned = run("plan", spec)
    assert planned.exit_code == 2, planned.output
    assert "# group.20 will be created (adds 7 groups, 14 to 20)" in planned.stdout
    assert (
        "apply needs --allow-add-groups (PowerSchool cannot delete a group): "
        "group.20 adds 7 groups, 14 to 20" in planned.stdout
    )
    refused = run("apply", spec, "--auto-approve")
    assert refused.exit_code == 3, refused.output
    assert "refusing to add more than one group without --allow-add-groups" in (
        refused.stderr
    )
    assert "group.20 adds 7 groups, 14 to 20" in refused.stderr
    state = load_state(state_path_for("sim://demo", SIM_DIR))
    assert len(state.groups) == 13  # nothing was added
    next_free = run("apply", groups_spec(14, "Next Export"), "--auto-approve")
    assert next_free.exit_code == 0, next_free.output


def test_allow_add_groups_lets_a_far_group_number_through() -> None:
    spec = groups_spec(20, "Far Export")
    flagged = run("apply", spec, "--auto-approve", "--allow-add-groups")
    assert flagged.exit_code == 0, flagged.output
    state = load_state(state_path_for("sim://demo", SIM_DIR))
    assert len(state.groups) == 20
    assert run("plan", spec).exit_code == 0


def test_plan_says_apply_will_refuse_psconfigs_own_group() -> None:
    planned = run("plan", groups_spec(9, "Administrators"))
    assert planned.exit_code == 2, planned.output
    assert (
        "apply will refuse: group.9 changes group 9, which the signed-in account "
        "'admin' depends on"
    ) in planned.stdout
    assert run("apply", "groups.yaml", "--auto-approve").exit_code == 3


def test_markdown_never_lists_a_restriction_as_an_escalation_reason() -> None:
    Path("demo.yaml").write_text(DEMO_SPEC + "    allowed_ips: [192.0.2.10]\n")
    md = run("plan", "demo.yaml", "--format", "markdown")
    assert md.exit_code == 2, md.output
    (line,) = [ln for ln in md.stdout.splitlines() if ln.startswith("- `staff")]
    escalation, reduction = line.split(" · ")
    assert "**privilege escalation**" in escalation
    assert "restricted" not in escalation
    assert reduction.startswith("privilege reduction: admin_access.allowed_ips")
