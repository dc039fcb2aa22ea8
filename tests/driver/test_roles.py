"""Admin Access and Roles: roles added and removed by their visible labels.

A role leaves through its own row's "Remove"; a role arrives through the "Add User
Access Roles" dialog (schools chosen by name, the role by its text). On every
markup variant the driver finds those controls by label, never by a name.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from psconfig.drivers.portal import AsgiApp
from psconfig.drivers.portal.pagemap.maps import PortalMap
from psconfig.errors import FormMapError
from psconfig.model import Role, Scope, Staff, UpdateStaff
from psconfig.sim import SimApp, SimState
from psconfig.sim.state import SimRole
from tests.driver.asgi import Rewrite
from tests.driver.conftest import portal
from tests.sim.factory import add_user

pytestmark = pytest.mark.anyio

Edit = Callable[[Callable[[SimState], object]], None]
PAGE = "/admin/faculty/security/adminaccess.html"


def _sync_with(edit_state: Edit, variant: int, roles: list[SimRole]) -> None:
    def customize(state: SimState) -> None:
        state.markup_variant = variant
        sync = add_user(state, "cleversync", group=12, school=0)
        sync.roles = roles

    edit_state(customize)


def _sync(staff: dict[str, Staff]) -> Staff:
    [sync] = [s for s in staff.values() if s.admin_access.username == "cleversync"]
    return sync


def _with_roles(staff: Staff, *roles: Role) -> Staff:
    admin = staff.admin_access.model_copy(update={"roles": tuple(roles)})
    return staff.model_copy(update={"admin_access": admin})


def _sim_roles(sim: SimApp) -> list[tuple[int, int | None]]:
    [sync] = [s for s in sim.state.staff if s.loginid == "cleversync"]
    return sorted(((r.school, r.group) for r in sync.roles), key=str)


@pytest.mark.parametrize("variant", [0, 1, 2, 3, 4, 5])
async def test_a_role_is_added_and_removed_and_reads_back(
    sim: SimApp, edit_state: Edit, variant: int
) -> None:
    _sync_with(edit_state, variant, [SimRole(school=0)])
    scope = Scope(staff_ids=None)
    async with portal(sim) as drv:
        before = _sync((await drv.read(scope)).staff)
        added = _with_roles(before, Role(school=0), Role(school=100, group=12))
        await drv.apply(UpdateStaff(before=before, after=added))
        assert _sync((await drv.read(scope)).staff) == added
        removed = _with_roles(before, Role(school=100, group=12))
        await drv.apply(UpdateStaff(before=added, after=removed))
        assert _sync((await drv.read(scope)).staff) == removed
    assert _sim_roles(sim) == [(100, 12)]


@pytest.mark.parametrize("variant", [0, 2, 4])
async def test_two_roles_at_one_school_stay_two_roles(
    sim: SimApp, edit_state: Edit, variant: int
) -> None:
    _sync_with(edit_state, variant, [SimRole(school=0)])
    scope = Scope(staff_ids=None)
    async with portal(sim) as drv:
        before = _sync((await drv.read(scope)).staff)
        both = _with_roles(
            before, Role(school=0), Role(school=0, group=2), Role(school=200)
        )
        await drv.apply(UpdateStaff(before=before, after=both))
        assert _sync((await drv.read(scope)).staff) == both
        # Removing one of the two rows at school 0 leaves the other one.
        one = _with_roles(before, Role(school=0, group=2), Role(school=200))
        await drv.apply(UpdateStaff(before=both, after=one))
        assert _sync((await drv.read(scope)).staff) == one
    assert _sim_roles(sim) == [(0, 2), (200, None)]


async def _fails_closed_writing_nothing(
    app: AsgiApp, sim: SimApp, before_roles: list[tuple[int, int | None]]
) -> FormMapError:
    scope = Scope(staff_ids=None)
    async with portal(sim) as drv:
        before = _sync((await drv.read(scope)).staff)
    sim.reset_requests()
    async with portal(app) as drv:
        after = _with_roles(before, Role(school=0), Role(school=100, group=12))
        with pytest.raises(FormMapError) as caught:
            await drv.apply(UpdateStaff(before=before, after=after))
    writes = [r.path for r in sim.requests if r.is_write]
    assert writes == ["/admin/home.html"]  # the sign-in, nothing else
    assert _sim_roles(sim) == before_roles
    return caught.value


@pytest.mark.parametrize("variant", [0, 3])
async def test_a_missing_add_control_fails_closed_having_written_nothing(
    sim: SimApp, edit_state: Edit, variant: int
) -> None:
    _sync_with(edit_state, variant, [SimRole(school=0)])
    edit_state(lambda s: s.faults.absent_controls.append("newrole_group"))
    error = await _fails_closed_writing_nothing(sim, sim, [(0, None)])
    assert error.page is not None and error.page.startswith(PAGE)
    assert error.field == "Role"
    assert "labels no control" in str(error)


async def test_an_ambiguous_add_control_fails_closed_naming_the_candidates(
    sim: SimApp, edit_state: Edit
) -> None:
    _sync_with(edit_state, 0, [SimRole(school=0)])
    twin = (
        '<table><tr><td>Role</td><td><select name="otherrole">'
        '<option value="">Default Group Access</option></select></td></tr></table>'
    )
    doubled = Rewrite(sim, "</form>", f"{twin}</form>")
    error = await _fails_closed_writing_nothing(doubled, sim, [(0, None)])
    assert error.page is not None and error.page.startswith(PAGE)
    assert error.field == "Role"
    assert "labels several controls ['newrole_group', 'otherrole']" in str(error)


async def test_a_remove_action_the_row_lacks_fails_closed(
    sim: SimApp, edit_state: Edit
) -> None:
    _sync_with(edit_state, 0, [SimRole(school=0), SimRole(school=100)])
    scope = Scope(staff_ids=None)
    async with portal(sim) as drv:
        before = _sync((await drv.read(scope)).staff)
    renamed = Rewrite(sim, " Remove</label>", " Delete</label>")
    sim.reset_requests()
    async with portal(renamed) as drv:
        after = _with_roles(before, Role(school=0))
        with pytest.raises(FormMapError) as caught:
            await drv.apply(UpdateStaff(before=before, after=after))
    assert caught.value.field == "Remove"
    assert "labels no control in the row school=100" in str(caught.value)
    assert [r.path for r in sim.requests if r.is_write] == ["/admin/home.html"]
    assert _sim_roles(sim) == [(0, None), (100, None)]


def _pin_role(name: str) -> Callable[[PortalMap], PortalMap]:
    """The bundled map with the add dialog's "Role" pinned to ``name``."""

    def pinned(portal_map: PortalMap) -> PortalMap:
        page = portal_map.admin_access
        fields = page.add_role.fields
        role = fields.role.model_copy(update={"name": name})
        add = page.add_role.model_copy(
            update={"fields": fields.model_copy(update={"role": role})}
        )
        admin = page.model_copy(update={"add_role": add})
        return portal_map.model_copy(update={"admin_access": admin})

    return pinned


@pytest.mark.parametrize(
    ("pin", "agrees"), [("newrole_group", True), ("newrole_school", False)]
)
async def test_a_pin_must_agree_with_the_label(
    sim: SimApp, edit_state: Edit, pin: str, agrees: bool
) -> None:
    # The old guessed name is only a pin: the label decides, and a pin naming
    # another control fails closed before anything is posted.
    _sync_with(edit_state, 0, [SimRole(school=0)])
    scope = Scope(staff_ids=None)
    async with portal(sim) as drv:
        before = _sync((await drv.read(scope)).staff)
    after = _with_roles(before, Role(school=0), Role(school=100, group=12))
    sim.reset_requests()
    drv = portal(sim)
    drv._session.site_map = _pin_role(pin)
    async with drv:
        if agrees:
            await drv.apply(UpdateStaff(before=before, after=after))
        else:
            with pytest.raises(FormMapError, match="but the map pins 'newrole_school'"):
                await drv.apply(UpdateStaff(before=before, after=after))
    want = [(0, None), (100, 12)] if agrees else [(0, None)]
    assert _sim_roles(sim) == want


async def test_removing_a_role_the_page_does_not_show_fails_closed(
    sim: SimApp, edit_state: Edit
) -> None:
    # A stale plan: it removes a row someone else removed already.
    _sync_with(edit_state, 0, [SimRole(school=0)])
    scope = Scope(staff_ids=None)
    async with portal(sim) as drv:
        live = _sync((await drv.read(scope)).staff)
        stale = _with_roles(live, Role(school=0), Role(school=0, group=2))
        sim.reset_requests()
        with pytest.raises(FormMapError, match="has no row group 2 at school 0"):
            await drv.apply(UpdateStaff(before=stale, after=live))
    assert not [r for r in sim.requests if r.is_write]
    assert _sim_roles(sim) == [(0, None)]
