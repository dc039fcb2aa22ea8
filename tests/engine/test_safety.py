"""Safety: the intent gates (--allow-lower-access, --allow-remove-staff,
--allow-add-groups) and psconfig's refusal to touch its own access."""

from __future__ import annotations

import pytest

from psconfig.engine.applying.plan_and_apply import ApplyOptions, apply_spec, plan_spec
from psconfig.engine.planning.plan import Plan
from psconfig.engine.planning.safety import Intents
from psconfig.errors import UnsafeChangeError
from psconfig.model import AdminAccess, Desired, Group, Role, Staff
from tests.engine.builders import DDE_HOME, FakeSpec, clever_staff
from tests.engine.fakes import ADMIN, FakeDriver

ALL = Intents(lower_access=True, remove_staff=True, add_groups=True)


def approve(plan: Plan) -> bool:
    return True


def with_sync_staff(driver: FakeDriver) -> FakeDriver:
    staff = {**driver.state.staff, "99999": clever_staff()}
    driver.state = driver.state.model_copy(update={"staff": staff})
    return driver


@pytest.mark.anyio
@pytest.mark.parametrize("removal", ["delete", "deactivate"])
async def test_removing_staff_needs_allow_remove_staff(removal: str) -> None:
    driver = with_sync_staff(FakeDriver())
    spec = FakeSpec(
        Desired.model_validate({"absent_staff": ["99999"], "removal": removal})
    )
    with pytest.raises(
        UnsafeChangeError, match="without --allow-remove-staff"
    ) as caught:
        await apply_spec(spec, driver, ApplyOptions(review=approve))
    assert 'staff["99999"]' in str(caught.value)
    assert driver.writes == []
    plan = await plan_spec(spec, driver)
    assert any("apply needs --allow-remove-staff" in note for note in plan.notes)
    lowering = ApplyOptions(review=approve, intents=Intents(lower_access=True))
    with pytest.raises(UnsafeChangeError, match="without --allow-remove-staff"):
        await apply_spec(spec, driver, lowering)
    removing = ApplyOptions(review=approve, intents=Intents(remove_staff=True))
    await apply_spec(spec, driver, removing)
    assert driver.writes


@pytest.mark.anyio
async def test_lowering_a_page_level_needs_allow_lower_access() -> None:
    driver = FakeDriver()
    driver.state = driver.state.model_copy(
        update={"page_permissions": {DDE_HOME: {12: "full"}}}
    )
    spec = FakeSpec(Desired(page_permissions={DDE_HOME: {12: "view_only"}}))
    with pytest.raises(UnsafeChangeError, match="lowers group 12") as caught:
        await apply_spec(spec, driver, ApplyOptions(review=approve))
    assert "refusing to lower access without --allow-lower-access" in str(caught.value)
    removing = ApplyOptions(review=approve, intents=Intents(remove_staff=True))
    with pytest.raises(UnsafeChangeError, match="without --allow-lower-access"):
        await apply_spec(spec, driver, removing)
    result = await apply_spec(
        spec, driver, ApplyOptions(review=approve, intents=Intents(lower_access=True))
    )
    assert result.outcomes


@pytest.mark.anyio
async def test_own_account_is_refused_even_with_every_intent() -> None:
    driver = FakeDriver()
    spec = FakeSpec(Desired(staff={"1": Staff(id="1", title="Boss")}))
    options = ApplyOptions(review=approve, intents=ALL)
    with pytest.raises(UnsafeChangeError, match="signed in as"):
        await apply_spec(spec, driver, options)
    assert driver.writes == []
    plan = await plan_spec(spec, driver)
    assert any(note.startswith("apply will refuse") for note in plan.notes)


@pytest.mark.anyio
async def test_own_account_matched_by_username_case_insensitively() -> None:
    driver = FakeDriver()
    other = Staff(id="5", admin_access=AdminAccess(enabled=True, username="ADMIN"))
    spec = FakeSpec(Desired(staff={"5": other}))
    with pytest.raises(UnsafeChangeError, match="signed in as"):
        await apply_spec(spec, driver, ApplyOptions(review=approve))


@pytest.mark.anyio
@pytest.mark.parametrize(
    "desired",
    [
        Desired(groups={9: Group(number=9, name="Admins")}),
        Desired(page_permissions={DDE_HOME: {9: "full"}}),
        Desired(groups={7: Group(number=7, name="Staff teachers")}),
    ],
    ids=["default-group", "page-of-default-group", "role-group"],
)
async def test_groups_the_account_depends_on_are_refused(desired: Desired) -> None:
    driver = FakeDriver()
    admin = ADMIN.model_copy(
        update={
            "admin_access": ADMIN.admin_access.model_copy(
                update={"roles": (Role(school=0), Role(school=100, group=7))}
            )
        }
    )
    driver.state = driver.state.model_copy(
        update={"staff": {**driver.state.staff, "1": admin}}
    )
    options = ApplyOptions(review=approve, intents=ALL)
    with pytest.raises(UnsafeChangeError, match="depends on"):
        await apply_spec(FakeSpec(desired), driver, options)
    assert driver.writes == []


@pytest.mark.anyio
async def test_group_change_refused_when_account_cannot_be_found() -> None:
    driver = FakeDriver()
    driver.state = driver.state.model_copy(update={"staff": {}})
    spec = FakeSpec(Desired(groups={12: Group(number=12, name="Export")}))
    with pytest.raises(UnsafeChangeError, match="was not found"):
        await apply_spec(spec, driver, ApplyOptions(review=approve))


@pytest.mark.anyio
async def test_unrelated_group_is_allowed() -> None:
    driver = FakeDriver()
    spec = FakeSpec(Desired(groups={12: Group(number=12, name="Export")}))
    result = await apply_spec(spec, driver, ApplyOptions(review=approve))
    assert [o.address for o in result.outcomes] == ["group.12"]


@pytest.mark.anyio
async def test_resetting_an_unlisted_override_needs_allow_lower_access() -> None:
    driver = FakeDriver()
    driver.state = driver.state.model_copy(
        update={"page_permissions": {DDE_HOME: {7: "full", 12: "full"}}}
    )
    spec = FakeSpec(Desired(page_permissions={DDE_HOME: {12: "full"}}))
    with pytest.raises(UnsafeChangeError, match="lowers group 7"):
        await apply_spec(spec, driver, ApplyOptions(review=approve))
    assert driver.writes == []
    options = ApplyOptions(review=approve, intents=ALL)
    await apply_spec(spec, driver, options)
    assert driver.state.page_permissions[DDE_HOME] == {12: "full"}
    assert not (await plan_spec(spec, driver)).has_changes


def groups_spec(*numbers: int) -> FakeSpec:
    groups = {n: Group(number=n, name=f"Export {n}") for n in numbers}
    return FakeSpec(Desired(groups=groups))


@pytest.mark.anyio
async def test_a_group_that_adds_many_groups_needs_allow_add_groups() -> None:
    driver = FakeDriver()  # 13 groups
    spec = groups_spec(400)
    plan = await plan_spec(spec, driver)
    (change,) = plan.changes
    assert change.detail == "adds 387 groups, 14 to 400"
    assert (
        "apply needs --allow-add-groups (PowerSchool cannot delete a group): "
        "group.400 adds 387 groups, 14 to 400"
    ) in plan.notes
    with pytest.raises(UnsafeChangeError, match="without --allow-add-groups") as err:
        await apply_spec(spec, driver, ApplyOptions(review=approve))
    assert "group.400 adds 387 groups, 14 to 400" in str(err.value)
    assert driver.writes == []
    options = ApplyOptions(review=approve, intents=Intents(add_groups=True))
    await apply_spec(spec, driver, options)
    assert len(driver.state.groups) == 400


@pytest.mark.anyio
async def test_the_next_free_group_numbers_need_no_flag() -> None:
    driver = FakeDriver()
    spec = groups_spec(14, 15)
    plan = await plan_spec(spec, driver)
    assert [c.detail for c in plan.changes] == ["adds group 14", "adds group 15"]
    assert not any("--allow-add-groups" in note for note in plan.notes)
    await apply_spec(spec, driver, ApplyOptions(review=approve))
    assert sorted(driver.state.groups)[-2:] == [14, 15]


@pytest.mark.anyio
async def test_groups_are_counted_only_when_one_is_missing() -> None:
    driver = FakeDriver()
    await plan_spec(groups_spec(12), driver)
    assert all(scope.groups is not None for scope in driver.reads)


@pytest.mark.anyio
async def test_plan_notes_a_refused_change_to_a_group_psconfig_depends_on() -> None:
    """plan makes apply's account lookup, so it knows the admin's groups too."""
    driver = FakeDriver()
    spec = FakeSpec(Desired(groups={9: Group(number=9, name="Admins")}))
    plan = await plan_spec(spec, driver)
    assert (
        "apply will refuse: group.9 changes group 9, which the signed-in account "
        "'admin' depends on"
    ) in plan.notes
    driver.state = driver.state.model_copy(update={"staff": {}})
    plan = await plan_spec(groups_spec(12), driver)
    assert any("'admin' was not found among admin staff" in n for n in plan.notes)


@pytest.mark.anyio
async def test_drift_makes_no_account_lookup() -> None:
    driver = FakeDriver()
    spec = FakeSpec(Desired(groups={9: Group(number=9, name="Admins")}))
    drift = await plan_spec(spec, driver, mode="drift")
    assert drift.has_changes and not drift.notes
    assert len(driver.reads) == 1
