"""The simulator's state-file schema: everything one simulated PowerSchool knows.

The state file is JSON (``SimState.model_dump_json``); every key is documented on the
model fields below and on docs/simulator.md. A test or a demo can
start from any live state by writing this file. Keys mirror PowerSchool's own records
(USERS, SCHOOLSTAFF, security groups) with readable snake_case names.

These models are deliberately mutable: the simulator's pages edit a loaded state in
place and then write it back atomically (``psconfig.sim.store``). Unknown keys are
refused, so a typo in a hand-written state file fails loudly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from psconfig.errors import PsconfigError

Flavor = Literal["legacy", "modern"]
AccessLevel = Literal["no_access", "view_only", "view_and_modify"]
HealthLevel = Literal["no_access", "view_only", "full_access"]
LogType = Literal[
    "discipline", "health", "counselor", "attendance", "parent_contact", "grade_change"
]
PageLevel = Literal["group_default", "none", "view_only", "full"]
HHMM = Annotated[str, Field(pattern=r"^(?:[01]\d|2[0-3]):[0-5]\d$")]

DISTRICT_OFFICE = 0
"""School number of the District Office."""

MAX_GROUPS = 500
"""PowerSchool's ceiling on security groups ("Add Groups" stops there)."""


class SimStateError(PsconfigError):
    """A simulator state file or ``sim://`` URL is unusable; names the file or URL."""


class SimModel(BaseModel):
    """Base of the state models: closed to unknown keys, mutable in place."""

    model_config = ConfigDict(extra="forbid")


class SimHealth(SimModel):
    """Health and Immunization access of a group, per area."""

    certification: HealthLevel = "no_access"
    immunization: HealthLevel = "no_access"
    office_visit: HealthLevel = "no_access"
    screening: HealthLevel = "no_access"


class SimGroup(SimModel):
    """A security group (Edit Group page). Groups are numbered 1..N, never deleted."""

    number: Annotated[int, Field(ge=1, le=MAX_GROUPS)]
    name: Annotated[str, Field(min_length=1, max_length=60)]
    access_level: AccessLevel = "view_only"
    can_modify_schedules: bool = False
    powerscheduler: bool = False
    translator: bool = False
    report_queue_priority: Annotated[int, Field(ge=0, le=9)] = 0
    log_types: list[LogType] = []
    incident_types: list[str] = []
    health: SimHealth = SimHealth()


class PasswordHash(SimModel):
    """A stored admin password: salted PBKDF2-SHA256, never the password itself.

    ``pcas_b64_md5`` exists only in legacy-flavor states: the PCAS sign-in scheme
    sends ``hex_hmac_md5(key, b64_md5(pw))``, so a PCAS-era server must keep
    ``b64_md5(pw)`` to check it, exactly as PowerSchool did.
    """

    algorithm: Literal["pbkdf2_sha256"] = "pbkdf2_sha256"
    iterations: Annotated[int, Field(ge=1)]
    salt: str
    hash: str
    pcas_b64_md5: str | None = None


class SimAffiliation(SimModel):
    """A school affiliation (SCHOOLSTAFF row). ``staff_type`` is StaffStatus 0-4."""

    school: int
    active: bool = True
    staff_type: Annotated[int, Field(ge=0, le=4)] = 2


class SimRole(SimModel):
    """A role for a school; ``group`` None means "Default Group Access"."""

    school: int
    group: int | None = None


class SimStaff(SimModel):
    """A staff member (USERS + SCHOOLSTAFF) with its security settings.

    ``frn`` in URLs is ``005`` followed by ``dcid``. ``teachernumber`` is the staff
    ID. ``allow_login_start``/``allow_login_end`` None means "Any time".
    ``has_history`` marks a member with related records, which cannot be deleted.
    """

    dcid: Annotated[int, Field(ge=1)]
    teachernumber: Annotated[str, Field(min_length=1)]
    last_name: str
    first_name: str
    middle_name: str = ""
    preferred_name: str = ""
    email_addr: str = ""
    title: str = ""
    gender: str = ""
    ethnicity: str = ""
    homeroom: str = ""
    lunch_id: str = ""
    home_phone: str = ""
    school_phone: str = ""
    street: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    ssn: str = ""
    dob: str = ""
    gradebooktype: int = 1
    status: Literal[1, 2] = 1
    home_school: int = DISTRICT_OFFICE
    affiliations: list[SimAffiliation] = []
    ptaccess: bool = False
    teacherloginid: str = ""
    psaccess: bool = False
    loginid: str = ""
    password: PasswordHash | None = None
    adminldapenabled: bool = False
    groupvalue: int | None = None
    allow_login_start: HHMM | None = None
    allow_login_end: HHMM | None = None
    ipaddrrestrict: list[str] = []
    roles: list[SimRole] = []
    has_history: bool = False

    @property
    def lastfirst(self) -> str:
        """``LAST, FIRST`` as PowerSchool prints staff names."""
        return f"{self.last_name}, {self.first_name}"


class SimStudent(SimModel):
    """A student record, exported by DDE table 1."""

    dcid: Annotated[int, Field(ge=1)]
    student_number: str
    last_name: str
    first_name: str
    grade_level: int
    schoolid: int
    enroll_status: int = 0


class SimSettings(SimModel):
    """District settings.

    ``clock`` freezes the simulator's local clock at that time (for sign-in window
    tests through a subprocess); None uses the server's real local clock.
    ``signin_markers`` renders the sign-in page's hashing markers as the flavor has
    them (``flavor``) or contradicting each other: ``var pskey`` without the md5.js
    script, or md5.js without ``var pskey`` (what a client must refuse to guess).
    """

    lockout_threshold: Annotated[int, Field(ge=1)] = 5
    session_idle_seconds: Annotated[int, Field(ge=1)] = 1800
    clock: datetime | None = None
    signin_markers: Literal["flavor", "pskey_without_md5js", "md5js_without_pskey"] = (
        "flavor"
    )


class SimFaults(SimModel):
    """Fault injection knobs; all off by default. Random draws use ``seed``.

    The last three make PowerSchool misbehave as an upgrade or a bad day would,
    by a control's canonical name (``accesslevel``, ``powerscheduler``,
    ``columntitles``) or ``toggle`` / ``page_levels``: ``ignore_posts`` accepts a
    post ("Changes Recorded.") but keeps the old value; ``control_kinds`` renders
    the control as an input of another type (``{"powerscheduler": "text"}``);
    ``unknown_options`` offers, and selects, an option no documentation shows;
    ``absent_controls`` leaves the control (and its label) off the page.
    """

    latency_ms: Annotated[int, Field(ge=0)] = 0
    error_rate: Annotated[float, Field(ge=0, le=1)] = 0.0
    rate_limit_rate: Annotated[float, Field(ge=0, le=1)] = 0.0
    retry_after_seconds: Annotated[int, Field(ge=0)] = 1
    session_expiry_every: Annotated[int, Field(ge=0)] = 0
    crash_after_writes: Annotated[int, Field(ge=0)] = 0
    seed: int = 0
    ignore_posts: list[str] = []
    control_kinds: dict[str, str] = {}
    unknown_options: list[str] = []
    absent_controls: list[str] = []


class SimState(SimModel):
    """One simulated PowerSchool: the whole state file.

    ``page_permissions`` maps page path -> group number -> level; a missing pair
    (or ``group_default``) means the group's default access applies.
    ``failed_logins`` counts consecutive failures per lower-cased username;
    ``locked_accounts`` holds lower-cased usernames; ``disabled_ips`` client IPs.
    ``markup_variant`` renders the pages no public source shows with other names,
    ids, values and layouts (``psconfig.sim.variants``; 0 is the canonical markup).
    """

    flavor: Flavor = "modern"
    version: str
    schools: dict[int, str]
    groups: list[SimGroup]
    incident_types: dict[str, str] = {}
    page_toggle: bool = False
    page_permissions: dict[str, dict[int, PageLevel]] = {}
    staff: list[SimStaff] = []
    students: list[SimStudent] = []
    failed_logins: dict[str, int] = {}
    locked_accounts: list[str] = []
    disabled_ips: list[str] = []
    settings: SimSettings = SimSettings()
    faults: SimFaults = SimFaults()
    request_log: bool = False
    markup_variant: Annotated[int, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if DISTRICT_OFFICE not in self.schools:
            raise ValueError("schools must include 0 (District Office)")
        numbers = [g.number for g in self.groups]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError("groups must be numbered 1..N in order")
        _unique("staff dcid", [s.dcid for s in self.staff])
        _unique("staff teachernumber", [s.teachernumber for s in self.staff])
        _unique("staff loginid", [s.loginid.lower() for s in self.staff if s.loginid])
        _unique("student dcid", [s.dcid for s in self.students])
        return self

    def group(self, number: int) -> SimGroup | None:
        """The group numbered ``number``, if it exists."""
        if 1 <= number <= len(self.groups):
            return self.groups[number - 1]
        return None

    def staff_by_dcid(self, dcid: int) -> SimStaff | None:
        """The staff member with that DCID, if any."""
        return next((s for s in self.staff if s.dcid == dcid), None)

    def staff_by_login(self, loginid: str) -> SimStaff | None:
        """The staff member whose admin username matches, case-insensitively."""
        wanted = loginid.strip().lower()
        if not wanted:
            return None
        return next((s for s in self.staff if s.loginid.lower() == wanted), None)


def _unique(what: str, values: list[int] | list[str]) -> None:
    seen: set[int | str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)
