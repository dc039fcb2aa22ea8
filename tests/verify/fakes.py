"""A fake ``Portal`` over the engine tests' in-memory ``FakeDriver`` (fakes, no mocks).

The admin session is the ``FakeDriver`` itself. A sign-in checks the password
against what the fake PowerSchool holds for the account with that username, the way
the real portal does, and yields a ``FakeSync`` prober whose answers a test sets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Literal

from pydantic import SecretStr

from psconfig.engine.proving.access import Portal, Prober, SignIn
from psconfig.errors import DriverError, LoginError
from psconfig.model import AdminAccess, Op, Role, Staff
from tests.engine.fakes import FakeDriver, fresh_state
from tests.verify.helpers import OLD

SYNC = Staff(
    id="99999",
    last_name="Sync",
    first_name="Clever",
    admin_access=AdminAccess(
        enabled=True,
        username="cleversync",
        default_group=12,
        roles=(Role(school=0),),
    ),
)


class FakeSync:
    """What the sync account sees: ``statuses`` per path (default 403)."""

    def __init__(self, statuses: dict[str, int], export: str | DriverError) -> None:
        self.statuses, self.export = statuses, export
        self.probed: list[tuple[str, str]] = []

    async def probe(
        self,
        path: str,
        method: Literal["GET", "POST"] = "GET",
        data: dict[str, str] | None = None,
    ) -> int:
        self.probed.append((method, path))
        return self.statuses.get(path, 403)

    async def export_dde(
        self, table: str = "students", fields: Sequence[str] | None = None
    ) -> str:
        if isinstance(self.export, DriverError):
            raise self.export
        return self.export


class FakePortal:
    """Admin sessions on ``driver``; sign-ins checked against its passwords.

    ``refuse`` may refuse a sign-in first (an address, say); ``any_password``
    makes the fake accept every password (a server that ignored the change);
    ``broken`` makes every sign-in fail with that error.
    """

    def __init__(
        self,
        driver: FakeDriver,
        *,
        simulated: bool = True,
        statuses: dict[str, int] | None = None,
        export: str | DriverError = "Student_Number\n1\n",
        refuse: Callable[[SignIn], str | None] | None = None,
        broken: DriverError | None = None,
        any_password: bool = False,
    ) -> None:
        self.driver, self.simulated = driver, simulated
        self.sync = FakeSync(statuses or {}, export)
        self.refuse, self.broken = refuse, broken
        self.any_password = any_password
        self.sign_ins: list[SignIn] = []

    def portal(self) -> Portal:
        return Portal(
            admin=lambda: self.driver, sign_in=self.sign_in, simulated=self.simulated
        )

    @asynccontextmanager
    async def sign_in(self, who: SignIn) -> AsyncIterator[Prober]:
        self.sign_ins.append(who)
        if self.broken is not None:
            raise self.broken
        reason = self.refuse(who) if self.refuse is not None else None
        if reason is None and not (self.any_password or self._password_ok(who)):
            reason = "Invalid Username or Password!"
        if reason is not None:
            raise LoginError(f"sign-in as {who.username!r} refused: {reason}")
        yield self.sync

    def _password_ok(self, who: SignIn) -> bool:
        for sid, staff in self.driver.state.staff.items():
            access = staff.admin_access
            if access.enabled and access.username == who.username:
                held = self.driver.passwords.get(sid)
                return held is not None and held == who.password
        return False


def sync_driver(
    *, fail: Callable[[Op], DriverError | None] | None = None, staff: Staff = SYNC
) -> FakeDriver:
    """A fake PowerSchool with the Clever setup applied and the old password set."""
    state = fresh_state()
    state = state.model_copy(update={"staff": {**state.staff, staff.id: staff}})
    driver = FakeDriver(state, fail=fail)
    driver.passwords[staff.id] = SecretStr(OLD)
    return driver
