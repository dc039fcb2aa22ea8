"""Convergence from any starting point, against the simulator, in both flavors.

For any generated live PowerSchool (``live.live_states``) and any preset spec
(``live.spec_params``), through the real driver and engine:

0. plan changes nothing (its toggle read bracket ends where it began), and apply
   (given every intent flag: ``--allow-lower-access``, ``--allow-remove-staff``,
   ``--allow-add-groups``) performs exactly the changes plan showed, or, when the
   DDE pages give the administrator's own group an override the spec would reset,
   refuses and writes nothing (psconfig never changes its own footing);
1. apply converges: the plan right after the first apply is empty;
2. apply is idempotent: a second apply plans nothing and posts nothing but its
   sign-in and, when the toggle is off, the driver's documented read bracket (the
   toggle on then off, because PowerSchool shows page permissions only while it is
   on); the state is exactly what it was before;
3. apply touches only what the spec manages: outside the export group, the two DDE
   pages (a listed page is managed whole), the sync account, the toggle and the
   groups added to reach the export group's number, the state file is exactly the
   one we started from; the toggle ends at rest (on only with ``toggle: on``).

Each runs in both flavors, on the canonical markup and on five markup variants
(other names, values, layouts and decoys for the pages bound by label). The CI
profile runs 25 examples per flavor on the canonical markup and 5 on each variant;
``--slow`` runs ten times as many.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import given, settings

from psconfig.engine.planning.plan import Plan
from psconfig.engine.planning.safety import Intents
from psconfig.errors import UnsafeChangeError
from psconfig.model import Flavor
from psconfig.sim import SimState, create_app, seed_state
from psconfig.sim.state import SimGroup
from tests.properties.harness import (
    ADMIN_GROUP,
    DDE_PAGES,
    TOGGLE_PAGE,
    District,
    SpecParams,
    apply_district,
    normalized,
    plan_district,
    unmanaged,
    write_district,
    writes,
)
from tests.properties.live import LiveCase, live_states, spec_params


def touches_own_footing(start: SimState) -> bool:
    """The DDE pages give the administrator's own group an override.

    The spec manages those pages whole, so the plan resets that override, and
    psconfig never changes a group the signed-in account depends on: apply must
    refuse, flag or no flag.
    """
    return any(
        start.page_permissions.get(page, {}).get(ADMIN_GROUP, "group_default")
        != "group_default"
        for page in DDE_PAGES
    )


async def converge(district: District, start: SimState) -> None:
    app = create_app(district.state_path)
    planned = await plan_district(district, app)
    assert normalized(app.state) == normalized(start), "plan changed PowerSchool"

    if touches_own_footing(start):
        with pytest.raises(UnsafeChangeError, match="depends on"):
            await apply_district(
                district,
                app,
                intents=Intents(lower_access=True, remove_staff=True, add_groups=True),
            )
        assert normalized(app.state) == normalized(start), "a refusal wrote"
        return
    applied = await apply_district(
        district,
        app,
        intents=Intents(lower_access=True, remove_staff=True, add_groups=True),
    )
    assert change_list(applied.plan) == change_list(planned)
    after_first = app.state
    replanned = await plan_district(district, app)
    assert replanned.changes == (), change_list(replanned)

    app = create_app(district.state_path)  # a fresh request record
    second = await apply_district(district, app)  # no flags: nothing to allow
    assert second.plan.changes == ()
    bracket = [] if after_first.page_toggle else [TOGGLE_PAGE, TOGGLE_PAGE]
    assert writes(app.requests) == bracket
    assert app.state == after_first

    count = len(start.groups)
    kept = unmanaged(start, district.params, count)
    assert unmanaged(app.state, district.params, count) == kept
    # The toggle rests on only with toggle: on; off and during_apply rest off.
    assert app.state.page_toggle == (district.params.toggle == "on")


def change_list(plan: Plan) -> list[str]:
    return [f"{c.address} {c.detail}".strip() for c in plan.changes]


VARIANTS = (0, 1, 2, 3, 4, 5)
"""The canonical markup and five markup variants (``psconfig.sim.variants``)."""


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("flavor", ["legacy", "modern"])
def test_apply_converges_from_any_live_state(
    flavor: Flavor, variant: int, tmp_path: Path
) -> None:
    # The canonical markup gets the profile's examples; each variant a fifth of
    # them (the variants change how pages look, not what the driver must do).
    examples = settings().max_examples
    budget = examples if variant == 0 else max(3, examples // 5)

    @settings(max_examples=budget)
    @given(start=live_states(flavor), params=spec_params())
    def check(start: LiveCase, params: SpecParams) -> None:
        state = start.state.model_copy(update={"markup_variant": variant})
        district = write_district(tmp_path / "district", state, params)
        asyncio.run(converge(district, state))

    check()


def test_unmanaged_ignores_exactly_the_managed_objects() -> None:
    params = SpecParams(group_number=15, toggle="during_apply")
    start = seed_state()
    kept = unmanaged(start, params, 13)
    changed = start.model_copy(deep=True)
    changed.groups.append(SimGroup(number=14, name="Group 14"))
    changed.groups.append(SimGroup(number=15, name="Read-Only Export"))
    changed.page_permissions = {DDE_PAGES[0]: {15: "full"}}
    changed.page_toggle = not start.page_toggle
    assert unmanaged(changed, params, 13) == kept
    changed.page_permissions[DDE_PAGES[0]][9] = "none"  # a DDE page: managed whole
    assert unmanaged(changed, params, 13) == kept
    changed.page_permissions["/admin/students/home.html"] = {9: "none"}
    assert unmanaged(changed, params, 13) != kept
    changed = start.model_copy(deep=True)
    changed.groups[12].name = "Renamed group 13"
    assert unmanaged(changed, params, 13) != kept
