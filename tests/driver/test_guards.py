"""The driver's fail-closed guards, held by a PowerSchool that misbehaves.

An upgrade or a bad day (the simulator's ``ignore_posts``, ``control_kinds`` and
``unknown_options`` fault knobs): a post accepted but not kept, a control of
another kind, an option no documentation shows. Each test fails if its guard is
removed from the driver.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from psconfig.errors import FormMapError, WriteNotAppliedError
from psconfig.model import (
    EnsureGroup,
    Flavor,
    Group,
    Role,
    Scope,
    SetPagePermissions,
    SetPageToggle,
)
from psconfig.sim import SimApp, SimState
from psconfig.sim.state import SimRole
from tests.driver.asgi import PostSpy, Rewrite
from tests.driver.conftest import portal
from tests.sim.factory import add_user

pytestmark = pytest.mark.anyio

TOGGLE = "/admin/security/changepageaccesspriv.html"
DDE = "/admin/tech/dde/home.html"
EDIT_12 = "/admin/security/groups/edit.html?group=12"

Edit = Callable[[Callable[[SimState], object]], None]


def fault(edit_state: Edit, **knobs: object) -> None:
    def change(state: SimState) -> None:
        state.faults = state.faults.model_copy(update=knobs)

    edit_state(change)


async def test_a_toggle_post_that_does_not_stick_is_an_error(
    sim: SimApp, edit_state: Edit
) -> None:
    fault(edit_state, ignore_posts=["toggle"])
    async with portal(sim) as drv:
        with pytest.raises(WriteNotAppliedError) as caught:
            await drv.apply(SetPageToggle(on=True))
    assert caught.value.page == TOGGLE
    assert "Turn modify permissions" in caught.value.field
    assert sim.state.page_toggle is False


async def test_page_levels_that_do_not_stick_are_an_error(
    sim: SimApp, edit_state: Edit
) -> None:
    edit_state(lambda s: setattr(s, "page_toggle", True))
    fault(edit_state, ignore_posts=["page_levels"])
    op = SetPagePermissions(page=DDE, before={}, after={12: "full"})
    async with portal(sim) as drv:
        with pytest.raises(WriteNotAppliedError, match="reads back 'group_default'"):
            await drv.apply(op)
    assert DDE not in sim.state.page_permissions


async def test_a_group_field_that_does_not_stick_is_an_error(
    sim: SimApp, edit_state: Edit
) -> None:
    fault(edit_state, ignore_posts=["accesslevel"])
    async with portal(sim) as drv:
        group = (await drv.read(Scope(groups=frozenset({12})))).groups[12]
        after = group.model_copy(update={"access_level": "no_access", "name": "X"})
        with pytest.raises(WriteNotAppliedError) as caught:
            await drv.apply(EnsureGroup(before=group, after=after))
    assert (caught.value.page, caught.value.field) == (EDIT_12, "'Access Level'")


@pytest.mark.parametrize("kind", ["text", "hidden", "radio"])
async def test_a_labelled_control_of_another_kind_fails_closed(
    sim: SimApp, edit_state: Edit, kind: str
) -> None:
    fault(edit_state, control_kinds={"powerscheduler": kind})
    async with portal(sim) as drv:
        with pytest.raises(FormMapError) as caught:
            await drv.read(Scope(groups=frozenset({12})))
    assert (caught.value.page, caught.value.field) == (EDIT_12, "PowerScheduler Access")
    assert f"labelled on a {kind} control, the map says checkbox" in str(caught.value)


async def test_a_named_control_of_another_kind_fails_closed(
    sim: SimApp, edit_state: Edit
) -> None:
    fault(edit_state, control_kinds={"columntitles": "text"})
    async with portal(sim) as drv:
        with pytest.raises(FormMapError, match="'columntitles' is a text on the page"):
            await drv.export_dde("students", ["student_number"])


async def test_an_option_the_map_does_not_know_fails_the_read(
    sim: SimApp, edit_state: Edit
) -> None:
    fault(edit_state, unknown_options=["accesslevel"])
    async with portal(sim) as drv:
        with pytest.raises(FormMapError) as caught:
            await drv.read(Scope(groups=frozenset({12})))
    assert (caught.value.page, caught.value.field) == (EDIT_12, "Access Level")
    assert "'custom access (added by an upgrade)'" in str(caught.value)
    assert "which the map does not know" in str(caught.value)


@pytest.mark.parametrize("variant", [0, 2])
async def test_two_roles_at_one_school_are_read_as_two_roles(
    sim: SimApp, edit_state: Edit, variant: int
) -> None:
    # An administrator adds a second role next to "Default Group Access": both
    # rows are read as they are, never collapsed or defaulted.
    def customize(state: SimState) -> None:
        state.markup_variant = variant
        sync = add_user(state, "cleversync", group=12, school=0)
        sync.roles = [SimRole(school=0), SimRole(school=0, group=2)]

    edit_state(customize)
    async with portal(sim) as drv:
        live = await drv.read(Scope(staff_ids=None))
    [sync] = [s for s in live.staff.values() if s.admin_access.username == "cleversync"]
    assert sync.admin_access.roles == (Role(school=0), Role(school=0, group=2))


async def test_a_role_text_the_map_does_not_know_fails_closed(
    sim: SimApp, edit_state: Edit
) -> None:
    def customize(state: SimState) -> None:
        sync = add_user(state, "cleversync", group=12, school=0)
        sync.roles = [SimRole(school=0)]

    edit_state(customize)
    upgraded = Rewrite(sim, ">Default Group Access<", ">Default Group (inherited)<")
    async with portal(upgraded) as drv:
        with pytest.raises(FormMapError, match="'Roles and Schools' shows option"):
            await drv.read(Scope(staff_ids=None))


@pytest.mark.parametrize(
    "absent", ["translator", "numtoadd", "ipaddrrestrict", "toggle"]
)
async def test_a_change_whose_pages_do_not_all_bind_writes_nothing(
    sim: SimApp, edit_state: Edit, absent: str, flavor: Flavor
) -> None:
    # A new group: the plan never read its edit page, and Add Groups comes first.
    # Before its first post, the driver binds every labelled page.
    toggle = "modifypermissions" if flavor == "legacy" else "enablepagepermissions"
    fault(edit_state, absent_controls=[toggle if absent == "toggle" else absent])
    group = Group(number=15, name="Read-Only Export")
    sim.reset_requests()
    async with portal(sim) as drv:
        with pytest.raises(FormMapError, match="labels no control"):
            await drv.apply(EnsureGroup(before=None, after=group))
    assert [r.path for r in sim.requests if r.is_write] == ["/admin/home.html"]
    assert len(sim.state.groups) == 13


async def test_set_all_groups_to_is_kept_empty_whatever_the_page_preselects(
    sim: SimApp, edit_state: Edit, flavor: Flavor
) -> None:
    # "Set All Groups To" would set every group the filter leaves: an editor that
    # preselects a level must not have it posted.
    edit_state(lambda s: setattr(s, "page_toggle", True))
    full = (
        '<option value="2">Full</option>'
        if flavor == "legacy"
        else ('<option value="edit">Edit</option>')
    )
    empty = '<option value="" selected></option>'
    unselected = Rewrite(sim, empty, "<option value=''></option>")
    spy = PostSpy(
        Rewrite(unselected, full, full.replace("<option ", "<option selected "))
    )
    op = SetPagePermissions(page=DDE, before={}, after={12: "view_only"})
    async with portal(spy) as drv:
        await drv.apply(op)
    [editor_post] = [b for b in spy.bodies if "setall=" in b]
    assert "&setall=&" in f"&{editor_post}&"
    assert sim.state.page_permissions == {DDE: {12: "view_only"}}
