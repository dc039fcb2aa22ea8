"""Safety guards checked before an apply writes anything.

Three kinds of refusal (``UnsafeChangeError``, exit 3):

- Taking access away needs explicit intent, one per kind: lowering a group's
  page level (an override someone granted by hand, reset to the spec's level) is
  refused without ``--allow-lower-access``; deleting or deactivating a staff
  member without ``--allow-remove-staff``.
- Adding groups needs explicit intent: creating group N makes PowerSchool add
  every group up to N, and groups cannot be deleted, so a create that adds more
  than one group (or an unknown number) is refused without ``--allow-add-groups``.
- psconfig never changes its own footing, flag or no flag: the staff member whose
  admin username is the signed-in username, and the groups that account depends on
  (its default group and its role groups), including their page permissions. An
  apply that would touch a group while the signed-in account cannot be found is
  refused too: psconfig cannot prove the change is safe.
"""

from __future__ import annotations

from dataclasses import dataclass

from psconfig.engine.planning.groups import added_groups
from psconfig.engine.planning.plan import Change, Plan
from psconfig.errors import UnsafeChangeError
from psconfig.model import DeactivateStaff, DeleteStaff, EnsureGroup, Staff, State

LOWER_ACCESS = "--allow-lower-access"
REMOVE_STAFF = "--allow-remove-staff"
ADD_GROUPS = "--allow-add-groups"


@dataclass(frozen=True)
class Intents:
    """What the operator allowed an apply to do beyond granting what the spec says.

    ``lower_access``: lower a group's page level back to the spec.
    ``remove_staff``: delete or deactivate staff (``ensure: absent``).
    ``add_groups``: create a group whose number makes PowerSchool add several.
    """

    lower_access: bool = False
    remove_staff: bool = False
    add_groups: bool = False

    def flags(self) -> list[str]:
        """The granted intents as their flags, for the audit record."""
        granted = (
            (self.lower_access, LOWER_ACCESS),
            (self.remove_staff, REMOVE_STAFF),
            (self.add_groups, ADD_GROUPS),
        )
        return [flag for allowed, flag in granted if allowed]


NO_INTENTS = Intents()
"""Nothing beyond what the spec grants (the default)."""


def lowerings(plan: Plan) -> list[str]:
    """What in ``plan`` needs ``--allow-lower-access``, one phrase per change."""
    out = []
    for change in plan.changes:
        if change.kind == "page_permissions":
            lowered = [f.path for f in change.findings if f.effect == "reduction"]
            if lowered:
                out.append(f"{change.address} lowers {', '.join(lowered)}")
    return out


def staff_removals(plan: Plan) -> list[str]:
    """What in ``plan`` needs ``--allow-remove-staff``, one phrase per change."""
    return [
        f"{change.address} would be {_removal_word(change)}"
        for change in plan.changes
        if isinstance(change.op, DeleteStaff | DeactivateStaff)
    ]


def group_additions(plan: Plan, group_count: int | None) -> list[str]:
    """The group creates in ``plan`` that add more than one group, one phrase each.

    ``group_count`` is how many groups PowerSchool has (None: unknown, in which
    case every create is listed: psconfig cannot tell how many it adds).
    """
    creates = {
        c.address: c.op.after.number
        for c in plan.changes
        if isinstance(c.op, EnsureGroup) and c.op.before is None
    }
    added = added_groups(creates.values(), group_count)
    out = []
    for address, number in creates.items():
        count = added[number]
        if count is None:
            out.append(
                f"{address}: the number of groups PowerSchool has is unknown, so "
                "psconfig cannot tell how many groups creating it adds"
            )
        elif count > 1:
            first = number - count + 1
            out.append(f"{address} adds {count} groups, {first} to {number}")
    return out


def _removal_word(change: Change) -> str:
    return "deactivated" if change.detail == "deactivate" else "deleted"


def needs_account_lookup(plan: Plan) -> bool:
    """True when the plan touches groups, so the signed-in account must be known."""
    return any(c.kind in ("group", "page_permissions") for c in plan.changes)


def signed_in_staff(live: State, username: str) -> Staff | None:
    """The admin-enabled staff member who signs in as ``username``, if read."""
    wanted = username.casefold()
    for staff in live.staff.values():
        access = staff.admin_access
        if access.enabled and access.username.casefold() == wanted:
            return staff
    return None


def own_account_problems(
    plan: Plan, *, username: str, account: Staff | None, looked_up: bool
) -> list[str]:
    """Changes that touch the signed-in account or a group it depends on."""
    out = [
        f"{c.address} is the account psconfig is signed in as ({username})"
        for c in plan.changes
        if c.kind == "staff" and _is_account(c, username, account)
    ]
    if looked_up and account is None:
        if needs_account_lookup(plan):
            out.append(
                f"the signed-in account {username!r} was not found among admin staff, "
                "so psconfig cannot prove the group changes leave it alone"
            )
        return out
    groups = _depends_on(account) if account is not None else set()
    for change in plan.changes:
        touched = _groups_touched(change) & groups
        if touched:
            numbers = ", ".join(str(n) for n in sorted(touched))
            out.append(
                f"{change.address} changes group {numbers}, which the signed-in "
                f"account {username!r} depends on"
            )
    return out


def _is_account(change: Change, username: str, account: Staff | None) -> bool:
    if account is not None and change.key == account.id:
        return True
    sides = (getattr(change.op, "before", None), getattr(change.op, "after", None))
    names = {
        side.admin_access.username.casefold()
        for side in sides
        if isinstance(side, Staff) and side.admin_access.username
    }
    return username.casefold() in names


def _depends_on(account: Staff) -> set[int]:
    access = account.admin_access
    groups = {access.default_group} if access.default_group is not None else set()
    groups |= {role.group for role in access.roles if role.group is not None}
    return groups


def _groups_touched(change: Change) -> set[int]:
    if change.kind == "group":
        return {int(change.key)}
    if change.kind == "page_permissions":
        return {int(path[0]) for path in change.changed_paths}
    return set()


_GROUPS_CANNOT_BE_DELETED = "PowerSchool cannot delete a group"


def check(
    plan: Plan,
    *,
    intents: Intents,
    username: str,
    account: Staff | None,
    looked_up: bool,
    group_count: int | None = None,
) -> None:
    """Raise ``UnsafeChangeError`` naming every refused change; else return.

    Every intent the plan needs but ``intents`` lacks is named in the one message,
    so one refusal tells the operator (or a workflow reading it) all they must
    allow. ``account`` is the signed-in staff member when ``looked_up`` (see
    ``signed_in_staff``); ``group_count`` how many groups PowerSchool has.
    """
    own = own_account_problems(
        plan, username=username, account=account, looked_up=looked_up
    )
    if own:
        raise UnsafeChangeError(
            "refusing to change psconfig's own access: " + "; ".join(own)
        )
    refused = [
        f"refusing to {what} without {flag}{why}: " + "; ".join(needing)
        for what, flag, why, needing in _needs(plan, group_count, intents)
    ]
    if refused:
        raise UnsafeChangeError(" | ".join(refused))


def _needs(
    plan: Plan, group_count: int | None, intents: Intents | None
) -> list[tuple[str, str, str, list[str]]]:
    """(what, flag, why, changes) for each intent the plan needs and lacks."""
    granted = intents or Intents()
    why = f" ({_GROUPS_CANNOT_BE_DELETED})"
    candidates = (
        ("lower access", LOWER_ACCESS, "", granted.lower_access, lowerings(plan)),
        ("remove staff", REMOVE_STAFF, "", granted.remove_staff, staff_removals(plan)),
        (
            "add more than one group",
            ADD_GROUPS,
            why,
            granted.add_groups,
            group_additions(plan, group_count),
        ),
    )
    return [
        (what, flag, reason, needing)
        for what, flag, reason, allowed, needing in candidates
        if needing and not allowed
    ]


def plan_notes(
    plan: Plan,
    *,
    username: str,
    account: Staff | None = None,
    looked_up: bool = False,
    group_count: int | None = None,
) -> list[str]:
    """What a plan reviewer should know before apply: the checks ``check`` makes.

    Given the lookup apply makes (``account``, ``looked_up``), the notes name every
    change apply will refuse to make to psconfig's own account or its groups.
    """
    notes = [
        f"apply will refuse: {problem}"
        for problem in own_account_problems(
            plan, username=username, account=account, looked_up=looked_up
        )
    ]
    notes.extend(
        f"apply needs {flag}{why}: " + "; ".join(needing)
        for _what, flag, why, needing in _needs(plan, group_count, None)
    )
    return notes
