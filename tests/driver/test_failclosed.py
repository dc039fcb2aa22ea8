"""A page that differs from the form map makes the driver stop before it posts."""

from __future__ import annotations

import pytest

from psconfig.errors import FormMapError
from psconfig.model import CreateStaff, EnsureGroup, Flavor, Scope
from psconfig.sim import SimApp
from tests.driver.asgi import Rewrite
from tests.driver.conftest import portal
from tests.driver.test_apply import sync_staff

EDIT_12 = "/admin/security/groups/edit.html?group=12"


@pytest.mark.anyio
async def test_renamed_field_fails_the_read_naming_page_field_flavor(
    sim: SimApp, flavor: Flavor
) -> None:
    renamed = Rewrite(sim, 'name="accesslevel"', 'name="access_level_v2"')
    async with portal(renamed) as drv:
        with pytest.raises(FormMapError) as caught:
            await drv.read(Scope(groups=frozenset({12})))
    error = caught.value
    assert (error.page, error.field, error.flavor) == (EDIT_12, "accesslevel", flavor)
    assert str(error).startswith(f"{EDIT_12}: field 'accesslevel' is missing")
    assert f"(form map: {flavor})" in str(error)


@pytest.mark.anyio
async def test_renamed_field_fails_the_write_before_anything_is_posted(
    sim: SimApp,
) -> None:
    async with portal(sim) as drv:
        group = (await drv.read(Scope(groups=frozenset({12})))).groups[12]
    renamed = Rewrite(sim, 'name="accesslevel"', 'name="access_level_v2"')
    sim.reset_requests()
    async with portal(renamed) as drv:
        op = EnsureGroup(before=group, after=group.model_copy(update={"name": "X"}))
        with pytest.raises(FormMapError, match="'accesslevel' is missing"):
            await drv.apply(op)
    writes = [r.path for r in sim.requests if r.is_write]
    assert writes == ["/admin/home.html"]  # the sign-in, and nothing else


@pytest.mark.anyio
async def test_changed_option_value_fails_closed(sim: SimApp, flavor: Flavor) -> None:
    # A release that posts "yes"/"no" where the map expects 1/0.
    changed = Rewrite(
        sim, '<option value="1">Yes</option>', '<option value="y">Yes</option>'
    )
    async with portal(changed) as drv:
        group = (await drv.read(Scope(groups=frozenset({1})))).groups[1]
        op = EnsureGroup(
            before=group, after=group.model_copy(update={"can_modify_schedules": "yes"})
        )
        with pytest.raises(FormMapError) as caught:
            await drv.apply(op)
    assert caught.value.field == "canmodifyschedules"
    assert "has no option '1'" in str(caught.value)


@pytest.mark.anyio
async def test_renamed_staff_field_stops_a_create_before_its_first_post(
    sim: SimApp,
) -> None:
    renamed = Rewrite(sim, 'name="[05]teachernumber"', 'name="[05]TeacherNumber"')
    async with portal(renamed) as drv:
        with pytest.raises(FormMapError, match=r"'\[05\]teachernumber' is missing"):
            await drv.apply(CreateStaff(after=sync_staff(), password=None))
    assert [r.path for r in sim.requests if r.is_write] == ["/admin/home.html"]
