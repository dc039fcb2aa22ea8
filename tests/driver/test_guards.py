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
from psconfig.model import EnsureGroup, Scope, SetPagePermissions, SetPageToggle
from psconfig.sim import SimApp, SimState
from tests.driver.conftest import portal

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
