"""What ``psconfig import`` keeps of a live read: the integration's settings only.

A live PowerSchool has many groups; a spec should manage only those that carry an
integration's access, never PowerSchool's stock ones (the form map's
``builtin_groups``). A group is kept when it is not built in and it is the default
group or a role group of a staff member with admin sign-in, or it has a page
permission override on a managed page. Staff (those with admin sign-in), the
toggle and the page permissions of the managed pages are kept as read.
"""

from __future__ import annotations

from collections.abc import Iterable

from psconfig.model import Scope, State


def import_scope(pages: Iterable[str]) -> Scope:
    """Everything ``import`` reads: all groups, the managed pages, admin staff."""
    return Scope(groups=None, pages=frozenset(pages), staff_ids=None)


def integration_state(state: State, builtin_groups: frozenset[int]) -> State:
    """``state`` without the groups that carry no integration setting."""
    used: set[int] = set()
    for staff in state.staff.values():
        access = staff.admin_access
        if not access.enabled:
            continue
        if access.default_group is not None:
            used.add(access.default_group)
        used |= {role.group for role in access.roles if role.group is not None}
    for levels in state.page_permissions.values():
        used |= set(levels)
    keep = {n: g for n, g in state.groups.items() if n in used - builtin_groups}
    return state.model_copy(update={"groups": keep})
