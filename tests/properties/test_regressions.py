"""Starting points the convergence property found that do not converge (yet).

Each is a real state a district can be in, kept out of the generated states (see
``live.py``, "KNOWN GAP") and pinned here as a strict xfail: when the engine or
driver learns to converge from it, the test passes, strict xfail turns that into a
failure, and whoever fixed it removes the marker and widens the generator.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from psconfig.errors import ApplyError
from psconfig.sim import SimState, create_app, seed_state
from psconfig.sim.pcas import cached_hash
from psconfig.sim.state import SimAffiliation, SimRole, SimStaff
from tests.properties.harness import (
    SYNC_ID,
    SpecParams,
    apply_district,
    plan_district,
    write_district,
)


def with_sync_account(**fields: object) -> SimState:
    state = seed_state(flavor="modern")
    account: dict[str, object] = {
        "dcid": 100,
        "teachernumber": SYNC_ID,
        "last_name": "Sync",
        "first_name": "Clever",
        "affiliations": [SimAffiliation(school=0)],
        "loginid": "cleversync",
        "roles": [SimRole(school=0)],
        **fields,
    }
    state.staff.append(SimStaff.model_validate(account))
    return state


def converges(root: Path, start: SimState, *, gap: str = "") -> None:
    """Apply the preset, then plan: nothing left. ``gap``: the known failure's text.

    An ``ApplyError`` whose message lacks ``gap`` is turned into an assertion
    error, so a strict xfail below cannot hide a different failure.
    """
    district = write_district(root, start, SpecParams())
    app = create_app(district.state_path)

    async def run() -> None:
        await apply_district(district, app)
        again = await plan_district(district, app)
        assert again.changes == (), [c.address for c in again.changes]

    try:
        asyncio.run(run())
    except ApplyError as exc:
        assert gap and gap in str(exc), str(exc)
        raise


def test_a_plain_partial_account_converges(tmp_path: Path) -> None:
    """The control: an account created by hand without admin sign-in converges."""
    converges(tmp_path, with_sync_account(loginid="", roles=[]))


@pytest.mark.xfail(
    raises=ApplyError,
    strict=True,
    reason="planner sets the password only when sign-in turns on, not when LDAP "
    "turns off; PowerSchool then refuses: An Admin Password is required",
)
def test_ldap_sync_account_switched_to_a_password_converges(tmp_path: Path) -> None:
    start = with_sync_account(psaccess=True, adminldapenabled=True)
    converges(tmp_path, start, gap="An Admin Password is required")


@pytest.mark.xfail(
    raises=ApplyError,
    strict=True,
    reason="the preset lists only the District Office affiliation and PowerSchool "
    "cannot remove one; the plan asks to remove it instead of making it inactive",
)
def test_sync_account_with_an_extra_affiliation_converges(tmp_path: Path) -> None:
    rows = [SimAffiliation(school=0), SimAffiliation(school=100, active=False)]
    start = with_sync_account(affiliations=rows)
    converges(tmp_path, start, gap="cannot remove the affiliation with school 100")


@pytest.mark.xfail(
    raises=ApplyError,
    strict=True,
    reason="the plan changes `school`, which the driver refuses (moving to another "
    "school is not supported); only the home affiliation can move",
)
def test_sync_account_homed_at_a_school_converges(tmp_path: Path) -> None:
    rows = [SimAffiliation(school=100), SimAffiliation(school=0)]
    start = with_sync_account(home_school=100, affiliations=rows)
    converges(tmp_path, start, gap="moving to another school is not supported")


def test_an_enabled_account_with_a_password_converges(tmp_path: Path) -> None:
    """The control for the LDAP case: with a local password on file it converges."""
    hashed = cached_hash("Old-Sync-Password-1", pcas=False)
    converges(tmp_path, with_sync_account(psaccess=True, password=hashed))
