"""Verify: prove, page by page, what the sync account can and cannot do.

``verify_spec`` is the use case behind ``psconfig verify``. It works through two
kinds of session, both opened by the ``Portal`` the caller provides:

1. an administrator's session (the spec's server credentials, a ``Driver``) reads
   the sync staff member and checks its sign-in window and allowed IPs against the
   spec; for ``ensure: absent`` it checks the account is deleted or deactivated;
2. sessions signed in as the sync account itself (a ``Prober``): one sign-in, then
   every probe in order: an ``allowed`` probe must answer HTTP 200 (an export must
   return at least its minimum of records), a ``denied`` one 401 or 403. Anything
   else (404, 500, an error) proves neither and fails the probe.

On ``sim://`` targets (``Portal.simulated``) the client address is only a label the
in-process transport hands the simulator, so verify also signs in from an address
outside the allowed IPs (TEST-NET-3, 203.0.113.0/24) and expects a refusal, and
gives the sync session an address inside them. Against a real server the address is
the machine's own, and that probe is skipped.

Sign-in attempts are few on purpose: PowerSchool counts failures and disables the
client address after a handful. Verify makes one attempt per session, never
retries, and does not try to sign in as an account the admin read shows cannot
(missing, or admin sign-in off).

For a removed account (``ensure: absent``) the spec holds no username or password;
``VerifyOptions.removed_username``/``removed_password`` supply them so verify can
try the old credentials once and expect a refusal. Without them that probe is
skipped and the admin read is the proof.

The report is evidence an auditor can keep: time (UTC), target, PowerSchool version,
flavor, spec digest, the sync account, and each probe's expectation, observation and
outcome. It never holds a secret.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Literal, Protocol

from pydantic import SecretStr

from psconfig import __version__
from psconfig.drivers.base import Driver
from psconfig.engine.audit import iso, utc_now
from psconfig.engine.plan import SpecRef, Target
from psconfig.engine.run import SpecSource, spec_ref, target_of
from psconfig.errors import AccessDeniedError, DriverError, LoginError, PsconfigError
from psconfig.model import Desired, Frozen, Scope, ServerInfo, SignInWindow, Staff

FORMAT_VERSION = "1.0"
OUTSIDE_NETWORK = ipaddress.ip_network("203.0.113.0/24")
"""TEST-NET-3 (RFC 5737): documentation addresses, never routed."""

Expectation = Literal["allowed", "denied"]
Outcome = Literal["pass", "fail", "skip"]
Ensure = Literal["present", "absent"]


# ---------------------------------------------------------------------------
# What verify needs from its callers


class ExportDef(Protocol):
    """A DDE export a probe runs (``psconfig.drivers.portal.probes.ExportCheck``)."""

    @property
    def table(self) -> str: ...

    @property
    def min_records(self) -> int: ...


class ProbeDef(Protocol):
    """One probe definition (``psconfig.drivers.portal.probes.Probe``)."""

    @property
    def id(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def method(self) -> Literal["GET", "POST"]: ...

    @property
    def data(self) -> Mapping[str, str] | None: ...

    @property
    def expect(self) -> Expectation: ...

    @property
    def reason(self) -> str: ...

    @property
    def export(self) -> ExportDef | None: ...

    def resolved_path(self, group: int | None) -> str | None: ...


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


@dataclass(frozen=True)
class VerifyOptions:
    """What to verify. ``staff_id`` picks the sync account when the spec has several.

    ``removed_username``/``removed_password`` identify an account the spec removes
    (``ensure: absent``), so its old credentials can be tried once.
    """

    probes: Sequence[ProbeDef]
    staff_id: str | None = None
    removed_username: str | None = None
    removed_password: SecretStr | None = field(default=None, repr=False)


# ---------------------------------------------------------------------------
# The report


class SyncAccount(Frozen):
    """The account verified; ``username`` is empty when it is not known."""

    staff_id: str
    username: str
    ensure: Ensure


class ProbeResult(Frozen):
    """One expectation and what was observed."""

    id: str
    description: str
    reason: str
    method: str = ""
    path: str = ""
    expected: str
    observed: str
    outcome: Outcome


class VerifyReport(Frozen):
    """The evidence of one verify run (see the module docstring)."""

    format_version: str = FORMAT_VERSION
    psconfig_version: str = __version__
    timestamp: str
    target: Target
    spec: SpecRef
    account: SyncAccount
    results: tuple[ProbeResult, ...]
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when no expectation failed."""
        return not self.failed

    @property
    def failed(self) -> tuple[str, ...]:
        """The ids of the probes that failed, in order."""
        return tuple(r.id for r in self.results if r.outcome == "fail")

    def count(self, outcome: Outcome) -> int:
        """How many probes ended with ``outcome``."""
        return sum(r.outcome == outcome for r in self.results)


# ---------------------------------------------------------------------------
# Which account


def choose_sync_staff(desired: Desired, staff_id: str | None) -> tuple[str, Ensure]:
    """The sync staff member: ``staff_id``, else the one the spec enables or removes.

    The sync account is the staff member with ``admin_access.enabled: true``; when
    there is none, the one staff member with ``ensure: absent``.

    Raises:
        PsconfigError: ``staff_id`` is not in the spec or cannot sign in by it, or
            the choice is missing or ambiguous.

    """
    enabled = sorted(s for s, v in desired.staff.items() if v.admin_access.enabled)
    if staff_id is not None:
        if staff_id in desired.absent_staff:
            return staff_id, "absent"
        if staff_id in enabled:
            return staff_id, "present"
        why = "does not enable admin sign-in" if staff_id in desired.staff else "is not"
        raise PsconfigError(f"staff {staff_id!r} {why} in the spec")
    candidates: tuple[tuple[list[str], Ensure], ...] = (
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


async def read_staff(portal: Portal, staff_id: str) -> tuple[ServerInfo, Staff | None]:
    """Through an admin session: the server's identity and the live staff member."""
    scope = Scope(
        groups=frozenset(), pages=frozenset(), staff_ids=frozenset({staff_id})
    )
    async with portal.admin() as admin:
        live = await admin.read(scope)
        return admin.info, live.staff.get(staff_id)


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


# ---------------------------------------------------------------------------
# Results

_BUILTIN = {
    "account-sign-in-window": (
        "the account's admin sign-in window (admin read)",
        "guide 4.D: Allow Admin Sign in During These Times, as the spec says",
    ),
    "account-allowed-ips": (
        "the account's allowed IPs (admin read)",
        "guide 4.D: Allowed IPs, as the spec says",
    ),
    "sign-in": (
        "sign in to the admin portal as the sync account",
        "guide 4.D: the sync account signs in with its username and password",
    ),
    "sign-in-outside-allowed-ips": (
        "sign in from an address outside the allowed IPs",
        "guide 4.D: Allowed IPs restrict where the account may sign in from",
    ),
    "account-removed": (
        "the sync account is deleted or deactivated (admin read)",
        "guide 5: remove the Clever user (deactivate when PowerSchool refuses)",
    ),
    "removed:sign-in": (
        "sign in as the removed account with its old password",
        "guide 5: once removed, the account can no longer sign in",
    ),
}
"""Verify's own checks (beside the probes file): id -> description, reason."""


def _check(
    rid: str, expected: str, observed: str, ok: bool | None, *, about: str = ""
) -> ProbeResult:
    """A built-in check's result (``_BUILTIN[about or rid]``); ``ok`` None: skipped."""
    description, reason = _BUILTIN[about or rid]
    outcome: Outcome = "skip" if ok is None else "pass" if ok else "fail"
    return ProbeResult(
        id=rid,
        description=description,
        reason=reason,
        expected=expected,
        observed=observed,
        outcome=outcome,
    )


def _probed(probe: ProbeDef, path: str, observed: str, ok: bool | None) -> ProbeResult:
    outcome: Outcome = "skip" if ok is None else "pass" if ok else "fail"
    return ProbeResult(
        id=probe.id,
        description=probe.description,
        reason=probe.reason,
        method=probe.method,
        path=path,
        expected=probe.expect,
        observed=observed,
        outcome=outcome,
    )


def window_text(window: SignInWindow) -> str:
    """``any time`` or ``05:00-22:00``."""
    return "any time" if window == "any_time" else f"{window.start}-{window.end}"


def ips_text(ips: Sequence[str]) -> str:
    """The allowed IPs as written, or ``any address`` for an empty list."""
    return ", ".join(ips) if ips else "any address"


def account_checks(want: Staff, live: Staff | None) -> list[ProbeResult]:
    """The declared sign-in window and allowed IPs against the live account."""
    managed = want.admin_access.model_fields_set
    declared = want.admin_access
    have = live.admin_access if live is not None else None
    missing = f"no staff member with ID {want.id}"
    out: list[ProbeResult] = []
    if "sign_in_window" in managed:
        observed = window_text(have.sign_in_window) if have else missing
        ok = have is not None and have.sign_in_window == declared.sign_in_window
        expected = window_text(declared.sign_in_window)
        out.append(_check("account-sign-in-window", expected, observed, ok))
    if "allowed_ips" in managed:
        observed = ips_text(have.allowed_ips) if have else missing
        ok = have is not None and same_ips(declared.allowed_ips, have.allowed_ips)
        expected = ips_text(declared.allowed_ips)
        out.append(_check("account-allowed-ips", expected, observed, ok))
    return out


# ---------------------------------------------------------------------------
# Probing as the sync account


async def _run_probe(sync: Prober, probe: ProbeDef, group: int | None) -> ProbeResult:
    path = probe.resolved_path(group)
    if path is None:
        return _probed(probe, probe.path, "not run: no default group", None)
    try:
        if probe.export is not None:
            text = await sync.export_dde(probe.export.table)
            observed, ok = _export_observed(text, probe.export)
        else:
            data = dict(probe.data) if probe.data is not None else None
            status = await sync.probe(path, probe.method, data)
            observed, seen = _status_observed(status)
            ok = seen == probe.expect
    except AccessDeniedError as exc:
        observed, ok = f"denied ({exc})", probe.expect == "denied"
    except DriverError as exc:
        observed, ok = f"error: {exc}", False
    return _probed(probe, path, observed, ok)


def _status_observed(status: int) -> tuple[str, Expectation | None]:
    if status == 200:
        return "allowed (HTTP 200)", "allowed"
    if status in (401, 403):
        return f"denied (HTTP {status})", "denied"
    return f"HTTP {status}: neither allowed nor denied", None


def _export_observed(text: str, export: ExportDef) -> tuple[str, bool]:
    # The first line is the column titles; no record's content enters the report.
    records = max(0, sum(1 for line in text.splitlines() if line.strip()) - 1)
    noun = "record" if records == 1 else "records"
    observed = f"allowed: {records} {noun} exported from {export.table}"
    return observed, records >= export.min_records


async def attempt_sign_in(portal: Portal, sign_in: SignIn) -> str | None:
    """One sign-in attempt; None when it signed in, else the refusal."""
    try:
        async with portal.sign_in(sign_in):
            return None
    except LoginError as exc:
        return str(exc)


@dataclass
class _Present:
    """A present account's verification: account checks, sign-in, probes."""

    portal: Portal
    probes: Sequence[ProbeDef]
    want: Staff
    live: Staff | None
    password: SecretStr
    notes: list[str]

    @property
    def username(self) -> str:
        declared = self.want.admin_access.username
        return declared or (self.live.admin_access.username if self.live else "")

    async def run(self) -> list[ProbeResult]:
        results = account_checks(self.want, self.live)
        refusal = self._cannot_sign_in()
        if refusal is None:
            refusal, probed = await self._probe_all()
        if refusal is not None:
            probed = [
                _probed(p, p.path, "not run: no sign-in", None) for p in self.probes
            ]
        signed_in = f"signed in as {self.username}"
        results.append(_check("sign-in", "allowed", refusal or signed_in, not refusal))
        results.extend(probed)
        results.append(await self._outside(refusal is None))
        return results

    def _cannot_sign_in(self) -> str | None:
        if self.live is None:
            return f"not tried: no staff member with ID {self.want.id} exists"
        if not self.live.admin_access.enabled:
            return "not tried: the account's admin sign-in is off"
        if not self.username:
            return "not tried: the account has no admin username"
        return None

    async def _probe_all(self) -> tuple[str | None, list[ProbeResult]]:
        assert self.live is not None  # _cannot_sign_in checked it
        access = self.live.admin_access
        address = inside_address(access.allowed_ips) if self.portal.simulated else None
        if address is not None:
            self.notes.append(
                f"sim://: the sync sessions came from {address}, inside the allowed IPs"
            )
        sign_in = SignIn(self.username, self.password, address)
        try:
            async with self.portal.sign_in(sign_in) as sync:
                group = access.default_group
                return None, [await _run_probe(sync, p, group) for p in self.probes]
        except LoginError as exc:
            return str(exc), []

    async def _outside(self, signed_in: bool) -> ProbeResult:
        rid = "sign-in-outside-allowed-ips"
        declared = "allowed_ips" in self.want.admin_access.model_fields_set
        live_ips = self.live.admin_access.allowed_ips if self.live else ()
        ips = self.want.admin_access.allowed_ips if declared else live_ips
        address = outside_address(ips)
        if not self.portal.simulated:
            why = "not tried: only on sim://, where the client address is a label"
        elif not ips:
            why = "not tried: no allowed IPs, so any address may sign in"
        elif not signed_in:
            why = "not tried: the sign-in itself did not succeed"
        elif address is None:
            why = "not tried: every TEST-NET-3 address is allowed"
        else:
            self.notes.append(
                f"sim://: {address} (TEST-NET-3) was only a label for the in-process "
                "transport; no traffic was sent"
            )
            sign_in = SignIn(self.username, self.password, address)
            refusal = await attempt_sign_in(self.portal, sign_in)
            refused = f"refused from {address}: {refusal}"
            observed = refused if refusal else f"signed in from {address}"
            return _check(rid, "denied", observed, refusal is not None)
        return _check(rid, "denied", why, None)


# ---------------------------------------------------------------------------
# A removed account


def _removed(staff_id: str, live: Staff | None) -> ProbeResult:
    if live is None:
        observed, ok = f"deleted: no staff member with ID {staff_id}", True
    elif not live.admin_access.enabled:
        status = live.status.replace("_", " ")
        observed, ok = f"deactivated: admin sign-in off, status {status}", True
    else:
        observed, ok = "the account still has admin sign-in enabled", False
    return _check("account-removed", "deleted, or admin sign-in off", observed, ok)


async def _absent(
    portal: Portal, staff_id: str, live: Staff | None, options: VerifyOptions
) -> tuple[list[ProbeResult], str]:
    rid, about = "sign-in", "removed:sign-in"
    username = options.removed_username or (
        live.admin_access.username if live is not None else ""
    )
    removed = _removed(staff_id, live)
    if not username:
        why = "not tried: the staff record is gone and no username was given"
        return [removed, _check(rid, "denied", why, None, about=about)], ""
    if options.removed_password is None:
        why = "not tried: no old password was given; the admin read is the proof"
        return [removed, _check(rid, "denied", why, None, about=about)], username
    ips = live.admin_access.allowed_ips if live is not None else ()
    # Inside the allowed IPs, so a refusal is about the account, not the address.
    address = inside_address(ips) if portal.simulated else None
    sign_in = SignIn(username, options.removed_password, address)
    refusal = await attempt_sign_in(portal, sign_in)
    observed = f"refused: {refusal}" if refusal else f"signed in as {username}"
    result = _check(rid, "denied", observed, refusal is not None, about=about)
    return [removed, result], username


# ---------------------------------------------------------------------------
# The use case


def _spec_password(spec: SpecSource, staff_id: str) -> SecretStr:
    passwords = spec.desired(resolve_secrets=True).passwords
    if staff_id not in passwords:
        raise PsconfigError(
            f"staff {staff_id!r} has no admin_access.password in the spec; "
            "verify signs in with it"
        )
    return passwords[staff_id]


async def verify_spec(
    spec: SpecSource, portal: Portal, options: VerifyOptions
) -> VerifyReport:
    """Verify the spec's sync account; see the module docstring for the contract.

    Raises:
        PsconfigError: no sync account can be chosen, its password reference
            cannot be resolved, or the admin session fails (sign-in, network).
            A refused sync sign-in is not an error: it is a failed probe.

    """
    timestamp = iso(utc_now())
    desired = spec.desired(resolve_secrets=False)
    staff_id, ensure = choose_sync_staff(desired, options.staff_id)
    if ensure == "present" and (options.removed_username or options.removed_password):
        raise PsconfigError(
            f"the spec keeps staff {staff_id!r}: a removed account's username and old "
            "password apply only when the spec removes the sync account"
        )
    password = _spec_password(spec, staff_id) if ensure == "present" else None
    info, live = await read_staff(portal, staff_id)
    notes: list[str] = []
    if password is not None:
        want = desired.staff[staff_id]
        step = _Present(portal, options.probes, want, live, password, notes)
        results = await step.run()
        username = step.username
    else:
        results, username = await _absent(portal, staff_id, live, options)
        notes.append("the spec removes the account, so no page is probed")
    return VerifyReport(
        timestamp=timestamp,
        target=target_of(info),
        spec=spec_ref(spec),
        account=SyncAccount(staff_id=staff_id, username=username, ensure=ensure),
        results=tuple(results),
        notes=tuple(notes),
    )
