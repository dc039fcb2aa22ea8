"""A second role hides no escalation (issue 13, item 1): every role row counts.

PowerSchool keeps one row per (user, school, role) and grants the highest access
over the default group and every role's group, so a school may carry several rows.
psconfig reads each row as it is: ``verify`` fails when a row grants a group the
spec does not, and ``drift`` reports it as CRITICAL.
"""

from __future__ import annotations

import pytest

from psconfig.drivers.portal.pages.probes import load_probes
from psconfig.engine.proving.verify import VerifyOptions, verify_spec
from psconfig.model import Role, Staff
from psconfig.spec import load_spec
from tests.engine.builders import clever_desired, clever_group, clever_staff, plan_for
from tests.engine.fakes import fresh_state
from tests.verify.fakes import SYNC, FakePortal, sync_driver
from tests.verify.helpers import spec

ADMIN_GROUP = 2
"""The built-in Admin group: log and health pages among much else."""


def _two_roles(roles: tuple[Role, ...]) -> Staff:
    access = SYNC.admin_access.model_copy(update={"roles": roles})
    return SYNC.model_copy(update={"admin_access": access})


@pytest.mark.anyio
async def test_verify_fails_a_second_role_naming_a_wider_group() -> None:
    staff = _two_roles((Role(school=0), Role(school=0, group=ADMIN_GROUP)))
    fake = FakePortal(sync_driver(staff=staff))
    options = VerifyOptions(probes=load_probes())
    report = await verify_spec(load_spec(spec()), fake.portal(), options)
    (roles,) = [r for r in report.results if r.id == "account-roles"]
    assert roles.outcome == "fail"
    assert "school 0: Default Group Access; school 0: group 2" in roles.observed
    assert "group 2 grants more than the spec" in roles.observed
    assert "account-roles" in report.failed


@pytest.mark.anyio
async def test_verify_passes_the_guide_s_one_role() -> None:
    fake = FakePortal(sync_driver())
    options = VerifyOptions(probes=load_probes())
    report = await verify_spec(load_spec(spec()), fake.portal(), options)
    (roles,) = [r for r in report.results if r.id == "account-roles"]
    assert roles.outcome == "pass", roles


def test_drift_reports_a_second_role_as_critical() -> None:
    desired = clever_desired()
    live = fresh_state()
    sync = clever_staff()
    roles = (Role(school=0), Role(school=0, group=ADMIN_GROUP))
    sync = sync.model_copy(
        update={"admin_access": sync.admin_access.model_copy(update={"roles": roles})}
    )
    live = live.model_copy(
        update={
            "groups": {**live.groups, 12: clever_group()},
            "page_permissions": desired.page_permissions,
            "staff": {**live.staff, "99999": sync},
        }
    )
    drift = plan_for(desired, live, mode="drift")
    (change,) = drift.changes
    assert change.address == 'staff["99999"]'
    assert change.severity == "escalation"
    assert [f.message for f in change.findings] == [
        "admin_access.roles added: school 0 group 2"
    ]


@pytest.mark.anyio
async def test_default_group_access_grants_the_live_default_group() -> None:
    # Someone made Admin the default group: the guide's one role now grants Admin.
    access = SYNC.admin_access.model_copy(update={"default_group": ADMIN_GROUP})
    fake = FakePortal(
        sync_driver(staff=SYNC.model_copy(update={"admin_access": access}))
    )
    options = VerifyOptions(probes=load_probes())
    report = await verify_spec(load_spec(spec()), fake.portal(), options)
    (roles,) = [r for r in report.results if r.id == "account-roles"]
    assert roles.outcome == "fail"
    assert "group 2 grants more than the spec" in roles.observed
