"""verify catches every page of its deny list the account can reach (issue 13, 9).

Whatever grants the access (a page override on a page the spec does not list, a
role naming a wider group), the probe runs as the sync account itself, so the
server's own answer decides. ``drift`` reads only the pages the spec lists: an
override elsewhere is invisible to it, which is why verify exists.
"""

from __future__ import annotations

import pytest

from psconfig.drivers.portal.pages.probes import load_probes
from psconfig.sim.state import SimRole
from tests.verify.helpers import converge, edit_state, run, spec, sync_staff
from tests.verify.test_verify import verify_json

SYSTEM = ("/admin/security/", "/admin/faculty/", "/admin/tech/")
# Deny probes of pages only View & Modify reaches by default, reached by GET.
SYSTEM_DENIED = {
    p.id: p.path
    for p in load_probes()
    if p.expect == "denied"
    and p.method == "GET"
    and "{" not in p.path
    and "?" not in p.path
    and p.path.startswith(SYSTEM)
}


def test_the_deny_list_has_the_add_groups_page() -> None:
    assert "security-groups-add" in SYSTEM_DENIED


@pytest.mark.parametrize("probe", sorted(SYSTEM_DENIED))
def test_an_override_on_a_page_the_spec_does_not_list(probe: str) -> None:
    spec()
    converge()
    path = SYSTEM_DENIED[probe]
    edit_state(lambda s: s.page_permissions.setdefault(path, {}).update({12: "full"}))
    drift = run("drift", "demo.yaml")
    assert drift.exit_code == 0, drift.output  # drift cannot see it: documented
    code, data = verify_json()
    assert code == 1
    assert probe in data["failed"], data["failed"]


def test_a_second_role_naming_a_wider_group_fails_every_system_probe() -> None:
    spec()
    converge()
    # Group 9 (Administrator, View & Modify) at the District Office, beside the
    # guide's Default Group Access row.
    edit_state(lambda s: sync_staff(s).roles.append(SimRole(school=0, group=9)))
    code, data = verify_json()
    assert code == 1
    assert set(SYSTEM_DENIED) <= set(data["failed"]), data["failed"]


def test_a_second_role_read_through_the_portal_is_critical_drift() -> None:
    spec()
    converge()
    edit_state(lambda s: sync_staff(s).roles.append(SimRole(school=0, group=9)))
    _, data = verify_json()
    assert "account-roles" in data["failed"]
    drift = run("drift", "demo.yaml")
    assert drift.exit_code == 2, drift.output
    assert 'staff["99999"] has drifted  CRITICAL privilege escalation' in drift.stdout


# Probes of the account's own staff pages ({frn}: its record, found by an admin).
SELF_DENIED = {p.id: p.path.split("?")[0] for p in load_probes() if "{frn}" in p.path}


def test_the_deny_list_has_the_accounts_own_pages() -> None:
    assert {"staff-edit-self", "staff-admin-access-self"} <= set(SELF_DENIED)


@pytest.mark.parametrize("page", sorted(set(SELF_DENIED.values())))
def test_an_override_on_the_accounts_own_staff_page(page: str) -> None:
    spec()
    converge()
    edit_state(lambda s: s.page_permissions.setdefault(page, {}).update({12: "full"}))
    code, data = verify_json()
    assert code == 1
    reached = {probe for probe, path in SELF_DENIED.items() if path == page}
    assert set(data["failed"]) == reached, data["failed"]
    results = {r["id"]: r for r in data["results"]}
    assert all("frn=005" in results[p]["path"] for p in reached)
