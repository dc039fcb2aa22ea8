"""Planning security groups: one change per group the spec declares, by number.

A group PowerSchool does not have is created from what Add Groups makes ("Group N",
View Only, everything off); creating group N when PowerSchool has fewer groups adds
every group up to N (Add Groups appends and groups cannot be deleted), and given the
live ``group_count`` the change's detail says how many. A group it has is updated in
the managed fields that differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from psconfig.engine.planning.objects import (
    GROUPS,
    DeclaredObject,
    Planned,
    created,
    merge,
    updated,
)
from psconfig.engine.planning.plan import Change, Mode
from psconfig.engine.planning.severity import GROUP_RULES
from psconfig.model import Desired, EnsureGroup, Group, Op, State


def group_changes(
    desired: Desired, live: State, mode: Mode, group_count: int | None
) -> Iterator[Planned]:
    """The create or update of each declared group, in the ``GROUPS`` phase."""
    missing = [n for n in desired.groups if n not in live.groups]
    added = added_groups(missing, group_count)
    for number, want in sorted(desired.groups.items()):
        obj = DeclaredObject("group", str(number), f"group.{number}", GROUP_RULES)
        have = live.groups.get(number)
        if have is None:
            # PowerSchool's Add Groups creates "Group N", View Only, everything off.
            base = Group(number=number, name=f"Group {number}")
            after = merge(base, want)
            op = EnsureGroup(before=None, after=after)
            detail = _adds(number, added[number]) if mode == "plan" else ""
            change: Change | None = created(obj, base, after, op, mode, detail=detail)
        else:
            change = updated(obj, have, want, _ensure_group, mode)
        if change is not None:
            yield Planned(GROUPS, (number, ""), change)


def added_groups(numbers: Iterable[int], count: int | None) -> dict[int, int | None]:
    """How many groups PowerSchool adds to create each of ``numbers``, in order.

    Groups are numbered 1 to ``count`` without gaps and Add Groups appends, so
    creating group N adds N - count groups (every number in between too); a later
    creation counts from the highest group created before it. None when ``count``
    (the live number of groups) is unknown.
    """
    out: dict[int, int | None] = {}
    highest = count
    for number in sorted(numbers):
        if highest is None:
            out[number] = None
            continue
        out[number] = max(number - highest, 0)
        highest = max(highest, number)
    return out


def _adds(number: int, count: int | None) -> str:
    """The detail of a group create: how many groups PowerSchool adds."""
    if count is None:
        return ""
    if count <= 1:
        return f"adds group {number}"
    return f"adds {count} groups, {number - count + 1} to {number}"


def _ensure_group(before: Group, after: Group) -> Op:
    return EnsureGroup(before=before, after=after)
