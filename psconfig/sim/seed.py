"""A fresh simulated PowerSchool, as a district has it before the Clever setup.

Groups 1-13 are exactly the Clever guide's table (numbers, names, access levels,
report queue priority 0); their other settings are plausible stock values. Schools:
District Office (0), Springfield High (100), Lincoln Elementary (200). One demo
administrator can sign in; a few teachers and students give DDE something to export.
The page-permission toggle is off and no page has an override.
"""

from __future__ import annotations

from psconfig.sim.flavors import DEFAULT_VERSION
from psconfig.sim.pcas import cached_hash
from psconfig.sim.state import (
    DISTRICT_OFFICE,
    AccessLevel,
    Flavor,
    LogType,
    SimAffiliation,
    SimGroup,
    SimHealth,
    SimRole,
    SimStaff,
    SimState,
    SimStudent,
)

DEMO_ADMIN_USERNAME = "admin"
"""Username of the seeded demo administrator (staff ID "1", group 9 Administrator)."""

DEMO_ADMIN_PASSWORD = "psconfig-demo"
"""Password of the seeded demo administrator; documented, for simulators only."""

SCHOOLS = {
    DISTRICT_OFFICE: "District Office",
    100: "Springfield High",
    200: "Lincoln Elementary",
}
INCIDENT_TYPES = {
    "BUL": "Bullying",
    "FGT": "Fighting",
    "TRD": "Tardy",
    "VAN": "Vandalism",
}

_ALL_LOGS: list[LogType] = [
    "discipline",
    "health",
    "counselor",
    "attendance",
    "parent_contact",
    "grade_change",
]
_FULL_HEALTH = SimHealth(
    certification="full_access",
    immunization="full_access",
    office_visit="full_access",
    screening="full_access",
)
_VIEW_HEALTH = SimHealth(
    certification="view_only",
    immunization="view_only",
    office_visit="view_only",
    screening="view_only",
)

# (number, name, access level) from the guide's table.
_GUIDE_GROUPS: tuple[tuple[int, str, AccessLevel], ...] = (
    (1, "Unassigned", "no_access"),
    (2, "Admin", "view_and_modify"),
    (3, "Counselors", "view_and_modify"),
    (4, "Registrar", "view_and_modify"),
    (5, "Nurse", "view_and_modify"),
    (6, "Resource Officer", "view_only"),
    (7, "Teachers", "view_and_modify"),
    (8, "View Only", "view_and_modify"),
    (9, "Administrator", "view_and_modify"),
    (10, "Principal", "view_and_modify"),
    (11, "SPED Teachers", "view_only"),
    (12, "Group 12", "view_only"),
    (13, "Group 13", "view_only"),
)


def _group(number: int, name: str, access: AccessLevel) -> SimGroup:
    group = SimGroup(number=number, name=name, access_level=access)
    if number in (2, 9, 10):  # district and school administrators: everything
        group.log_types = list(_ALL_LOGS)
        group.incident_types = sorted(INCIDENT_TYPES)
        group.health = _FULL_HEALTH.model_copy()
        group.powerscheduler = group.can_modify_schedules = True
        group.translator = number == 9
    elif number == 3:
        group.log_types = ["attendance", "counselor", "grade_change", "parent_contact"]
        group.health = _VIEW_HEALTH.model_copy()
        group.powerscheduler = group.can_modify_schedules = True
    elif number == 4:
        group.log_types = ["attendance", "grade_change", "parent_contact"]
        group.powerscheduler = group.can_modify_schedules = True
    elif number == 5:
        group.log_types = ["health"]
        group.health = _FULL_HEALTH.model_copy()
    elif number == 6:
        group.log_types = ["discipline"]
        group.incident_types = sorted(INCIDENT_TYPES)
    elif number in (7, 11):
        group.log_types = ["attendance", "parent_contact"]
    return group


def _admin(flavor: Flavor) -> SimStaff:
    return SimStaff(
        dcid=1,
        teachernumber="1",
        last_name="Administrator",
        first_name="Demo",
        title="District Administrator",
        email_addr="admin@springfield.example",
        home_school=DISTRICT_OFFICE,
        affiliations=[SimAffiliation(school=DISTRICT_OFFICE, staff_type=2)],
        psaccess=True,
        loginid=DEMO_ADMIN_USERNAME,
        password=cached_hash(DEMO_ADMIN_PASSWORD, pcas=flavor == "legacy").model_copy(),
        groupvalue=9,
        roles=[SimRole(school=DISTRICT_OFFICE)],
        has_history=True,
    )


def _teacher(dcid: int, number: str, last: str, first: str, school: int) -> SimStaff:
    return SimStaff(
        dcid=dcid,
        teachernumber=number,
        last_name=last,
        first_name=first,
        email_addr=f"{first}.{last}@springfield.example".lower(),
        home_school=school,
        affiliations=[SimAffiliation(school=school, staff_type=1)],
        ptaccess=True,
        has_history=True,
    )


def _student(
    dcid: int, last: str, first: str, grade: int, school: int, enroll: int = 0
) -> SimStudent:
    return SimStudent(
        dcid=dcid,
        student_number=f"{school * 1000 + dcid}",
        last_name=last,
        first_name=first,
        grade_level=grade,
        schoolid=school,
        enroll_status=enroll,
    )


def seed_state(*, flavor: Flavor = "modern", version: str | None = None) -> SimState:
    """A fresh simulated PowerSchool of ``flavor`` (version defaults per flavor).

    Groups 1-13 as the Clever guide's table, three schools, incident types, the
    demo administrator (``DEMO_ADMIN_USERNAME``/``DEMO_ADMIN_PASSWORD``, staff ID
    "1", default group 9, a District Office role), three teachers, seven students;
    toggle off, no page overrides, no faults.
    """
    students = [
        _student(1, "Anderson", "Ava", 9, 100),
        _student(2, "Brown", "Ben", 10, 100),
        _student(3, "Chen", "Chloe", 11, 100),
        _student(4, "Diaz", "Diego", 12, 100, enroll=2),
        _student(5, "Evans", "Emma", 3, 200),
        _student(6, "Fischer", "Finn", 4, 200),
        _student(7, "Gupta", "Gia", 5, 200),
    ]
    return SimState(
        flavor=flavor,
        version=version or DEFAULT_VERSION[flavor],
        schools=dict(SCHOOLS),
        groups=[_group(n, name, level) for n, name, level in _GUIDE_GROUPS],
        incident_types=dict(INCIDENT_TYPES),
        staff=[
            _admin(flavor),
            _teacher(2, "1001", "Smith", "Alice", 100),
            _teacher(3, "1002", "Jones", "Bob", 100),
            _teacher(4, "2001", "Garcia", "Maria", 200),
        ],
        students=students,
    )
