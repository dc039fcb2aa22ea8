"""``ApiDriver``: the ``Driver`` protocol over the plugin API, staff only, read only.

It reads what USERS and SCHOOLSTAFF show of each staff member (``fields``) and
nothing else: no security group, no page permission, no toggle, no roles. A read
that asks for groups or pages is refused (the engine's API drift never asks), and
so is every write. ``VISIBLE`` lists the ``Staff`` fields a read fills from real
columns; the engine compares only those (``psconfig.engine.sources.api_drift``).
"""

from __future__ import annotations

import re
from pathlib import Path
from types import TracebackType
from typing import Self

from pydantic import SecretStr, ValidationError

from psconfig.drivers.api.client import ApiClient, Row
from psconfig.drivers.api.fields import (
    SCHOOLSTAFF,
    SCHOOLSTAFF_FIELDS,
    USERS,
    USERS_FIELDS,
)
from psconfig.drivers.portal.http.session import AsgiApp, Http
from psconfig.errors import DriverError, RefusedError, ServerError
from psconfig.model import (
    AdminAccess,
    Affiliation,
    Flavor,
    Op,
    Scope,
    ServerInfo,
    SignInWindow,
    Staff,
    StaffType,
    State,
    TimeWindow,
)

USERNAME = "(plugin API)"
"""What plans show as the signed-in user: the plugin's client, not a person."""
STAFF_TYPES: tuple[StaffType, ...] = (
    "not_assigned",
    "teacher",
    "staff",
    "lunch_staff",
    "substitute",
)
"""SCHOOLSTAFF.StaffStatus 0-4."""
_IP_SPLIT = re.compile(r"[;,\s]+")

STAFF_FIELDS = frozenset(
    {
        "id",
        "last_name",
        "first_name",
        "middle_name",
        "email",
        "title",
        "school",
        "staff_type",
        "status",
        "affiliations",
        "admin_access",
        "teacher_access",
    }
)
"""The ``Staff`` fields a read fills from real columns (not ``preferred_name``)."""
ACCESS_FIELDS = frozenset(
    {
        "enabled",
        "username",
        "ldap_enabled",
        "default_group",
        "sign_in_window",
        "allowed_ips",
    }
)
"""The ``AdminAccess`` fields it fills (not ``roles``: no table a plugin may read)."""
NOT_CHECKED = (
    "security group settings",
    "page permissions",
    "the page-permission toggle",
    "staff roles (Admin Access and Roles)",
    "staff preferred names",
)
"""What a plugin-API read cannot see, said in every drift report it makes."""


class ApiDriver:
    """A read-only plugin-API session with one PowerSchool (see module doc)."""

    def __init__(self, http: Http, client: ApiClient, *, flavor: Flavor | None) -> None:
        self._http = http
        self._client = client
        self._flavor = flavor
        self._info: ServerInfo | None = None
        self._page_size = 0

    staff_fields = STAFF_FIELDS
    access_fields = ACCESS_FIELDS
    not_checked = NOT_CHECKED

    @property
    def request_count(self) -> int:
        """Requests sent so far (the token's included)."""
        return self._http.request_count

    async def __aenter__(self) -> Self:
        try:
            version, self._page_size = await self._client.page_size()
        except BaseException:
            await self._http.aclose()
            raise
        self._info = ServerInfo(
            url=self._http.url,
            version=version,
            flavor=self._flavor or _flavor_of(version),
            username=USERNAME,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._http.aclose()

    @property
    def info(self) -> ServerInfo:
        """The server, its version, and ``(plugin API)`` as the user."""
        if self._info is None:
            raise DriverError("the plugin API driver is not open")
        return self._info

    async def read(self, scope: Scope) -> State:
        """The staff in ``scope``; refused for groups and pages (not readable here)."""
        if scope.pages or scope.groups is None or scope.groups:
            raise DriverError(
                "the plugin API cannot read security groups or page permissions"
            )
        if scope.staff_ids is None:
            users = await self._users({"psaccess": "1"})
        else:
            users = []
            for staff_id in sorted(scope.staff_ids):
                users += await self._users({"teachernumber": staff_id})
        staff = [await self._staff(row) for row in users]
        return State(staff={s.id: s for s in staff})

    async def apply(self, op: Op) -> None:
        """Refused: the plugin API is read-only."""
        raise RefusedError("the plugin API is read-only: apply signs in to the portal")

    async def _users(self, query: dict[str, str]) -> list[Row]:
        return await self._client.rows(USERS, query, USERS_FIELDS, self._page_size)

    async def _staff(self, user: Row) -> Staff:
        schools = await self._client.rows(
            SCHOOLSTAFF,
            {"users_dcid": user.get("dcid", "")},
            SCHOOLSTAFF_FIELDS,
            self._page_size,
        )
        try:
            return staff_from_rows(user, schools)
        except (ValidationError, ValueError, IndexError) as exc:
            raise ServerError(
                f"/ws/schema/table/{USERS}: staff "
                f"{user.get('teachernumber', '?')!r} has a value psconfig cannot "
                f"read ({type(exc).__name__})"
            ) from None


def staff_from_rows(user: Row, schools: list[Row]) -> Staff:
    """A ``Staff`` from its USERS row and SCHOOLSTAFF rows (``VISIBLE`` fields)."""
    home = int(user["homeschoolid"] or 0)
    rows = sorted(schools, key=lambda r: int(r["schoolid"]))
    home_row = next((r for r in rows if int(r["schoolid"]) == home), None)
    affiliations = tuple(
        Affiliation(
            school=int(r["schoolid"]),
            home=int(r["schoolid"]) == home,
            active=r["status"] == "1",
            staff_type=STAFF_TYPES[int(r["staffstatus"])],
        )
        for r in rows
    )
    return Staff(
        id=user["teachernumber"],
        last_name=user["last_name"],
        first_name=user["first_name"],
        middle_name=user["middle_name"],
        email=user["email_addr"],
        title=user["title"],
        school=home,
        staff_type=STAFF_TYPES[int(home_row["staffstatus"])] if home_row else "staff",
        status="no_longer_here"
        if home_row and home_row["status"] == "2"
        else "current",
        affiliations=affiliations,
        admin_access=AdminAccess(
            enabled=user["psaccess"] == "1",
            username=user["loginid"],
            ldap_enabled=user["adminldapenabled"] == "1",
            default_group=int(user["groupvalue"]) if user["groupvalue"] else None,
            sign_in_window=_window(user["allowloginstart"], user["allowloginend"]),
            allowed_ips=tuple(
                ip for ip in _IP_SPLIT.split(user["ipaddrrestrict"]) if ip
            ),
        ),
        teacher_access=user["ptaccess"] == "1",
    )


def _window(start: str, end: str) -> SignInWindow:
    if not start and not end:
        return "any_time"
    return TimeWindow(start=start, end=end)


def _flavor_of(version: str) -> Flavor:
    """Modern labels from PowerSchool 24 on (the research notes' boundary)."""
    major = version.split(".", 1)[0]
    return "modern" if major.isdigit() and int(major) >= 24 else "legacy"


def open_api(
    url: str,
    client_id: SecretStr,
    client_secret: SecretStr,
    *,
    flavor: Flavor | None = None,
    insecure: bool = False,
    sim_dir: Path | None = None,
    app: AsgiApp | None = None,
) -> ApiDriver:
    """A plugin-API driver for ``url``; it fetches a token on ``async with``.

    ``url`` as for the portal (``https://``, loopback ``http://``, ``sim://NAME``).
    No I/O happens until the driver is entered.
    """
    http = Http(url, insecure=insecure, sim_dir=sim_dir, app=app)
    return ApiDriver(http, ApiClient(http, client_id, client_secret), flavor=flavor)
