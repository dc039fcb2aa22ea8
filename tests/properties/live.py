"""Hypothesis strategies: any live PowerSchool a district might start from.

``live_states(flavor)`` starts from the seeded simulator and changes what the Clever
setup touches, and what it must leave alone:

- the number of security groups (10 to 16, so the export group may not exist yet)
  and any settings on groups 12 and up, with awkward names (markup, accents,
  spaces); the guide's built-in groups 1-11 keep theirs (group 9 is the signed-in
  administrator's, whose access the whole run depends on);
- any page levels for any groups on the two DDE pages (explicit ``group_default``
  included) and on an unrelated page;
- the page-permission toggle on or off;
- the sync account missing, or present in any shape: partial (no admin access),
  wrong default group, wrong IPs, a sign-in window, admin sign-in disabled, no
  longer here, another home school, extra roles and affiliations, LDAP on.

``spec_params()`` draws the preset's parameters (group number 12-15, allowed IPs,
sign-in window) and the toggle mode the spec asks for.
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

from psconfig.model import Flavor
from psconfig.sim import SimState, seed_state
from psconfig.sim.pcas import cached_hash
from psconfig.sim.state import (
    PageLevel,
    SimAffiliation,
    SimGroup,
    SimHealth,
    SimRole,
    SimStaff,
)
from tests.properties.harness import DDE_PAGES, SYNC_ID, SpecParams

SCHOOLS = (0, 100, 200)
OTHER_PAGE = "/admin/students/home.html"
GROUP_NAMES = (
    "Group 12",
    "Read-Only Export",
    "R&D <Export> \"quoted\" 'single'",
    "Ünïcode Gruppe ✓",
    "x",
    "Sixty characters long name for a group, padded to the limit",
)
ACCESS = st.sampled_from(["no_access", "view_only", "view_and_modify"])
HEALTH = st.sampled_from(["no_access", "view_only", "full_access"])
LOGS = ("discipline", "health", "counselor", "attendance", "parent_contact")
IPS = ("192.0.2.10", "198.51.100.20", "203.0.113.0/28", "10.1.2.3")
LEVELS: tuple[PageLevel, ...] = ("group_default", "none", "view_only", "full")
LEVEL = st.sampled_from(LEVELS)
# The portal offers sign-in times every 30 minutes (PAGES.md), so windows do too.
WINDOWS = st.sampled_from([None, ("05:00", "22:00"), ("06:30", "18:30")])


@st.composite
def groups(draw: st.DrawFn, number: int, name: str) -> SimGroup:
    """Group ``number`` with any settings (its name drawn, or ``name``)."""
    return SimGroup(
        number=number,
        name=draw(st.sampled_from(GROUP_NAMES) | st.just(name)),
        access_level=draw(ACCESS),
        can_modify_schedules=draw(st.booleans()),
        powerscheduler=draw(st.booleans()),
        translator=draw(st.booleans()),
        report_queue_priority=draw(st.integers(0, 9)),
        log_types=sorted(draw(st.sets(st.sampled_from(LOGS)))),
        incident_types=sorted(draw(st.sets(st.sampled_from(["BUL", "FGT", "VAN"])))),
        health=SimHealth(
            certification=draw(HEALTH),
            immunization=draw(HEALTH),
            office_visit=draw(HEALTH),
            screening=draw(HEALTH),
        ),
    )


@st.composite
def group_list(draw: st.DrawFn, seeded: list[SimGroup]) -> list[SimGroup]:
    """10-16 groups; the guide's built-in groups 1-11 keep their settings."""
    count = draw(st.integers(10, 16))
    result = [g.model_copy(deep=True) for g in seeded[:count]]
    result += [SimGroup(number=n, name=f"Group {n}") for n in range(14, count + 1)]
    for number in range(12, count + 1):
        if draw(st.booleans()):
            result[number - 1] = draw(groups(number, result[number - 1].name))
    return result


def page_levels(count: int) -> st.SearchStrategy[dict[int, PageLevel]]:
    return st.dictionaries(st.integers(1, count), LEVEL, max_size=5)


@st.composite
def affiliations(draw: st.DrawFn, home: int) -> list[SimAffiliation]:
    """The home school's row and any others, active or not, of any staff type.

    The home row is active: the portal refuses to save an inactive one.
    """
    rows = [SimAffiliation(school=home, staff_type=draw(st.integers(0, 4)))]
    for school in sorted(draw(st.sets(st.sampled_from(SCHOOLS))) - {home}):
        rows.append(
            SimAffiliation(
                school=school,
                active=draw(st.booleans()),
                staff_type=draw(st.integers(0, 4)),
            )
        )
    return sorted(rows, key=lambda row: row.school)


@st.composite
def roles(draw: st.DrawFn, count: int) -> list[SimRole]:
    schools = draw(st.sets(st.sampled_from(SCHOOLS), max_size=3))
    return [
        SimRole(school=school, group=draw(st.none() | st.integers(1, count)))
        for school in sorted(schools)
    ]


@st.composite
def sync_accounts(draw: st.DrawFn, count: int, legacy: bool) -> SimStaff | None:
    """The sync account as the district left it, or None when it is missing."""
    if draw(st.booleans()):
        return None
    home = draw(st.sampled_from(SCHOOLS))
    window = draw(WINDOWS)
    psaccess, ldap = draw(st.booleans()), draw(st.booleans())
    # The portal refuses to save sign-in with a local password (sign-in on, LDAP
    # off) when no password is on file, so such an account cannot exist.
    password: str | None = "Old-Sync-Password-1"
    if not psaccess or ldap:
        password = draw(st.sampled_from([None, password]))
    return SimStaff(
        dcid=100,
        teachernumber=SYNC_ID,
        last_name=draw(st.sampled_from(["Sync", "Export", "Sync "])),
        first_name=draw(st.sampled_from(["Clever", "", "C."])),
        title=draw(st.sampled_from(["", "Integration"])),
        status=draw(st.sampled_from([1, 2])),
        home_school=home,
        affiliations=draw(affiliations(home)),
        ptaccess=draw(st.booleans()),
        psaccess=psaccess,
        loginid=draw(st.sampled_from(["cleversync", "", "CleverSync", "oldsync"])),
        password=None if password is None else cached_hash(password, pcas=legacy),
        adminldapenabled=ldap,
        groupvalue=draw(st.none() | st.integers(1, count)),
        allow_login_start=window[0] if window else None,
        allow_login_end=window[1] if window else None,
        ipaddrrestrict=sorted(draw(st.sets(st.sampled_from(IPS), max_size=3))),
        roles=draw(roles(count)),
        has_history=draw(st.booleans()),
    )


class LiveCase:
    """A generated starting state; its repr shows only what differs from the seed.

    (A plain class: hypothesis would print a dataclass field by field, the whole
    seeded state included.)
    """

    def __init__(self, state: SimState) -> None:
        self.state = state

    def __repr__(self) -> str:
        seeded = seed_state(flavor=self.state.flavor).model_dump(mode="json")
        data = self.state.model_dump(mode="json")
        groups = [g for g in data["groups"] if g not in seeded["groups"]]
        sync = [s for s in data["staff"] if s["teachernumber"] == SYNC_ID]
        for account in sync:
            account["password"] = "(set)" if account["password"] else None
        summary = {
            "flavor": data["flavor"],
            "group_count": len(data["groups"]),
            "changed_groups": groups,
            "page_toggle": data["page_toggle"],
            "page_permissions": data["page_permissions"],
            "sync_account": sync[0] if sync else None,
        }
        return f"LiveCase({json.dumps(summary, ensure_ascii=False)})"


@st.composite
def live_states(draw: st.DrawFn, flavor: Flavor) -> LiveCase:
    """A seeded simulator of ``flavor`` changed as the module docstring lists."""
    state = seed_state(flavor=flavor)
    state.groups = draw(group_list(state.groups))
    count = len(state.groups)
    state.page_toggle = draw(st.booleans())
    pages = {page: draw(page_levels(count)) for page in DDE_PAGES}
    pages[OTHER_PAGE] = draw(page_levels(count))
    state.page_permissions = {page: levels for page, levels in pages.items() if levels}
    account = draw(sync_accounts(count, legacy=flavor == "legacy"))
    if account is not None:
        state.staff.append(account)
    return LiveCase(SimState.model_validate(state.model_dump()))


def spec_params() -> st.SearchStrategy[SpecParams]:
    """Preset parameters and the spec's toggle mode."""
    return st.builds(
        SpecParams,
        group_number=st.integers(12, 15),
        group_name=st.sampled_from(["Read-Only Export", "Clever Export"]),
        allowed_ips=st.lists(st.sampled_from(IPS), min_size=1, max_size=3, unique=True)
        .map(sorted)
        .map(tuple),
        window=WINDOWS,
        toggle=st.sampled_from(["during_apply", "on", "off"]),
    )
