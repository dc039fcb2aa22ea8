"""Properties: an applied plan converges (re-planning finds nothing); determinism."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from psconfig.engine.applying.apply import apply_changes
from psconfig.engine.planning.plan import plan_to_json
from psconfig.model import LOG_TYPES, Desired, Group, Staff, State
from tests.engine.builders import plan_for
from tests.engine.fakes import FakeDriver, fresh_state

PAGES = ("/admin/tech/dde/home.html", "/admin/tech/dde/exportrecords.html")
GROUP_NUMBERS = st.integers(min_value=10, max_value=16)
STAFF_IDS = st.sampled_from(["50", "51", "52", "53"])
LEVEL = st.sampled_from(["group_default", "none", "view_only", "full"])
ACCESS = st.sampled_from(["no_access", "view_only", "view_and_modify"])
HEALTH = st.sampled_from(["no_access", "view_only", "full_access"])
IPS = st.lists(st.sampled_from(["10.0.0.1", "10.0.0.0/24", "192.0.2.7"]), max_size=2)


def partial(
    fields: dict[str, st.SearchStrategy[Any]],
) -> st.SearchStrategy[dict[str, Any]]:
    """A dict setting any subset of ``fields``: only those are managed."""
    return st.fixed_dictionaries({}, optional=fields)


def groups(number: int) -> st.SearchStrategy[Group]:
    fields = st.fixed_dictionaries(
        {"name": st.sampled_from(["Export", "Group X", "Read-Only Export"])},
        optional={
            "access_level": ACCESS,
            "powerscheduler_access": st.booleans(),
            "log_types": st.lists(st.sampled_from(LOG_TYPES), max_size=3),
            "health": partial({"screening": HEALTH, "certification": HEALTH}),
        },
    )
    return fields.map(lambda data: Group.model_validate({"number": number, **data}))


def staff(sid: str) -> st.SearchStrategy[Staff]:
    access = partial(
        {
            "enabled": st.booleans(),
            "username": st.just(f"user{sid}"),
            "default_group": st.none() | GROUP_NUMBERS,
            "allowed_ips": IPS,
            "sign_in_window": st.sampled_from(
                ["any_time", {"start": "05:00", "end": "22:00"}]
            ),
            "roles": st.lists(
                st.fixed_dictionaries(
                    {
                        "school": st.sampled_from([0, 100]),
                        "group": st.none() | GROUP_NUMBERS,
                    }
                ),
                max_size=2,
                unique_by=lambda r: r["school"],
            ),
        }
    )
    fields = partial(
        {
            "last_name": st.sampled_from(["Sync", "Other"]),
            "title": st.text(max_size=3),
            "status": st.sampled_from(["current", "no_longer_here"]),
            "teacher_access": st.booleans(),
            "admin_access": access,
        }
    )
    return fields.map(lambda data: Staff.model_validate({"id": sid, **data}))


@st.composite
def desired_states(draw: st.DrawFn) -> Desired:
    numbers = draw(st.sets(GROUP_NUMBERS, max_size=3))
    ids = draw(st.sets(STAFF_IDS, max_size=3))
    absent = draw(st.sets(STAFF_IDS, max_size=2)) - ids
    pages = draw(
        st.dictionaries(
            st.sampled_from(PAGES),
            st.dictionaries(GROUP_NUMBERS, LEVEL, min_size=1, max_size=3),
            max_size=2,
        )
    )
    return Desired(
        groups={n: draw(groups(n)) for n in sorted(numbers)},
        toggle=draw(st.sampled_from(["on", "off", "during_apply"])),
        page_permissions=pages,
        staff={sid: draw(staff(sid)) for sid in sorted(ids)},
        absent_staff=frozenset(absent),
        removal=draw(st.sampled_from(["delete", "deactivate"])),
    )


@st.composite
def live_states(draw: st.DrawFn) -> State:
    base = fresh_state()
    extra = {
        n: draw(groups(n)).model_copy(update={"name": f"Group {n}"})
        for n in range(14, draw(st.integers(min_value=14, max_value=17)))
    }
    people = {sid: draw(staff(sid)) for sid in draw(st.sets(STAFF_IDS, max_size=3))}
    pages = draw(
        st.dictionaries(
            st.sampled_from(PAGES),
            st.dictionaries(
                GROUP_NUMBERS, LEVEL.filter(lambda v: v != "group_default")
            ),
            max_size=2,
        )
    )
    return base.model_copy(
        update={
            "groups": {**base.groups, **extra},
            "staff": {**base.staff, **people},
            "page_toggle": draw(st.booleans()),
            "page_permissions": pages,
        }
    )


@given(desired=desired_states(), live=live_states())
def test_applying_a_plan_converges(desired: Desired, live: State) -> None:
    driver = FakeDriver(live)

    async def run() -> None:
        first = plan_for(desired, await driver.read(desired.scope()))
        await apply_changes(first, driver)
        again = plan_for(desired, await driver.read(desired.scope()))
        assert again.changes == (), [c.address for c in again.changes]
        # Only toggle: on rests on; off and during_apply both rest off.
        assert driver.state.page_toggle == (desired.toggle == "on")

    asyncio.run(run())


@given(desired=desired_states(), live=live_states())
def test_plans_are_deterministic(desired: Desired, live: State) -> None:
    assert plan_to_json(plan_for(desired, live)) == plan_to_json(
        plan_for(desired.model_copy(), live.model_copy())
    )


@given(desired=desired_states(), live=live_states())
def test_drift_and_plan_list_the_same_objects(desired: Desired, live: State) -> None:
    plan = plan_for(desired, live)
    drift = plan_for(desired, live, mode="drift")
    net = sorted(c.address for c in plan.changes if not c.temporary)
    assert sorted(c.address for c in drift.changes) == net
    assert [c.severity for c in drift.changes] == sorted(
        (c.severity for c in drift.changes), key=lambda s: s != "escalation"
    )
