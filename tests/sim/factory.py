"""Build extra staff members into a state, as a district's history would have them."""

from __future__ import annotations

from collections.abc import Mapping

from psconfig.sim import SimState
from psconfig.sim.pcas import hash_password
from psconfig.sim.state import SimAffiliation, SimRole, SimStaff

PASSWORD = "Sync-Pass-1"


def add_user(
    state: SimState,
    loginid: str,
    *,
    group: int | None,
    school: int = 0,
    password: str = PASSWORD,
    fields: Mapping[str, object] | None = None,
) -> SimStaff:
    """Append a staff member who may sign in to the admin portal."""
    dcid = max(s.dcid for s in state.staff) + 1
    staff = SimStaff.model_validate(
        {
            "dcid": dcid,
            "teachernumber": f"9{dcid:04d}",
            "last_name": loginid.title(),
            "first_name": "Test",
            "home_school": school,
            "affiliations": [SimAffiliation(school=school)],
            "psaccess": True,
            "loginid": loginid,
            "groupvalue": group,
            "roles": [SimRole(school=school)],
            **(fields or {}),
        }
    )
    staff.password = hash_password(password, pcas=state.flavor == "legacy")
    state.staff.append(staff)
    return staff
