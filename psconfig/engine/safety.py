"""Safety guards checked before an apply writes anything.

Two kinds of refusal (``UnsafeChangeError``, exit 3):

- Removals need explicit intent: deleting or deactivating a staff member, or
  lowering any page level, is refused without ``--allow-delete``.
- psconfig never changes its own footing, flag or no flag: the staff member whose
  admin username is the signed-in username, and the groups that account depends on
  (its default group and its role groups), including their page permissions. An
  apply that would touch a group while the signed-in account cannot be found is
  refused too: psconfig cannot prove the change is safe.
"""

from __future__ import annotations

from psconfig.engine.plan import Change, Plan
from psconfig.errors import UnsafeChangeError
from psconfig.model import DeactivateStaff, DeleteStaff, Staff, State


def removals(plan: Plan) -> list[str]:
    """What in ``plan`` needs ``--allow-delete``, one phrase per change."""
    out = []
    for change in plan.changes:
        if isinstance(change.op, DeleteStaff | DeactivateStaff):
            out.append(f"{change.address} would be {_removal_word(change)}")
        elif change.kind == "page_permissions":
            lowered = [f.path for f in change.findings if f.effect == "reduction"]
            if lowered:
                out.append(f"{change.address} lowers {', '.join(lowered)}")
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


def check(
    plan: Plan,
    *,
    allow_delete: bool,
    username: str,
    account: Staff | None,
    looked_up: bool,
) -> None:
    """Raise ``UnsafeChangeError`` naming every refused change; else return."""
    own = own_account_problems(
        plan, username=username, account=account, looked_up=looked_up
    )
    if own:
        raise UnsafeChangeError(
            "refusing to change psconfig's own access: " + "; ".join(own)
        )
    needing = removals(plan)
    if needing and not allow_delete:
        raise UnsafeChangeError(
            "refusing to remove access without --allow-delete: " + "; ".join(needing)
        )


def plan_notes(plan: Plan, *, username: str) -> list[str]:
    """What a plan reviewer should know before apply: the same checks, no lookup."""
    notes = [
        f"apply will refuse: {problem}"
        for problem in own_account_problems(
            plan, username=username, account=None, looked_up=False
        )
    ]
    needing = removals(plan)
    if needing:
        notes.append("apply needs --allow-delete: " + "; ".join(needing))
    return notes
