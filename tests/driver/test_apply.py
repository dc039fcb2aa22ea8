"""Each kind of operation applies through the forms and reads back, in both flavors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import SecretStr

from psconfig.errors import DriverError, LoginError, ServerRefusedError
from psconfig.model import (
    AdminAccess,
    Affiliation,
    CreateStaff,
    DeactivateStaff,
    DeleteStaff,
    EnsureGroup,
    Group,
    Health,
    Role,
    Scope,
    SetPagePermissions,
    SetPageToggle,
    SetStaffPassword,
    Staff,
    TimeWindow,
    UpdateStaff,
)
from psconfig.sim import SimApp, SimState
from tests.driver.conftest import portal, posts
from tests.driver.expected import expected_state

DDE_HOME = "/admin/tech/dde/home.html"
DDE_EXPORT = "/admin/tech/dde/exportrecords.html"
PASSWORD = "Correct-Horse-9"

READ_ONLY_EXPORT = Group(
    number=12,
    name="Read-Only Export",
    access_level="view_only",
    can_modify_schedules="no",
    report_queue_priority=0,
    log_types=(),
    incident_types=(),
    health=Health(),
)


def switches(sim: SimApp) -> list[str]:
    """The school changes a run made (picker items followed, school forms posted)."""
    return [
        r.path for r in sim.requests if r.path.startswith("/admin/schoolcontext.html")
    ]


def sync_staff(school: int = 0, **admin: object) -> Staff:
    access = {
        "enabled": True,
        "username": "cleversync",
        "default_group": 12,
        "roles": (Role(school=school),),
        **admin,
    }
    return Staff(
        id="99999",
        last_name="Sync",
        first_name="Clever",
        school=school,
        staff_type="staff",
        affiliations=(Affiliation(school=school, home=True, active=True),),
        admin_access=AdminAccess.model_validate(access),
    )


async def live_staff(sim: SimApp, staff_id: str) -> Staff | None:
    async with portal(sim) as drv:
        return (await drv.read(Scope(staff_ids=frozenset({staff_id})))).staff.get(
            staff_id
        )


@pytest.mark.anyio
async def test_ensure_group_edits_only_changed_fields(sim: SimApp) -> None:
    async with portal(sim) as drv:
        before = (await drv.read(Scope(groups=frozenset({12})))).groups[12]
        after = before.model_copy(
            update={"name": "Read-Only Export", "log_types": (), "incident_types": ()}
        )
        await drv.apply(EnsureGroup(before=before, after=after))
        assert (await drv.read(Scope(groups=frozenset({12})))).groups[12] == after
    assert sim.state.groups[11].name == "Read-Only Export"


@pytest.mark.anyio
async def test_ensure_new_group_adds_groups_up_to_its_number(sim: SimApp) -> None:
    wanted = READ_ONLY_EXPORT.model_copy(
        update={"number": 15, "log_types": ("attendance",), "report_queue_priority": 3}
    )
    async with portal(sim) as drv:
        await drv.apply(EnsureGroup(before=None, after=wanted))
        groups = (await drv.read(Scope(groups=frozenset({14, 15})))).groups
    assert groups[15] == wanted
    assert groups[14].name == "Group 14"
    assert len(sim.state.groups) == 15


@pytest.mark.anyio
async def test_toggle_on_then_off(sim: SimApp) -> None:
    async with portal(sim) as drv:
        await drv.apply(SetPageToggle(on=True))
        assert sim.state.page_toggle is True
        await drv.apply(SetPageToggle(on=False))
    assert sim.state.page_toggle is False


@pytest.mark.anyio
async def test_page_permissions_set_and_reset(sim: SimApp) -> None:
    async with portal(sim) as drv:
        await drv.apply(SetPageToggle(on=True))
        for page in (DDE_HOME, DDE_EXPORT):
            await drv.apply(
                SetPagePermissions(page=page, before={}, after={12: "full", 3: "none"})
            )
        await drv.apply(
            SetPagePermissions(
                page=DDE_EXPORT,
                before={12: "full", 3: "none"},
                after={12: "full", 3: "group_default"},
            )
        )
        live = await drv.read(Scope(pages=frozenset({DDE_HOME, DDE_EXPORT})))
    assert live.page_permissions == {
        DDE_HOME: {12: "full", 3: "none"},
        DDE_EXPORT: {12: "full"},
    }
    assert (
        live.page_permissions
        == expected_state(sim.state, pages=(DDE_HOME, DDE_EXPORT)).page_permissions
    )


@pytest.mark.anyio
async def test_page_permissions_refuse_while_the_toggle_is_off(sim: SimApp) -> None:
    op = SetPagePermissions(page=DDE_HOME, before={}, after={12: "full"})
    async with portal(sim) as drv:
        with pytest.raises(DriverError, match="toggle is off"):
            await drv.apply(op)
    assert posts(sim, "/admin/security/pageaccess.html") == 0


@pytest.mark.anyio
async def test_create_staff_switches_school_then_sets_everything(sim: SimApp) -> None:
    after = sync_staff(
        school=100,
        allowed_ips=("54.241.134.131", "50.18.217.135"),
        sign_in_window=TimeWindow(start="06:00", end="21:00"),
        roles=(Role(school=100), Role(school=200, group=11)),
    )
    after = after.model_copy(
        update={
            "email": "sync@example.org",
            "teacher_access": True,
            "affiliations": (
                Affiliation(school=100, home=True),
                Affiliation(school=200, active=False, staff_type="substitute"),
            ),
        }
    )
    async with portal(sim) as drv:
        await drv.apply(CreateStaff(after=after, password=SecretStr(PASSWORD)))
    # The picker item for Springfield High was followed (a GET), then New Staff
    # Member went through the duplicate check and its go-ahead.
    assert switches(sim) == ["/admin/schoolcontext.html?schoolid=100"]
    assert posts(sim, "/admin/faculty/staffcheckduplicates.html") == 1
    assert posts(sim, "/admin/faculty/home.html") == 1
    assert await live_staff(sim, "99999") == after
    # 127.0.0.1 is not an allowed IP: PowerSchool refuses, and says why.
    with pytest.raises(LoginError, match="not allowed to sign in at this time"):
        async with portal(sim, username="cleversync", password=PASSWORD):
            pass


@pytest.mark.anyio
async def test_create_at_district_office_with_password(sim: SimApp) -> None:
    after = sync_staff()
    async with portal(sim) as drv:
        await drv.apply(CreateStaff(after=after, password=SecretStr(PASSWORD)))
    assert switches(sim) == []  # already there
    assert await live_staff(sim, "99999") == after
    async with portal(sim, username="cleversync", password=PASSWORD):
        pass


@pytest.mark.anyio
async def test_update_writes_only_the_pages_that_differ(sim: SimApp) -> None:
    before = sync_staff()
    async with portal(sim) as drv:
        await drv.apply(CreateStaff(after=before, password=SecretStr(PASSWORD)))
        sim.reset_requests()
        after = before.model_copy(update={"title": "Sync account", "email": "s@x.org"})
        await drv.apply(UpdateStaff(before=before, after=after))
        written = {r.path.split("?")[0] for r in sim.requests if r.is_write}
        assert written == {"/admin/changesrecorded.white.html"}  # Edit Information

        admin = after.admin_access.model_copy(
            update={
                "roles": (Role(school=100, group=12),),
                "sign_in_window": TimeWindow(start="05:00", end="22:00"),
                "allowed_ips": ("10.0.0.0/8",),
            }
        )
        final = after.model_copy(
            update={
                "admin_access": admin,
                "affiliations": (
                    *after.affiliations,
                    Affiliation(school=100, staff_type="teacher"),
                ),
            }
        )
        await drv.apply(UpdateStaff(before=after, after=final))
    assert await live_staff(sim, "99999") == final


@pytest.mark.anyio
async def test_moving_home_keeps_the_old_rows_staff_type(sim: SimApp) -> None:
    # Edit Information's Staff Type is the home row's: the move must not carry the
    # new type over to the row that stops being home.
    before = sync_staff(school=200).model_copy(
        update={
            "staff_type": "teacher",
            "affiliations": (Affiliation(school=200, home=True, staff_type="teacher"),),
        }
    )
    after = sync_staff().model_copy(
        update={
            "affiliations": (
                Affiliation(school=0, home=True),
                Affiliation(school=200, active=False, staff_type="teacher"),
            ),
        }
    )
    async with portal(sim) as drv:
        await drv.apply(CreateStaff(after=before, password=SecretStr(PASSWORD)))
        await drv.apply(UpdateStaff(before=before, after=after))
    assert await live_staff(sim, "99999") == after


@pytest.mark.anyio
async def test_removing_an_affiliation_is_refused_before_posting(sim: SimApp) -> None:
    before = sync_staff()
    async with portal(sim) as drv:
        await drv.apply(CreateStaff(after=before, password=SecretStr(PASSWORD)))
        sim.reset_requests()
        after = before.model_copy(update={"affiliations": ()})
        with pytest.raises(DriverError, match="cannot remove the affiliation"):
            await drv.apply(UpdateStaff(before=before, after=after))
    assert not [r for r in sim.requests if r.is_write]


@pytest.mark.anyio
async def test_set_password_lets_the_user_sign_in(sim: SimApp) -> None:
    async with portal(sim) as drv:
        await drv.apply(CreateStaff(after=sync_staff(), password=SecretStr(PASSWORD)))
        await drv.apply(
            SetStaffPassword(staff_id="99999", password=SecretStr("Rotated-Pass-2"))
        )
    async with portal(sim, username="cleversync", password="Rotated-Pass-2"):
        pass


@pytest.mark.anyio
async def test_delete_staff(sim: SimApp) -> None:
    staff = sync_staff()
    async with portal(sim) as drv:
        await drv.apply(CreateStaff(after=staff, password=SecretStr(PASSWORD)))
        await drv.apply(DeleteStaff(before=staff))
        await drv.apply(DeleteStaff(before=staff))  # already gone: nothing to do
    assert await live_staff(sim, "99999") is None


@pytest.mark.anyio
async def test_delete_refused_by_powerschool_carries_its_message(
    sim: SimApp, edit_state: Callable[[Callable[[SimState], object]], None]
) -> None:
    staff = sync_staff()
    async with portal(sim) as drv:
        await drv.apply(CreateStaff(after=staff, password=SecretStr(PASSWORD)))

    def history(state: SimState) -> None:
        next(s for s in state.staff if s.teachernumber == "99999").has_history = True

    edit_state(history)
    async with portal(sim) as drv:
        with pytest.raises(ServerRefusedError, match="cannot be deleted because"):
            await drv.apply(DeleteStaff(before=staff))
    assert await live_staff(sim, "99999") is not None


@pytest.mark.anyio
async def test_deactivate_revokes_sign_in_roles_and_status(sim: SimApp) -> None:
    staff = sync_staff()
    async with portal(sim) as drv:
        await drv.apply(CreateStaff(after=staff, password=SecretStr(PASSWORD)))
        await drv.apply(DeactivateStaff(before=staff))
    live = await live_staff(sim, "99999")
    assert live is not None
    assert live.status == "no_longer_here"
    assert live.admin_access.enabled is False and live.admin_access.roles == ()
