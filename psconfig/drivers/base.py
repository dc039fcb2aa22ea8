"""The Driver protocol: the only thing the engine knows about PowerSchool.

A driver is an async context manager bound to one server and one signed-in account.
``read`` returns a normalized ``State`` for a ``Scope``; ``apply`` performs one ``Op``
and confirms it by reading back, raising ``WriteNotAppliedError`` when it did not
stick. Drivers raise only ``psconfig.errors.DriverError`` subclasses.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from psconfig.model import Op, Scope, ServerInfo, State


class Driver(Protocol):
    """One signed-in session against one PowerSchool."""

    @property
    def info(self) -> ServerInfo:
        """Server URL, PowerSchool version, flavor and the signed-in username."""
        ...

    async def read(self, scope: Scope) -> State:
        """Read the live state of everything in ``scope``."""
        ...

    async def apply(self, op: Op) -> None:
        """Perform one operation and verify it read back as intended."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
