"""The clever-dde-sync preset expands to exactly specs/clever-dde-sync.yaml."""

from __future__ import annotations

import re
from pathlib import Path

from psconfig.model import Desired, TimeWindow
from psconfig.spec import expand_spec, load_spec
from tests.spec.conftest import REPO, WriteSpec

FULL = REPO / "specs" / "clever-dde-sync.yaml"
SERVER = """\
server:
  url: https://powerschool.example.org
  username: ${env:PS_ADMIN_USER}
  password: ${env:PS_ADMIN_PASSWORD}
"""


def desired_of(path: Path) -> Desired:
    return load_spec(path).desired(resolve_secrets=False)


def managed(desired: Desired) -> dict[str, object]:
    """Everything a desired state manages, including which fields are set."""
    return {
        "dump": desired.model_dump(exclude_unset=True),
        "groups": {n: g.model_fields_set for n, g in desired.groups.items()},
        "staff": {
            sid: (s.model_fields_set, s.admin_access.model_fields_set)
            for sid, s in desired.staff.items()
        },
    }


def test_the_preset_expands_to_exactly_the_full_spec(write_spec: WriteSpec) -> None:
    path = write_spec(
        "psconfig: 1\nname: clever-dde-sync\n"
        + SERVER
        + "preset:\n  clever-dde-sync:\n    password: ${env:CLEVER_SYNC_PASSWORD}\n"
    )
    from_preset, full = desired_of(path), desired_of(FULL)
    assert from_preset == full
    assert managed(from_preset) == managed(full)


def test_every_value_of_the_full_spec_cites_the_guide() -> None:
    lines = FULL.read_text().splitlines()
    start = lines.index("security_groups:")
    for line in lines[start:]:
        text = line.split("#", 1)[0].strip()
        if text and not text.endswith(":"):
            assert re.search(r"# guide \d", line), f"no guide section cited: {line}"


def test_parameters_are_applied(write_spec: WriteSpec) -> None:
    path = write_spec(
        """\
psconfig: 1
name: district
server: {url: sim://district}
preset:
  clever-dde-sync:
    group_number: 40
    group_name: Clever Export
    staff_id: "123"
    username: clever-sync
    password: ${file:sync-password}
    last_name: Robot
    first_name: Clever
    allowed_ips: [192.0.2.0/24]
    sign_in_window: {from: "06:00", to: "21:30"}
"""
    )
    desired = desired_of(path)
    assert set(desired.groups) == {40}
    assert desired.groups[40].name == "Clever Export"
    assert desired.page_permissions == {
        "/admin/tech/dde/home.html": {40: "full"},
        "/admin/tech/dde/exportrecords.html": {40: "full"},
    }
    staff = desired.staff["123"]
    assert (staff.last_name, staff.first_name) == ("Robot", "Clever")
    admin = staff.admin_access
    assert admin.username == "clever-sync"
    assert admin.default_group == 40
    assert admin.allowed_ips == ("192.0.2.0/24",)
    assert admin.sign_in_window == TimeWindow(start="06:00", end="21:30")
    assert desired.password_refs == {"123": "${file:sync-password}"}


def test_items_beside_the_preset_merge_field_by_field(write_spec: WriteSpec) -> None:
    path = write_spec(
        """\
psconfig: 1
name: district
server: {url: sim://district}
preset:
  clever-dde-sync:
    password: ${env:CLEVER_SYNC_PASSWORD}
security_groups:
  - number: 12
    report_queue_priority: 3
  - number: 30
    name: Auditors
    access_level: view_only
page_permissions:
  toggle: off
  pages:
    /admin/tech/dde/home.html: {Auditors: view_only}
staff:
  - id: "99999"
    email: clever@example.org
    admin_access:
      allowed_ips: [192.0.2.10]
"""
    )
    desired = desired_of(path)
    full = desired_of(FULL)
    group = desired.groups[12]
    assert group.report_queue_priority == 3
    assert group.model_copy(update={"report_queue_priority": 0}) == full.groups[12]
    assert desired.groups[30].name == "Auditors"
    assert desired.toggle == "off"
    assert desired.page_permissions["/admin/tech/dde/home.html"] == {
        12: "full",
        30: "view_only",
    }
    staff = desired.staff["99999"]
    assert staff.email == "clever@example.org"
    # admin_access merged key by key: the preset's username and roles remain.
    assert staff.admin_access.allowed_ips == ("192.0.2.10",)
    assert staff.admin_access.username == "cleversync"
    assert staff.admin_access.roles == full.staff["99999"].admin_access.roles


def test_an_absent_entry_replaces_the_preset_account(write_spec: WriteSpec) -> None:
    path = write_spec(
        """\
psconfig: 1
name: district
server: {url: sim://district}
preset:
  clever-dde-sync:
    password: ${env:CLEVER_SYNC_PASSWORD}
removal: deactivate
staff:
  - {id: "99999", ensure: absent}
"""
    )
    desired = desired_of(path)
    assert desired.staff == {}
    assert desired.absent_staff == frozenset({"99999"})
    assert desired.removal == "deactivate"
    assert set(desired.groups) == {12}


def test_expand_writes_the_preset_out_as_a_loadable_spec(
    write_spec: WriteSpec,
) -> None:
    source = write_spec(
        "psconfig: 1\nname: x\n"
        + SERVER
        + "preset:\n  clever-dde-sync:\n    password: ${env:CLEVER_SYNC_PASSWORD}\n"
        + "    allowed_ips: [192.0.2.10]\n"
    )
    loaded = load_spec(source)
    expanded = write_spec(expand_spec(loaded), "expanded.yaml")
    assert "preset" not in expanded.read_text()
    assert "${env:CLEVER_SYNC_PASSWORD}" in expanded.read_text()
    assert desired_of(expanded) == loaded.desired(resolve_secrets=False)
