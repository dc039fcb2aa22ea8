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
async def test_relabelled_field_fails_the_read_naming_page_label_candidates(
    sim: SimApp, flavor: Flavor
) -> None:
    # An upgrade that relabels "Access Level": the only near label is not it.
    relabelled = Rewrite(
        sim, "<td>Access Level</td>", "<td>Access Level (PowerTeacher)</td>"
    )
    async with portal(relabelled) as drv:
        with pytest.raises(FormMapError) as caught:
            await drv.read(Scope(groups=frozenset({12})))
    error = caught.value
    assert (error.page, error.field, error.flavor) == (EDIT_12, "Access Level", flavor)
    assert str(error).startswith(f"{EDIT_12}: field 'Access Level' labels no control")
    assert "'access level (powerteacher)' (accesslevel)" in str(error)
    assert f"(form map: {flavor})" in str(error)


@pytest.mark.anyio
async def test_renamed_control_is_still_found_by_its_label(sim: SimApp) -> None:
    renamed = Rewrite(sim, 'name="accesslevel"', 'name="access_level_v2"')
    async with portal(renamed) as drv:
        group = (await drv.read(Scope(groups=frozenset({12})))).groups[12]
    async with portal(sim) as drv:
        assert (await drv.read(Scope(groups=frozenset({12})))).groups[12] == group


@pytest.mark.anyio
async def test_two_controls_with_one_label_fail_the_write_before_any_post(
    sim: SimApp,
) -> None:
    async with portal(sim) as drv:
        group = (await drv.read(Scope(groups=frozenset({12})))).groups[12]
    # Certification offers "No Access" and "View Only" too: a second candidate.
    doubled = Rewrite(sim, "<label>Certification ", "<label>Access Level ")
    sim.reset_requests()
    async with portal(doubled) as drv:
        op = EnsureGroup(before=group, after=group.model_copy(update={"name": "X"}))
        with pytest.raises(FormMapError, match="'Access Level' labels several"):
            await drv.apply(op)
    writes = [r.path for r in sim.requests if r.is_write]
    assert writes == ["/admin/home.html"]  # the sign-in, and nothing else


@pytest.mark.anyio
async def test_changed_option_text_fails_closed(sim: SimApp, flavor: Flavor) -> None:
    # A release that says "Y" where the documentation shows "Yes".
    changed = Rewrite(sim, ">Yes</option>", ">Y</option>")
    async with portal(changed) as drv:
        with pytest.raises(FormMapError) as caught:
            await drv.read(Scope(groups=frozenset({2})))  # Admin: "Yes"
    assert caught.value.field == "Can Modify Schedules"
    assert "which the map does not know" in str(caught.value)


@pytest.mark.anyio
async def test_renamed_staff_field_stops_a_create_before_its_first_post(
    sim: SimApp,
) -> None:
    # New Staff Member (since 2013) names it without the [05] prefix.
    renamed = Rewrite(sim, 'name="teachernumber"', 'name="TeacherNumber"')
    async with portal(renamed) as drv:
        with pytest.raises(FormMapError, match=r"'teachernumber' is missing"):
            await drv.apply(CreateStaff(after=sync_staff(), password=None))
    assert [r.path for r in sim.requests if r.is_write] == ["/admin/home.html"]
