"""Timeouts over real HTTP: some answers never arrive in time, the work was done.

The simulator is served on loopback (``served.serve``) behind ``HoldSome``, which
holds a seeded 5% of responses past the driver's timeout after the simulator has
handled them, on top of a small latency on every request. A timed-out GET is
retried; a timed-out form post is read back to learn that it landed; a timed-out
sign-in fails the run and is not retried. The claims: repeated applies converge
within five runs, nothing outside the managed objects changes, and no run signs in
again after a sign-in that failed or timed out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from psconfig.errors import ConnectError
from psconfig.model import Flavor
from psconfig.sim import create_app, seed_state
from psconfig.sim.state import SimFaults
from tests.faults.runs import (
    apply_until_converged,
    check_converged,
    check_no_sign_in_retry,
    check_untouched,
)
from tests.faults.served import HoldSome, serve
from tests.properties.harness import SIGN_IN_POST, SpecParams, write_district

TIMEOUT = 0.25
HOLD = 0.5


@pytest.mark.anyio
@pytest.mark.parametrize("flavor", ["legacy", "modern"])
@pytest.mark.parametrize("seed", [1, 2])
async def test_repeated_applies_converge_when_answers_time_out(
    flavor: Flavor, seed: int, tmp_path: Path
) -> None:
    start = seed_state(flavor=flavor)
    start.faults = SimFaults(latency_ms=5)
    district = write_district(tmp_path, start, SpecParams())
    app = create_app(district.state_path)
    slow = HoldSome(app, fraction=0.05, hold=HOLD, seed=seed)
    with serve(slow) as url:
        runs = await apply_until_converged(
            district, app, max_runs=5, target=url, timeout=TIMEOUT, settle=slow.idle
        )
    check_no_sign_in_retry(runs)
    runs.require_converged()
    assert slow.held, "no answer was held: the test proves nothing"
    for error, records in zip(runs.errors, runs.requests, strict=True):
        if isinstance(error, ConnectError) and "sign-in" in str(error):
            posts = [r for r in records if r.path == SIGN_IN_POST]
            assert len(posts) == 1, "a timed-out sign-in was posted again"
    await check_converged(district)
    check_untouched(start, district)


@pytest.mark.anyio
async def test_a_post_that_timed_out_but_landed_is_read_back_not_reposted(
    tmp_path: Path,
) -> None:
    district = write_district(tmp_path, seed_state(), SpecParams())
    app = create_app(district.state_path)
    group_edit = "/admin/security/groups/edit.html"
    slow = HoldSome(
        app, fraction=1.0, hold=HOLD, method="POST", path=group_edit, limit=1
    )
    with serve(slow) as url:
        runs = await apply_until_converged(
            district, app, max_runs=1, target=url, timeout=TIMEOUT, settle=slow.idle
        )
    runs.require_converged()
    assert slow.held == [("POST", group_edit)]
    posted = [r for r in runs.requests[0] if r.is_write and group_edit in r.path]
    assert len(posted) == 1
    assert app.state.groups[11].name == "Read-Only Export"


@pytest.mark.anyio
async def test_a_sign_in_that_timed_out_is_not_retried(tmp_path: Path) -> None:
    district = write_district(tmp_path, seed_state(), SpecParams())
    app = create_app(district.state_path)
    slow = HoldSome(app, fraction=1.0, hold=HOLD, method="POST", path=SIGN_IN_POST)
    with serve(slow) as url:
        runs = await apply_until_converged(
            district, app, max_runs=2, target=url, timeout=TIMEOUT, settle=slow.idle
        )
    assert not runs.converged
    for error, records in zip(runs.errors, runs.requests, strict=True):
        assert isinstance(error, ConnectError)
        assert "sign-in is not retried" in str(error)
        assert [r.path for r in records if r.is_write] == [SIGN_IN_POST]
