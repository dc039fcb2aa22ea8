"""Guards that no test held (issue 13): each test fails when its guard is removed.

- apply's second stale check: the live fingerprint matches, but the changes
  computed now differ from the saved plan's (an edited plan file, an upgrade);
- the toggle is part of the live fingerprint;
- the group-creation guard at its edge: exactly two added groups need the flag;
- the signed-in account is found by its username in any letter case.
"""

from __future__ import annotations

import json

import pytest

from psconfig.engine.applying.plan_and_apply import ApplyOptions, apply_spec, plan_spec
from psconfig.engine.planning.plan import (
    Plan,
    live_fingerprint,
    plan_from_json,
    plan_to_json,
)
from psconfig.engine.planning.safety import Intents
from psconfig.errors import StalePlanError, UnsafeChangeError
from psconfig.model import Desired, Group, ServerInfo
from tests.engine.builders import FakeSpec, clever_desired
from tests.engine.fakes import INFO, FakeDriver, fresh_state


def approve(plan: Plan) -> bool:
    return True


async def _saved(driver: FakeDriver, edit: object = None) -> Plan:
    """The plan of the Clever spec, through its JSON file (edited by ``edit``)."""
    data = json.loads(plan_to_json(await plan_spec(FakeSpec(), driver)))
    if callable(edit):
        edit(data)
    return plan_from_json(json.dumps(data))


def _rename(data: dict[str, object]) -> None:
    """A hand edit of the plan file: group 12 gets another name."""
    changes = data["changes"]
    assert isinstance(changes, list)
    group = next(c for c in changes if c["address"] == "group.12")
    group["after"]["name"] = "Admin"
    group["op"]["after"]["name"] = "Admin"


def _drop_last(data: dict[str, object]) -> None:
    """A plan file missing a change (another psconfig version computed it)."""
    changes = data["changes"]
    assert isinstance(changes, list)
    changes.pop()


@pytest.mark.anyio
@pytest.mark.parametrize("edit", [_rename, _drop_last], ids=["edited", "fewer"])
async def test_a_saved_plan_whose_changes_differ_is_stale(edit: object) -> None:
    driver = FakeDriver()
    saved = await _saved(driver, edit)
    options = ApplyOptions(review=approve, saved=saved)
    with pytest.raises(StalePlanError, match="changes computed now differ") as err:
        await apply_spec(FakeSpec(), driver, options)
    # Not the fingerprint: PowerSchool did not move.
    assert "PowerSchool changed" not in str(err.value)
    assert driver.writes == []


@pytest.mark.anyio
async def test_the_toggle_alone_moving_makes_a_saved_plan_stale() -> None:
    driver = FakeDriver()
    saved = await _saved(driver)
    driver.state = driver.state.model_copy(update={"page_toggle": True})
    options = ApplyOptions(review=approve, saved=saved)
    with pytest.raises(StalePlanError, match="PowerSchool changed since"):
        await apply_spec(FakeSpec(), driver, options)
    assert driver.writes == []


def test_the_fingerprint_covers_the_toggle() -> None:
    scope = clever_desired().scope()
    live = fresh_state()
    flipped = live.model_copy(update={"page_toggle": True})
    assert live_fingerprint(flipped, scope) != live_fingerprint(live, scope)


def _groups(*numbers: int) -> FakeSpec:
    return FakeSpec(Desired(groups={n: Group(number=n, name=f"E{n}") for n in numbers}))


@pytest.mark.anyio
async def test_exactly_two_added_groups_need_the_flag() -> None:
    driver = FakeDriver()  # groups 1-13
    plan = await plan_spec(_groups(15), driver)
    (change,) = plan.changes
    assert change.detail == "adds 2 groups, 14 to 15"
    with pytest.raises(UnsafeChangeError, match="without --allow-add-groups"):
        await apply_spec(_groups(15), driver, ApplyOptions(review=approve))
    assert driver.writes == []
    flagged = ApplyOptions(review=approve, intents=Intents(add_groups=True))
    await apply_spec(_groups(15), driver, flagged)
    assert sorted(driver.state.groups)[-2:] == [14, 15]


@pytest.mark.anyio
async def test_one_added_group_needs_no_flag() -> None:
    driver = FakeDriver()
    await apply_spec(_groups(14), driver, ApplyOptions(review=approve))
    assert 14 in driver.state.groups


@pytest.mark.anyio
async def test_the_signed_in_account_is_found_in_any_letter_case() -> None:
    # Signed in as "ADMIN"; PowerSchool's record says "admin". Group 9 is its
    # default group: the change is refused because the account depends on it,
    # not because psconfig could not find its own account.
    driver = FakeDriver(info=ServerInfo(**{**INFO.model_dump(), "username": "ADMIN"}))
    spec = FakeSpec(Desired(groups={9: Group(number=9, name="Admins")}))
    with pytest.raises(UnsafeChangeError) as err:
        await apply_spec(spec, driver, ApplyOptions(review=approve))
    assert "depends on" in str(err.value)
    assert "was not found" not in str(err.value)
    assert driver.writes == []
