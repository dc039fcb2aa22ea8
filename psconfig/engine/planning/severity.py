"""Severity: whether a change grants more access, less, or neither.

Each rule looks at one changed leaf (before -> after) and yields findings: an
``escalation`` (the change grants more access), a ``reduction`` (it takes access
away) or nothing (names, titles, emails: neutral). A change with any escalation is an
escalation, even when it also reduces something; the plan summary counts them.

Rules compare JSON leaf values (see ``diff.leaves``). When a value is missing or not
understood the rule errs towards ``escalation``: a reviewer looking twice at a
harmless change costs less than a silent widening of access.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from pydantic import JsonValue

from psconfig.engine.planning.diff import Leaves, Path
from psconfig.model import AccessLevel, Frozen, admits_any_address, as_network

Effect = Literal["escalation", "reduction"]
Severity = Literal["escalation", "reduction", "neutral"]


class Finding(Frozen):
    """One reason a change escalates or reduces privilege."""

    effect: Effect
    path: str
    message: str


Rule = Callable[[str, JsonValue, JsonValue], list[Finding]]

_ACCESS = ("no_access", "view_only", "view_and_modify")
_HEALTH = ("no_access", "view_only", "full_access")
_PAGE = ("none", "view_only", "full")
_PAGE_FROM_ACCESS: dict[str, str] = {
    "no_access": "none",
    "view_only": "view_only",
    "view_and_modify": "full",
}


def severity_of(findings: Sequence[Finding]) -> Severity:
    """Escalation wins over reduction; no finding at all is neutral."""
    effects = {finding.effect for finding in findings}
    if "escalation" in effects:
        return "escalation"
    return "reduction" if effects else "neutral"


def _finding(raised: bool, path: str, detail: str) -> Finding:
    return Finding(
        effect="escalation" if raised else "reduction",
        path=path,
        message=f"{path} {'raised' if raised else 'lowered'}: {detail}",
    )


def _ranked(order: Sequence[str]) -> Rule:
    def rule(path: str, before: JsonValue, after: JsonValue) -> list[Finding]:
        if before in order and after in order:
            rank_b, rank_a = order.index(str(before)), order.index(str(after))
            if rank_a == rank_b:
                return []
            return [_finding(rank_a > rank_b, path, f"{before} -> {after}")]
        return [Finding(effect="escalation", path=path, message=f"{path} changed")]

    return rule


def _flag(path: str, before: JsonValue, after: JsonValue) -> list[Finding]:
    if bool(after) == bool(before):
        return []
    state = "turned on" if after else "turned off"
    return [
        Finding(
            effect="escalation" if after else "reduction",
            path=path,
            message=f"{path} {state}",
        )
    ]


def _grown_set(path: str, before: JsonValue, after: JsonValue) -> list[Finding]:
    old = {str(v) for v in before} if isinstance(before, list) else set()
    new = {str(v) for v in after} if isinstance(after, list) else set()
    out = []
    if added := sorted(new - old):
        message = f"{path} added: {', '.join(added)}"
        out.append(Finding(effect="escalation", path=path, message=message))
    if removed := sorted(old - new):
        message = f"{path} removed: {', '.join(removed)}"
        out.append(Finding(effect="reduction", path=path, message=message))
    return out


def _default_group(path: str, before: JsonValue, after: JsonValue) -> list[Finding]:
    if after is None:
        return [Finding(effect="reduction", path=path, message=f"{path} cleared")]
    message = f"{path} changed to group {after}"
    return [Finding(effect="escalation", path=path, message=message)]


def _roles(path: str, before: JsonValue, after: JsonValue) -> list[Finding]:
    def keys(value: JsonValue) -> list[JsonValue]:
        if not isinstance(value, list):
            return []
        return [
            f"school {r.get('school')} group {r.get('group') or 'default'}"
            for r in value
            if isinstance(r, dict)
        ]

    return _grown_set(path, keys(before), keys(after))


def _networks(value: JsonValue) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    if not isinstance(value, list):
        raise ValueError("not a list")
    return [as_network(str(item)) for item in value]


def _covered(
    net: ipaddress.IPv4Network | ipaddress.IPv6Network,
    by: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> bool:
    """True when a network of ``by`` contains ``net`` (same IP version)."""
    for other in by:
        if isinstance(net, ipaddress.IPv4Network):
            if isinstance(other, ipaddress.IPv4Network) and net.subnet_of(other):
                return True
        elif isinstance(other, ipaddress.IPv6Network) and net.subnet_of(other):
            return True
    return False


def _allowed_ips(path: str, before: JsonValue, after: JsonValue) -> list[Finding]:
    """Any IP may sign in with an empty list, or one covering a whole address family.

    Opening the account to any address is the widest change; going from any
    address to any address (``[]`` to ``[0.0.0.0/0]``) changes nothing.
    """
    try:
        old, new = _networks(before), _networks(after)
    except ValueError:
        return [Finding(effect="escalation", path=path, message=f"{path} changed")]
    old_any = admits_any_address(str(n) for n in old)
    new_any = admits_any_address(str(n) for n in new)
    if new_any and old_any:
        return []
    if new_any:
        what = "emptied" if not new else "set to a range covering every address"
        message = f"{path} {what}: any IP address may sign in"
        return [Finding(effect="escalation", path=path, message=message)]
    if old_any:
        message = f"{path} restricted from any IP address"
        return [Finding(effect="reduction", path=path, message=message)]
    out = []
    if widened := [str(n) for n in new if not _covered(n, old)]:
        message = f"{path} widened: {', '.join(widened)}"
        out.append(Finding(effect="escalation", path=path, message=message))
    if narrowed := [str(n) for n in old if not _covered(n, new)]:
        message = f"{path} narrowed: {', '.join(narrowed)}"
        out.append(Finding(effect="reduction", path=path, message=message))
    return out


def _minutes(value: JsonValue) -> tuple[int, int]:
    if value == "any_time":
        return (0, 24 * 60)
    if isinstance(value, dict):
        start, end = str(value["start"]), str(value["end"])
        return (_hhmm(start), _hhmm(end))
    raise ValueError("not a sign-in window")


def _hhmm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _sign_in_window(path: str, before: JsonValue, after: JsonValue) -> list[Finding]:
    try:
        (b_start, b_end), (a_start, a_end) = _minutes(before), _minutes(after)
    except (ValueError, KeyError):
        return [Finding(effect="escalation", path=path, message=f"{path} changed")]
    if a_start >= b_start and a_end <= b_end:
        return [Finding(effect="reduction", path=path, message=f"{path} narrowed")]
    what = "set to any time" if after == "any_time" else "widened"
    return [Finding(effect="escalation", path=path, message=f"{path} {what}")]


GROUP_RULES: dict[Path, Rule] = {
    ("access_level",): _ranked(_ACCESS),
    ("can_modify_schedules",): _ranked(("no", "yes")),
    ("powerscheduler_access",): _flag,
    ("language_translator",): _flag,
    ("log_types",): _grown_set,
    ("incident_types",): _grown_set,
    **{
        ("health", area): _ranked(_HEALTH)
        for area in ("certification", "immunization", "office_visit", "screening")
    },
}

STAFF_RULES: dict[Path, Rule] = {
    ("status",): _ranked(("no_longer_here", "current")),
    ("teacher_access",): _flag,
    ("admin_access", "enabled"): _flag,
    ("admin_access", "default_group"): _default_group,
    ("admin_access", "roles"): _roles,
    ("admin_access", "allowed_ips"): _allowed_ips,
    ("admin_access", "sign_in_window"): _sign_in_window,
}


def object_findings(
    rules: Mapping[Path, Rule], before: Leaves, after: Leaves, paths: Sequence[Path]
) -> list[Finding]:
    """Apply ``rules`` to each changed path; paths without a rule are neutral."""
    out: list[Finding] = []
    for path in paths:
        rule = rules.get(path)
        if rule is not None:
            out.extend(rule(".".join(path), before.get(path), after.get(path)))
    return out


def toggle_findings(before: bool, after: bool) -> list[Finding]:
    """Page-permission toggle left on permanently: anyone with page access can edit."""
    return _flag("page_toggle", before, after)


def page_findings(
    before: Leaves,
    after: Leaves,
    paths: Sequence[Path],
    *,
    levels_before: Mapping[int, AccessLevel],
    levels_after: Mapping[int, AccessLevel],
) -> list[Finding]:
    """Page levels per group; ``group_default`` counts as the group's access level.

    Order: none < view_only < full. When a group's access level is unknown,
    ``group_default`` is treated as unknown: moving to ``none`` or away from
    ``full`` is a reduction (nothing ranks lower or higher), moving away from
    ``none`` or between unknowns is an escalation.
    """
    out: list[Finding] = []
    for path in paths:
        group = int(path[0])
        old = _page_rank(before.get(path), levels_before.get(group))
        new = _page_rank(after.get(path), levels_after.get(group))
        label = f"group {group}"
        what = f"{before.get(path)} -> {after.get(path)}"
        if old is not None and new is not None:
            if old != new:
                out.append(_finding(new > old, label, what))
        elif new == 0 or old == 0:
            out.append(_finding(old == 0, label, what))
        elif old == len(_PAGE) - 1:
            out.append(_finding(False, label, what))
        else:
            out.append(_finding(True, label, what))
    return out


def _page_rank(level: JsonValue, access: AccessLevel | None) -> int | None:
    if level == "group_default":
        if access is None:
            return None
        level = _PAGE_FROM_ACCESS[access]
    return _PAGE.index(str(level)) if level in _PAGE else None
