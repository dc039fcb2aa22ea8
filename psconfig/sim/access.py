"""Who may do what: the effective access level of a signed-in user on a page.

A user's groups at a school are its default group plus the groups of its roles at
that school (a role without a group means the default group). On a page, each group
has the level of its page override if there is one (``group_default`` is no
override), else its default: on *system pages* (under ``/admin/security/``,
``/admin/faculty/``, ``/admin/tech/``) only View & Modify gives Full, anything else
None; on other pages No Access/View Only/View & Modify give None/View/Full. The
highest level over the user's groups wins. GET needs View, POST needs Full.

Feature gates sit on top (log types, health areas, PowerScheduler) and the sign-in
rules (window, allowed IPs, lockouts) are checked separately.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from enum import IntEnum

from psconfig.sim.state import HealthLevel, LogType, SimGroup, SimStaff, SimState

SYSTEM_PREFIXES = ("/admin/security/", "/admin/faculty/", "/admin/tech/")


class Level(IntEnum):
    """An access level on a page, ordered."""

    NONE = 0
    VIEW = 1
    FULL = 2


_OVERRIDE = {"none": Level.NONE, "view_only": Level.VIEW, "full": Level.FULL}
_DEFAULT = {
    "no_access": Level.NONE,
    "view_only": Level.VIEW,
    "view_and_modify": Level.FULL,
}


def is_system_page(path: str) -> bool:
    """True for the pages that only View & Modify groups reach by default."""
    return path.startswith(SYSTEM_PREFIXES)


def user_groups(state: SimState, staff: SimStaff, school: int) -> list[SimGroup]:
    """The existing groups that apply to ``staff`` at ``school``, ascending."""
    numbers: set[int] = set()
    if staff.groupvalue is not None:
        numbers.add(staff.groupvalue)
    for role in staff.roles:
        if role.school != school:
            continue
        group = role.group if role.group is not None else staff.groupvalue
        if group is not None:
            numbers.add(group)
    return [g for n in sorted(numbers) if (g := state.group(n)) is not None]


def group_level(state: SimState, group: SimGroup, path: str) -> Level:
    """One group's level on ``path``: its override, else its default access."""
    override = state.page_permissions.get(path, {}).get(group.number)
    if override is not None and override != "group_default":
        return _OVERRIDE[override]
    default = _DEFAULT[group.access_level]
    if is_system_page(path):
        return Level.FULL if default is Level.FULL else Level.NONE
    return default


def effective_level(state: SimState, staff: SimStaff, school: int, path: str) -> Level:
    """The highest level over the user's groups at ``school`` on ``path``."""
    groups = user_groups(state, staff, school)
    return max((group_level(state, g, path) for g in groups), default=Level.NONE)


def has_log_type(groups: list[SimGroup], log_type: LogType) -> bool:
    """True when one of the groups may open that log type."""
    return any(log_type in g.log_types for g in groups)


def has_health(groups: list[SimGroup], area: str) -> bool:
    """True when one of the groups has more than No Access to that health area."""
    no_access: HealthLevel = "no_access"
    return any(getattr(g.health, area) != no_access for g in groups)


def has_powerscheduler(groups: list[SimGroup]) -> bool:
    """True when one of the groups has PowerScheduler access."""
    return any(g.powerscheduler for g in groups)


def within_window(staff: SimStaff, now: datetime) -> bool:
    """True when ``now`` (local time) is inside the user's sign-in window."""
    if staff.allow_login_start is None or staff.allow_login_end is None:
        return True
    return staff.allow_login_start <= now.strftime("%H:%M") < staff.allow_login_end


def ip_allowed(staff: SimStaff, ip: str) -> bool:
    """True when the user has no allowed-IP list or ``ip`` is inside one entry."""
    if not staff.ipaddrrestrict:
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for entry in staff.ipaddrrestrict:
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue
        if address.version == network.version and address in network:
            return True
    return False


def may_switch_to(staff: SimStaff, state: SimState) -> list[int]:
    """Schools the user may select: its affiliations and roles; District Office: all."""
    own = {a.school for a in staff.affiliations if a.active}
    own |= {r.school for r in staff.roles}
    if 0 in own:
        return sorted(state.schools)
    return sorted(s for s in own if s in state.schools)
