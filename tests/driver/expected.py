"""The normalized state a correct driver must read from a simulator state file.

Written from PAGES.md's rules, independently of the driver's form maps: a group's
"can modify schedules" is a yes/no, a staff member's school and staff type are its
home affiliation's, an empty sign-in window is "any time", and a page permission of
``group_default`` is no override at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from psconfig.model import (
    AdminAccess,
    Affiliation,
    Group,
    Health,
    PageLevel,
    Role,
    SignInWindow,
    Staff,
    StaffType,
    State,
    TimeWindow,
)
from psconfig.sim import SimState
from psconfig.sim.state import SimGroup, SimStaff

STAFF_TYPES: dict[int, StaffType] = {
    0: "not_assigned",
    1: "teacher",
    2: "staff",
    3: "lunch_staff",
    4: "substitute",
}


def group(g: SimGroup) -> Group:
    return Group(
        number=g.number,
        name=g.name,
        access_level=g.access_level,
        can_modify_schedules="yes" if g.can_modify_schedules else "no",
        powerscheduler_access=g.powerscheduler,
        language_translator=g.translator,
        report_queue_priority=g.report_queue_priority,
        log_types=tuple(g.log_types),
        incident_types=tuple(g.incident_types),
        health=Health.model_validate(g.health.model_dump()),
    )


def staff(s: SimStaff) -> Staff:
    home = next((a for a in s.affiliations if a.school == s.home_school), None)
    window: SignInWindow = "any_time"
    if s.allow_login_start is not None and s.allow_login_end is not None:
        window = TimeWindow(start=s.allow_login_start, end=s.allow_login_end)
    return Staff(
        id=s.teachernumber,
        last_name=s.last_name,
        first_name=s.first_name,
        middle_name=s.middle_name,
        preferred_name=s.preferred_name,
        email=s.email_addr,
        title=s.title,
        school=s.home_school,
        staff_type=STAFF_TYPES[home.staff_type if home else 2],
        status="current" if s.status == 1 else "no_longer_here",
        affiliations=tuple(
            Affiliation(
                school=a.school,
                home=a.school == s.home_school,
                active=a.active,
                staff_type=STAFF_TYPES[a.staff_type],
            )
            for a in s.affiliations
        ),
        admin_access=AdminAccess(
            enabled=s.psaccess,
            username=s.loginid,
            ldap_enabled=s.adminldapenabled,
            default_group=s.groupvalue,
            sign_in_window=window,
            allowed_ips=tuple(s.ipaddrrestrict),
            roles=tuple(Role(school=r.school, group=r.group) for r in s.roles),
        ),
        teacher_access=s.ptaccess,
    )


def expected_state(
    sim: SimState, *, pages: Iterable[str], staff_ids: Iterable[str] | None = None
) -> State:
    """What ``read(Scope(pages=pages, staff_ids=staff_ids))`` must return."""
    wanted = set(staff_ids) if staff_ids is not None else None
    members = [
        s
        for s in sim.staff
        if (s.teachernumber in wanted if wanted is not None else s.psaccess)
    ]
    permissions: dict[str, dict[int, PageLevel]] = {
        page: {
            number: level
            for number, level in sim.page_permissions.get(page, {}).items()
            if level != "group_default"
        }
        for page in pages
    }
    return State(
        groups={g.number: group(g) for g in sim.groups},
        page_toggle=sim.page_toggle,
        page_permissions=permissions,
        staff={s.teachernumber: staff(s) for s in members},
        schools=dict(sim.schools),
    )
