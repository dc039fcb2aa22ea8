"""A hand-written, stateful in-memory Driver for engine tests (fakes over mocks).

``FakeDriver`` keeps a ``State`` and applies every ``Op`` to it the way PowerSchool
would: page permissions can only be edited while the toggle is on, a staff member with
history cannot be deleted, groups are added up to a number. It counts reads and
writes so tests can assert "a second apply makes zero writes", and it can be told to
fail a given op to exercise partial applies.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from pydantic import SecretStr

from psconfig.errors import DriverError, ServerRefusedError
from psconfig.model import (
    AdminAccess,
    CreateStaff,
    DeactivateStaff,
    DeleteStaff,
    EnsureGroup,
    Group,
    Op,
    Role,
    Scope,
    ServerInfo,
    SetPagePermissions,
    SetPageToggle,
    SetStaffPassword,
    Staff,
    State,
    UpdateStaff,
)

ADMIN = Staff(
    id="1",
    last_name="Admin",
    first_name="District",
    admin_access=AdminAccess(
        enabled=True,
        username="admin",
        default_group=9,
        roles=(Role(school=0),),
    ),
)

BUILTIN_GROUPS: tuple[tuple[int, str, str], ...] = (
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


def fresh_state() -> State:
    """PowerSchool as the Clever guide finds it: groups 1-13, the admin, toggle off."""
    groups = {
        n: Group.model_validate({"number": n, "name": name, "access_level": level})
        for n, name, level in BUILTIN_GROUPS
    }
    return State(
        groups=groups,
        staff={ADMIN.id: ADMIN},
        schools={0: "District Office", 100: "Springfield High"},
    )


INFO = ServerInfo(
    url="sim://fake", version="25.3.0.1", flavor="modern", username="admin"
)


class FakeDriver:
    """An in-memory PowerSchool implementing ``psconfig.drivers.base.Driver``."""

    def __init__(
        self,
        state: State | None = None,
        *,
        info: ServerInfo = INFO,
        fail: Callable[[Op], DriverError | None] | None = None,
        undeletable: frozenset[str] = frozenset(),
        toggle_for_read: bool = True,
    ) -> None:
        self.state = state if state is not None else fresh_state()
        self._info = info
        self._fail = fail
        self.undeletable = undeletable
        self.toggle_for_read = toggle_for_read
        self.writes: list[Op] = []  # every op sent, refused ones included
        self.reads: list[Scope] = []
        self.passwords: dict[str, SecretStr] = {}
        self.notes: list[str] = []
        self.entered = 0

    @property
    def info(self) -> ServerInfo:
        return self._info

    async def __aenter__(self) -> Self:
        self.entered += 1
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def read(self, scope: Scope) -> State:
        self.reads.append(scope)
        s = self.state
        if scope.pages and not s.page_toggle:
            if not self.toggle_for_read:
                raise DriverError("page permissions cannot be read: toggle is off")
            self.notes.append("turned the toggle on briefly to read page permissions")
        return s.within(scope)

    async def apply(self, op: Op) -> None:
        if self._fail is not None and (error := self._fail(op)) is not None:
            raise error
        self.writes.append(op)
        self.state = _APPLY[type(op)](self, op)


def _ensure_group(drv: FakeDriver, op: Op) -> State:
    assert isinstance(op, EnsureGroup)
    groups = dict(drv.state.groups)
    for n in range(max(groups, default=0) + 1, op.after.number):
        groups[n] = Group(number=n, name=f"Group {n}")
    groups[op.after.number] = op.after
    return drv.state.model_copy(update={"groups": groups})


def _set_toggle(drv: FakeDriver, op: Op) -> State:
    assert isinstance(op, SetPageToggle)
    return drv.state.model_copy(update={"page_toggle": op.on})


def _set_pages(drv: FakeDriver, op: Op) -> State:
    assert isinstance(op, SetPagePermissions)
    if not drv.state.page_toggle:
        raise DriverError(f"{op.page}: page permissions are not enabled (toggle off)")
    pages = {p: dict(v) for p, v in drv.state.page_permissions.items()}
    levels = pages.setdefault(op.page, {})
    for group, level in op.after.items():
        if level == "group_default":
            levels.pop(group, None)
        else:
            levels[group] = level
    return drv.state.model_copy(update={"page_permissions": pages})


def _create_staff(drv: FakeDriver, op: Op) -> State:
    assert isinstance(op, CreateStaff)
    if op.after.id in drv.state.staff:
        raise ServerRefusedError(f"staff ID {op.after.id} is already in use")
    if op.password is not None:
        drv.passwords[op.after.id] = op.password
    return _put_staff(drv, op.after)


def _update_staff(drv: FakeDriver, op: Op) -> State:
    assert isinstance(op, UpdateStaff)
    return _put_staff(drv, op.after)


def _set_password(drv: FakeDriver, op: Op) -> State:
    assert isinstance(op, SetStaffPassword)
    drv.passwords[op.staff_id] = op.password
    return drv.state


def _delete_staff(drv: FakeDriver, op: Op) -> State:
    assert isinstance(op, DeleteStaff)
    if op.before.id in drv.undeletable:
        raise ServerRefusedError(
            "This staff member cannot be deleted because related records exist."
        )
    staff = {i: s for i, s in drv.state.staff.items() if i != op.before.id}
    return drv.state.model_copy(update={"staff": staff})


def _deactivate_staff(drv: FakeDriver, op: Op) -> State:
    assert isinstance(op, DeactivateStaff)
    have = drv.state.staff[op.before.id]
    access = have.admin_access.model_copy(update={"enabled": False, "roles": ()})
    return _put_staff(
        drv,
        have.model_copy(update={"status": "no_longer_here", "admin_access": access}),
    )


def _put_staff(drv: FakeDriver, staff: Staff) -> State:
    merged = {**drv.state.staff, staff.id: staff}
    return drv.state.model_copy(update={"staff": merged})


_APPLY: dict[type[object], Callable[[FakeDriver, Op], State]] = {
    EnsureGroup: _ensure_group,
    SetPageToggle: _set_toggle,
    SetPagePermissions: _set_pages,
    CreateStaff: _create_staff,
    UpdateStaff: _update_staff,
    SetStaffPassword: _set_password,
    DeleteStaff: _delete_staff,
    DeactivateStaff: _deactivate_staff,
}
