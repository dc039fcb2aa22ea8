"""The driver reads and writes every markup variant of the pages bound by label."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from psconfig.model import EnsureGroup, Scope, SetPagePermissions, SetPageToggle
from psconfig.sim import SimApp, SimState
from psconfig.sim.state import SimRole
from tests.driver.conftest import portal
from tests.driver.expected import expected_state
from tests.sim.factory import add_user

DDE = ("/admin/tech/dde/home.html", "/admin/tech/dde/exportrecords.html")


@pytest.mark.anyio
@pytest.mark.parametrize("variant", [1, 2, 3, 4, 5])
async def test_read_and_write_on_a_variant(
    sim: SimApp,
    edit_state: Callable[[Callable[[SimState], object]], None],
    variant: int,
) -> None:
    def customize(state: SimState) -> None:
        state.markup_variant = variant
        state.page_permissions = {DDE[0]: {12: "full", 3: "none"}}

    edit_state(customize)
    scope = Scope(groups=frozenset({2, 12}), pages=frozenset(DDE))
    async with portal(sim) as drv:
        live = await drv.read(scope)
        want = expected_state(sim.state, pages=DDE)
        assert live.groups == {n: want.groups[n] for n in (2, 12)}
        assert live.page_permissions == want.page_permissions
        group = live.groups[12]
        changed = group.model_copy(
            update={
                "name": "Read-Only Export",
                "access_level": "no_access",
                "log_types": ("counselor", "health"),
                "report_queue_priority": 9,
            }
        )
        await drv.apply(SetPageToggle(on=True))
        await drv.apply(EnsureGroup(before=group, after=changed))
        before = live.page_permissions[DDE[0]]
        after = {12: "view_only", 4: "full", 3: "group_default"}
        await drv.apply(SetPagePermissions(page=DDE[0], before=before, after=after))
        again = await drv.read(scope)
    assert again.groups[12] == changed
    assert again.page_permissions[DDE[0]] == {12: "view_only", 4: "full"}
    assert sim.state.page_toggle is True


@pytest.mark.anyio
@pytest.mark.parametrize("variant", [0, 3])
async def test_a_page_the_admin_may_not_open_is_edited_through_its_editor(
    sim: SimApp,
    edit_state: Callable[[Callable[[SimState], object]], None],
    variant: int,
) -> None:
    # The administrator's own group has no access to the export page, so the page
    # (and its link) is refused; its editor is where the start page's link leads.
    def customize(state: SimState) -> None:
        state.markup_variant = variant
        state.page_toggle = True
        state.page_permissions = {DDE[1]: {9: "none", 12: "full"}}

    edit_state(customize)
    async with portal(sim) as drv:
        live = await drv.read(Scope(pages=frozenset({DDE[1]})))
    assert live.page_permissions == {DDE[1]: {9: "none", 12: "full"}}


@pytest.mark.anyio
@pytest.mark.parametrize("variant", [1, 2, 3, 4, 5])
async def test_admin_access_reads_as_the_state_says_on_a_variant(
    sim: SimApp,
    edit_state: Callable[[Callable[[SimState], object]], None],
    variant: int,
) -> None:
    def customize(state: SimState) -> None:
        state.markup_variant = variant
        sync = add_user(state, "cleversync", group=12, school=0)
        sync.ipaddrrestrict = ["54.241.134.131", "10.0.0.0/8"]
        sync.allow_login_start, sync.allow_login_end = "06:00", "21:30"
        sync.roles = [SimRole(school=0), SimRole(school=100, group=11)]

    edit_state(customize)
    async with portal(sim) as drv:
        live = await drv.read(Scope(staff_ids=None))
    assert live.staff == expected_state(sim.state, pages=()).staff
