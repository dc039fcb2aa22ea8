"""A crash after each write in turn, then a rerun on a fresh server, converges.

``crash_after_writes = k`` kills the simulator right after its k-th saved change:
every later request fails, as when PowerSchool (or the path to it) dies mid-apply.
For every k from 1 to N, N being the writes of a full apply from a fresh district
(the plan's toggle read bracket included), in both flavors:

- the crashed run fails with one psconfig error (never anything else), except
  after the last write: its post's answer is its read-back, so that run is done
  (it signs out best effort) and must not fail;
- a rerun on a new simulator instance on the same file, faults cleared, succeeds;
- the plan after it is empty, nothing outside the managed objects changed, and
  the page-permission toggle is off again, also after the crashes that left it on
  (inside the plan's read bracket or the apply's).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from psconfig.errors import PsconfigError
from psconfig.model import Flavor
from psconfig.sim import create_app, load_state, seed_state
from psconfig.sim.state import SimFaults
from tests.faults.runs import check_converged, check_untouched, clear_faults
from tests.properties.harness import (
    SpecParams,
    apply_district,
    write_district,
    writes,
)

DUPLICATE_CHECK = "/admin/faculty/staffcheckduplicates.html"


def writes_of_a_full_apply(root: Path, flavor: Flavor) -> int:
    district = write_district(root, seed_state(flavor=flavor), SpecParams())
    app = create_app(district.state_path)
    asyncio.run(apply_district(district, app))
    # New Staff Member's duplicate check is a POST that saves nothing.
    saving = [w for w in writes(app.requests) if w != DUPLICATE_CHECK]
    return len(saving)


async def crash_then_rerun(root: Path, flavor: Flavor, k: int, *, last: bool) -> bool:
    """Crash after write ``k``, rerun; True when the crash left the toggle on."""
    start = seed_state(flavor=flavor)
    start.faults = SimFaults(crash_after_writes=k)
    district = write_district(root, start, SpecParams())
    crashed = create_app(district.state_path)
    if last:
        await apply_district(district, crashed)
    else:
        with pytest.raises(PsconfigError):
            await apply_district(district, crashed)
    left_on = load_state(district.state_path).page_toggle
    clear_faults(district)
    await apply_district(district, create_app(district.state_path))
    await check_converged(district)  # toggle off again, among the rest
    check_untouched(start, district)
    return left_on


@pytest.mark.parametrize("flavor", ["legacy", "modern"])
def test_a_crash_after_any_write_then_a_rerun_converges(
    flavor: Flavor, tmp_path: Path
) -> None:
    total = writes_of_a_full_apply(tmp_path / "full", flavor)
    assert total >= 8  # toggle read bracket, group, toggle, 2 pages, staff, toggle
    left_on = [
        k
        for k in range(1, total + 1)
        if asyncio.run(crash_then_rerun(tmp_path / str(k), flavor, k, last=k == total))
    ]
    # Crashing inside a toggle bracket (the plan's read or the apply's) leaves it
    # on; the rerun turned it off (check_converged).
    assert 1 in left_on
    assert total not in left_on
