"""Normalized PowerSchool security state, shared by desired (spec) and live (driver).

No I/O here. Everything is keyed by PowerSchool's own stable identifiers, never by
display labels: groups by number, schools by number (District Office is 0), staff by
staff ID, page permissions by (page path, group number). Labels that differ between
PowerSchool versions ("Full" vs "Edit") are normalized before they get here.

Managed fields: a desired object only manages the fields that were set on it
(``model_fields_set``); the diff compares exactly those, so an unmanaged live field is
never touched nor reported. Live objects read by a driver have every field set.

Operations (``Op``) are what a driver performs, one at a time. Each carries the full
object before and after (after = live merged with desired), so a driver can fill a form
completely while only the managed values differ from what PowerSchool sent.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

DISTRICT_OFFICE = 0
"""School number of the District Office context."""

DDE_PAGES = ("/admin/tech/dde/home.html", "/admin/tech/dde/exportrecords.html")
"""The two Direct Database Export pages the guide sets to Full (its section 3)."""

AccessLevel = Literal["no_access", "view_only", "view_and_modify"]
ScheduleModify = Literal["no", "yes"]
LogType = Literal[
    "discipline", "health", "counselor", "attendance", "parent_contact", "grade_change"
]
LOG_TYPES: tuple[LogType, ...] = (
    "discipline",
    "health",
    "counselor",
    "attendance",
    "parent_contact",
    "grade_change",
)
HealthLevel = Literal["no_access", "view_only", "full_access"]
PageLevel = Literal["group_default", "none", "view_only", "full"]
ToggleMode = Literal["on", "off", "during_apply"]
StaffType = Literal["not_assigned", "teacher", "staff", "lunch_staff", "substitute"]
StaffStatus = Literal["current", "no_longer_here"]
Flavor = Literal["legacy", "modern"]
SignInScheme = Literal["auto", "pcas", "plain"]
"""How the admin sign-in page expects the password: detected from the page
(``auto``), PCAS-hashed in the browser (``pcas``), or as typed (``plain``)."""

HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")
"""A 24-hour ``HH:MM`` time (the spec's sign-in times are checked against it too)."""


Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_MAPPED_V4 = ipaddress.IPv6Network("::ffff:0:0/96")
"""IPv4-mapped IPv6 addresses: ``::ffff:a.b.c.d`` is the IPv4 address a.b.c.d."""


def as_network(entry: str) -> Network:
    """An allowed-IP entry as a network; IPv4-mapped IPv6 becomes IPv4.

    Raises:
        ValueError: the entry is not an address or network.

    """
    net = ipaddress.ip_network(entry.strip(), strict=False)
    if isinstance(net, ipaddress.IPv6Network) and net.subnet_of(_MAPPED_V4):
        mapped = net.network_address.ipv4_mapped
        assert mapped is not None  # inside ::ffff:0:0/96
        return ipaddress.ip_network(f"{mapped}/{net.prefixlen - 96}", strict=False)
    return net


def admits_any_address(entries: Iterable[str]) -> bool:
    """True when an allowed-IP list lets any address sign in.

    An empty list means any address (PowerSchool's rule). So does a list whose
    networks together cover a whole address family (``0.0.0.0/0``, ``::/0``,
    ``::ffff:0:0/96``, or ``0.0.0.0/1`` with ``128.0.0.0/1``): every client of
    that family may sign in, which is what "any IP address" means to a reviewer.
    Entries that are not networks are left out (PowerSchool ignores them).
    """
    v4: list[ipaddress.IPv4Network] = []
    v6: list[ipaddress.IPv6Network] = []
    seen = False
    for entry in entries:
        seen = True
        try:
            net = as_network(entry)
        except ValueError:
            continue
        if isinstance(net, ipaddress.IPv4Network):
            v4.append(net)
        else:
            v6.append(net)
    if not seen:
        return True
    everything = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
    return list(ipaddress.collapse_addresses(v4)) == [everything[0]] or list(
        ipaddress.collapse_addresses(v6)
    ) == [everything[1]]


class Frozen(BaseModel):
    """Base for every value type: immutable and closed to unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Health(Frozen):
    """Health and Immunization access of a security group."""

    certification: HealthLevel = "no_access"
    immunization: HealthLevel = "no_access"
    office_visit: HealthLevel = "no_access"
    screening: HealthLevel = "no_access"


class Group(Frozen):
    """A security group (Security > Groups > Edit Group)."""

    number: Annotated[int, Field(ge=1, le=500)]
    name: Annotated[str, Field(min_length=1, max_length=60)]
    access_level: AccessLevel = "view_only"
    can_modify_schedules: ScheduleModify = "no"
    powerscheduler_access: bool = False
    language_translator: bool = False
    report_queue_priority: Annotated[int, Field(ge=0, le=9)] = 0
    log_types: tuple[LogType, ...] = ()
    incident_types: tuple[str, ...] = ()
    health: Health = Health()

    @field_validator("log_types", "incident_types")
    @classmethod
    def _sorted_unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(value)))


class TimeWindow(Frozen):
    """An allowed admin sign-in window, ``HH:MM`` 24-hour local server time."""

    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not HHMM.match(value):
            raise ValueError("expected a time as HH:MM (24-hour)")
        return value


SignInWindow = Literal["any_time"] | TimeWindow


class Role(Frozen):
    """A role row of Admin Access and Roles: a school and a group.

    ``group`` None is PowerSchool's "Default Group Access": the staff member's default
    group applies at that school.
    """

    school: int
    group: int | None = None


class Affiliation(Frozen):
    """A row of Teachers and Affiliations."""

    school: int
    home: bool = False
    active: bool = True
    staff_type: StaffType = "staff"


class AdminAccess(Frozen):
    """The Admin Access and Roles tab, minus the write-only password."""

    enabled: bool = False
    username: str = ""
    ldap_enabled: bool = False
    default_group: int | None = None
    sign_in_window: SignInWindow = "any_time"
    allowed_ips: tuple[str, ...] = ()
    roles: tuple[Role, ...] = ()

    @field_validator("roles")
    @classmethod
    def _roles_sorted(cls, value: tuple[Role, ...]) -> tuple[Role, ...]:
        return tuple(sorted(value, key=lambda r: (r.school, r.group or 0)))


class Staff(Frozen):
    """A staff member with the security settings psconfig manages."""

    id: Annotated[str, Field(min_length=1, max_length=20)]
    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    preferred_name: str = ""
    email: str = ""
    title: str = ""
    school: int = DISTRICT_OFFICE
    staff_type: StaffType = "staff"
    status: StaffStatus = "current"
    affiliations: tuple[Affiliation, ...] = ()
    admin_access: AdminAccess = AdminAccess()
    teacher_access: bool = False

    @field_validator("affiliations")
    @classmethod
    def _affiliations_sorted(
        cls, value: tuple[Affiliation, ...]
    ) -> tuple[Affiliation, ...]:
        return tuple(sorted(value, key=lambda a: a.school))


class State(Frozen):
    """A normalized snapshot of the managed parts of one PowerSchool.

    ``schools`` is read-only context (number -> name) that lets specs name schools.
    ``page_permissions`` maps page path -> group number -> level; only overrides
    that are not ``group_default`` need to be present in a live read, and a missing
    (page, group) pair means ``group_default``.
    """

    groups: dict[int, Group] = {}
    page_toggle: bool = False
    page_permissions: dict[str, dict[int, PageLevel]] = {}
    staff: dict[str, Staff] = {}
    schools: dict[int, str] = {}

    def within(self, scope: Scope) -> State:
        """What a driver's ``read(scope)`` returns from this state.

        The groups and pages asked for, the staff asked for (``None``: those with
        admin sign-in), the toggle and the schools.
        """
        groups = {
            n: g
            for n, g in self.groups.items()
            if scope.groups is None or n in scope.groups
        }
        if scope.staff_ids is None:
            staff = {k: v for k, v in self.staff.items() if v.admin_access.enabled}
        else:
            staff = {k: v for k, v in self.staff.items() if k in scope.staff_ids}
        pages = {
            p: dict(v) for p, v in self.page_permissions.items() if p in scope.pages
        }
        return State(
            groups=groups,
            page_toggle=self.page_toggle,
            page_permissions=pages,
            staff=staff,
            schools=dict(self.schools),
        )


class Scope(Frozen):
    """What a read must cover. ``None`` means everything of that kind.

    For staff, ``None`` means every staff member with admin sign-in enabled (what
    ``import`` wants); a set reads exactly those staff IDs.
    """

    groups: frozenset[int] | None = None
    pages: frozenset[str] = frozenset()
    staff_ids: frozenset[str] | None = None


class ServerInfo(Frozen):
    """Identity of the PowerSchool a driver talks to, bound into plans."""

    url: str
    version: str
    flavor: Flavor
    username: str


class Desired(Frozen):
    """The resolved desired state: a spec after presets, references and secrets.

    Objects carry only the fields the spec sets. ``passwords`` holds the write-only
    passwords by staff ID, resolved from their references only when asked for (apply,
    rotation); ``password_refs`` keeps the reference text (``${env:NAME}``, never a
    value) so a plan can say where a password comes from without resolving it.
    """

    groups: dict[int, Group] = {}
    toggle: ToggleMode = "during_apply"
    page_permissions: dict[str, dict[int, PageLevel]] = {}
    staff: dict[str, Staff] = {}
    absent_staff: frozenset[str] = frozenset()
    removal: Literal["delete", "deactivate"] = "delete"
    passwords: dict[str, SecretStr] = {}
    password_refs: dict[str, str] = {}

    def scope(self) -> Scope:
        """The live objects a plan for this desired state has to read."""
        return Scope(
            groups=frozenset(self.groups),
            pages=frozenset(self.page_permissions),
            staff_ids=frozenset(self.staff) | self.absent_staff,
        )


# ---------------------------------------------------------------------------
# Operations a driver performs


class EnsureGroup(Frozen):
    """Write a group's Edit Group form; ``before`` None means add groups up to it."""

    op: Literal["ensure_group"] = "ensure_group"
    before: Group | None
    after: Group


class SetPageToggle(Frozen):
    """Turn the page-permission toggle on or off."""

    op: Literal["set_page_toggle"] = "set_page_toggle"
    on: bool


class SetPagePermissions(Frozen):
    """Set levels for some groups on one page's access-privileges editor."""

    op: Literal["set_page_permissions"] = "set_page_permissions"
    page: str
    before: dict[int, PageLevel]
    after: dict[int, PageLevel]


class CreateStaff(Frozen):
    """Create a staff member in its school's context, then its security settings."""

    op: Literal["create_staff"] = "create_staff"
    after: Staff
    password: SecretStr | None = None


class UpdateStaff(Frozen):
    """Rewrite the staff pages whose values differ between before and after.

    ``password`` is set only when the update turns admin sign-in on: PowerSchool
    refuses to enable sign-in without a password, so it travels in the same save.
    """

    op: Literal["update_staff"] = "update_staff"
    before: Staff
    after: Staff
    password: SecretStr | None = None


class SetStaffPassword(Frozen):
    """Set the write-only admin password of an existing staff member."""

    op: Literal["set_staff_password"] = "set_staff_password"
    staff_id: str
    password: SecretStr


class DeleteStaff(Frozen):
    """Delete a staff member (the guide's removal section)."""

    op: Literal["delete_staff"] = "delete_staff"
    before: Staff


class DeactivateStaff(Frozen):
    """Revoke admin sign-in, clear roles and mark the staff member no longer here."""

    op: Literal["deactivate_staff"] = "deactivate_staff"
    before: Staff


Op = Annotated[
    EnsureGroup
    | SetPageToggle
    | SetPagePermissions
    | CreateStaff
    | UpdateStaff
    | SetStaffPassword
    | DeleteStaff
    | DeactivateStaff,
    Field(discriminator="op"),
]
