"""Reaching PowerSchool as the sync account: sessions, the account, its addresses.

Shared by ``verify`` and ``rotate``. A ``Portal`` opens two kinds of session: an
administrator's (the spec's server credentials, a ``Driver``) and one signed in as
any account (a ``Prober``). ``choose_sync_staff`` picks the account from the spec,
``read_staff`` reads it through an admin session, ``attempt_sign_in`` tries its
credentials exactly once.

Sign-in attempts are few on purpose: PowerSchool counts failures and disables the
client address after a handful, so nothing here retries.

On ``sim://`` targets (``Portal.simulated``) the client address is only a label the
in-process transport hands the simulator: ``inside_address`` gives one the allowed
IPs admit, ``outside_address`` one from TEST-NET-3 (203.0.113.0/24) they do not.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from pydantic import SecretStr

from psconfig.drivers.base import Driver
from psconfig.errors import LoginError, PsconfigError
from psconfig.model import DDE_PAGES, Desired, Scope, ServerInfo, Staff

OUTSIDE_NETWORK = ipaddress.ip_network("203.0.113.0/24")
"""TEST-NET-3 (RFC 5737): documentation addresses, never routed."""

Ensure = Literal["present", "absent"]


class Prober(Protocol):
    """A session signed in as the account under test (``PortalDriver``)."""

    async def probe(
        self,
        path: str,
        method: Literal["GET", "POST"] = "GET",
        data: dict[str, str] | None = None,
    ) -> int: ...

    async def export_dde(
        self, table: str = "students", fields: Sequence[str] | None = None
    ) -> str: ...


@dataclass(frozen=True)
class SignIn:
    """Credentials for one sign-in; ``client_ip`` None is the default address."""

    username: str
    password: SecretStr
    client_ip: str | None = None


@dataclass(frozen=True)
class Portal:
    """How the engine reaches PowerSchool.

    ``admin`` opens a session with the spec's server credentials; ``sign_in`` one
    as any account (it signs in on entry and raises ``LoginError`` when refused).
    ``simulated`` says the client address is a label the engine may choose
    (``sim://``), so allowed-IP refusals can be proven.
    """

    admin: Callable[[], AbstractAsyncContextManager[Driver]]
    sign_in: Callable[[SignIn], AbstractAsyncContextManager[Prober]]
    simulated: bool = False


# ---------------------------------------------------------------------------
# Which account


def _export_groups(desired: Desired) -> set[int]:
    """Groups the spec sets to full on a DDE page: what a sync account exports with."""
    return {
        group
        for page in DDE_PAGES
        for group, level in desired.page_permissions.get(page, {}).items()
        if level == "full"
    }


def choose_sync_staff(desired: Desired, staff_id: str | None) -> tuple[str, Ensure]:
    """The sync staff member: ``staff_id``, else the one the spec enables or removes.

    The sync account is the staff member with ``admin_access.enabled: true`` whose
    default group the spec sets to full on a DDE page (the rule the policy checks
    use, so a spec may also manage other admin accounts); failing that, the one
    staff member with admin sign-in enabled; failing that, the one with
    ``ensure: absent``.

    Raises:
        PsconfigError: ``staff_id`` is not in the spec or cannot sign in by it, or
            the choice is missing or ambiguous.

    """
    enabled = sorted(s for s, v in desired.staff.items() if v.admin_access.enabled)
    if staff_id is not None:
        return _named_staff(desired, enabled, staff_id)
    exports = _export_groups(desired)
    exporting = [
        s for s in enabled if desired.staff[s].admin_access.default_group in exports
    ]
    candidates: tuple[tuple[list[str], Ensure], ...] = (
        (exporting, "present"),
        (enabled, "present"),
        (sorted(desired.absent_staff), "absent"),
    )
    for found, ensure in candidates:
        if len(found) == 1:
            return found[0], ensure
        if len(found) > 1:
            raise PsconfigError(
                f"the spec has several candidate sync accounts ({', '.join(found)}); "
                "choose one with --staff-id"
            )
    raise PsconfigError(
        "the spec has no sync account: no staff member with admin_access.enabled: "
        "true and none with ensure: absent"
    )


def _named_staff(
    desired: Desired, enabled: list[str], staff_id: str
) -> tuple[str, Ensure]:
    if staff_id in desired.absent_staff:
        return staff_id, "absent"
    if staff_id in enabled:
        return staff_id, "present"
    why = "does not enable admin sign-in" if staff_id in desired.staff else "is not"
    raise PsconfigError(f"staff {staff_id!r} {why} in the spec")


def staff_scope(staff_id: str) -> Scope:
    """A read scope holding the one staff member and nothing else."""
    return Scope(groups=frozenset(), pages=frozenset(), staff_ids=frozenset({staff_id}))


@runtime_checkable
class StaffRecords(Protocol):
    """An admin session that can name a staff member's record (``PortalDriver``)."""

    async def staff_record(self, staff_id: str) -> str | None: ...


@dataclass(frozen=True)
class LiveAccount:
    """What an admin session read: the server, the staff member and its record.

    ``frn`` is None when the member is missing or the driver cannot name records;
    the probes of the account's own pages are then not run.
    """

    info: ServerInfo
    staff: Staff | None
    frn: str | None


async def read_staff(portal: Portal, staff_id: str) -> LiveAccount:
    """Through an admin session: the server's identity, the staff member, its record."""
    async with portal.admin() as admin:
        live = await admin.read(staff_scope(staff_id))
        staff = live.staff.get(staff_id)
        frn = None
        if staff is not None and isinstance(admin, StaffRecords):
            frn = await admin.staff_record(staff_id)
        return LiveAccount(admin.info, staff, frn)


async def attempt_sign_in(portal: Portal, sign_in: SignIn) -> str | None:
    """One sign-in attempt; None when it signed in, else the refusal."""
    try:
        async with portal.sign_in(sign_in):
            return None
    except LoginError as exc:
        return str(exc)


# ---------------------------------------------------------------------------
# Addresses (sim:// only)


def _networks(
    entries: Iterable[str],
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = []
    for entry in entries:
        try:
            out.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue  # PowerSchool ignores what it cannot parse; so do we
    return out


def inside_address(entries: Sequence[str]) -> str | None:
    """An address the allowed-IP list admits (its first entry's first host)."""
    networks = _networks(entries)
    if not networks:
        return None
    first = networks[0]
    # A /31 or /32 (/127, /128) has no "hosts" beyond its own addresses.
    return str(first.network_address if first.num_addresses <= 2 else first[1])


def outside_address(entries: Sequence[str]) -> str | None:
    """A TEST-NET-3 address no entry admits; None when all of them are admitted."""
    networks = _networks(entries)
    for host in OUTSIDE_NETWORK.hosts():
        if not any(host.version == n.version and host in n for n in networks):
            return str(host)
    return None


def same_ips(want: Sequence[str], have: Sequence[str]) -> bool:
    """True when both lists admit the same networks (order and spelling aside)."""

    def norm(entries: Sequence[str]) -> set[str]:
        out = set()
        for entry in entries:
            try:
                out.add(str(ipaddress.ip_network(entry.strip(), strict=False)))
            except ValueError:
                out.add(entry.strip().lower())
        return out

    return norm(want) == norm(have)
