"""Starting points the convergence property found, pinned as plain regressions.

Each is a real state a district can be in. The generator in ``live.py`` reaches
them too, but only by chance; here each one runs every time, by name:

- an LDAP sync account (no local password) that the preset switches to one;
- a sync account with an affiliation the preset does not list (PowerSchool cannot
  remove one, so it is kept inactive);
- a sync account homed at a school, moved to the District Office (the old home
  row keeping its own staff type).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

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


def converged(root: Path, start: SimState) -> SimStaff:
    """Apply the preset, plan again (nothing left); the sync account as it ends."""
    district = write_district(root, start, SpecParams())
    app = create_app(district.state_path)

    async def run() -> None:
        await apply_district(district, app)
        again = await plan_district(district, app)
        assert again.changes == (), [c.address for c in again.changes]

    asyncio.run(run())
    return next(s for s in app.state.staff if s.teachernumber == SYNC_ID)


def test_a_partial_account_without_sign_in_converges(tmp_path: Path) -> None:
    account = converged(tmp_path, with_sync_account(loginid="", roles=[]))
    assert account.psaccess and account.password is not None


def test_ldap_sync_account_switched_to_a_password_converges(tmp_path: Path) -> None:
    start = with_sync_account(psaccess=True, adminldapenabled=True)
    account = converged(tmp_path, start)
    assert not account.adminldapenabled and account.password is not None


def test_sync_account_with_an_extra_affiliation_converges(tmp_path: Path) -> None:
    rows = [SimAffiliation(school=0), SimAffiliation(school=100)]
    account = converged(tmp_path, with_sync_account(affiliations=rows))
    active = {a.school: a.active for a in account.affiliations}
    assert active == {0: True, 100: False}


def test_sync_account_homed_at_a_school_converges(tmp_path: Path) -> None:
    rows = [SimAffiliation(school=100)]
    start = with_sync_account(home_school=100, affiliations=rows)
    account = converged(tmp_path, start)
    assert account.home_school == 0
    assert {a.school: a.active for a in account.affiliations} == {0: True, 100: False}


def test_an_enabled_account_with_a_password_converges(tmp_path: Path) -> None:
    hashed = cached_hash("Old-Sync-Password-1", pcas=False)
    account = converged(tmp_path, with_sync_account(psaccess=True, password=hashed))
    assert account.password == hashed  # write-only: never compared, never reset


def test_moving_home_keeps_the_old_rows_staff_type(tmp_path: Path) -> None:
    rows = [SimAffiliation(school=200, staff_type=1)]
    start = with_sync_account(home_school=200, affiliations=rows)
    account = converged(tmp_path, start)
    assert {a.school: a.staff_type for a in account.affiliations} == {0: 2, 200: 1}
