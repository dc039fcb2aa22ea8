"""Verify: prove, page by page, what the sync account can and cannot do.

``verify_spec`` is the use case behind ``psconfig verify``. It works through two
kinds of session, both opened by the ``Portal`` the caller provides
(``psconfig.engine.proving.access``):

1. an administrator's session (the spec's server credentials, a ``Driver``) reads
   the sync staff member and checks its sign-in window and allowed IPs against the
   spec; for ``ensure: absent`` it checks the account is deleted or deactivated;
2. sessions signed in as the sync account itself (a ``Prober``): one sign-in, then
   every probe in order (``psconfig.engine.proving.probes``): an ``allowed`` probe must
   answer HTTP 200 (an export must return at least its minimum of records), a
   ``denied`` one 401 or 403. Anything else (404, 500, an error) proves neither and
   fails the probe.

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

The result is a ``VerifyReport`` (``psconfig.engine.proving.verify_report``):
evidence an auditor can keep, which never holds a secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import SecretStr

from psconfig.engine.applying.audit import iso, utc_now
from psconfig.engine.applying.plan_and_apply import SpecSource, spec_ref, target_of
from psconfig.engine.proving.access import (
    Portal,
    SignIn,
    attempt_sign_in,
    choose_sync_staff,
    inside_address,
    outside_address,
    read_staff,
    same_ips,
)
from psconfig.engine.proving.probes import ProbeDef, probed, run_probe
from psconfig.engine.proving.verify_report import (
    ProbeResult,
    SyncAccount,
    VerifyReport,
    outcome_of,
)
from psconfig.errors import LoginError, PsconfigError
from psconfig.model import Role, SignInWindow, Staff


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
# Verify's own checks

_BUILTIN = {
    "account-sign-in-window": (
        "the account's admin sign-in window (admin read)",
        "guide 4.D: Allow Admin Sign in During These Times, as the spec says",
    ),
    "account-allowed-ips": (
        "the account's allowed IPs (admin read)",
        "guide 4.D: Allowed IPs, as the spec says",
    ),
    "account-roles": (
        "every role row of the account (admin read)",
        "guide 4.D.V: District Office, Default Group Access; PowerSchool grants the "
        "highest access over all of a user's roles, several at one school included",
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
    return ProbeResult(
        id=rid,
        description=description,
        reason=reason,
        expected=expected,
        observed=observed,
        outcome=outcome_of(ok),
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
    if live is not None:
        out.append(roles_check(want, live))
    return out


def _role_text(role: Role) -> str:
    group = "Default Group Access" if role.group is None else f"group {role.group}"
    return f"school {role.school}: {group}"


def roles_check(want: Staff, have: Staff) -> ProbeResult:
    """Every live role row grants only groups the spec grants the account.

    Each row is taken as it is, however many a school has: PowerSchool gives a
    user the highest access over its default group and every role's group. The
    groups allowed are the account's default group (what Default Group Access
    uses) and the groups of the spec's roles; without managed roles, the default
    group only (the guide's one District Office role with Default Group Access).
    """
    declared, live = want.admin_access, have.admin_access
    managed = declared.model_fields_set
    default = declared.default_group if "default_group" in managed else None
    default = default if default is not None else live.default_group
    allowed = {default}
    if "roles" in managed:
        allowed |= {role.group for role in declared.roles if role.group is not None}
    # A Default Group Access row grants the live default group, whatever it is.
    granted = [
        (r, r.group if r.group is not None else live.default_group) for r in live.roles
    ]
    wider = sorted({str(group) for _, group in granted if group not in allowed})
    shown = "; ".join(_role_text(r) for r in live.roles) or "no roles"
    if wider:
        groups = ", ".join(wider)
        shown += f" — group {groups} grants more than the spec"
    names = ", ".join(str(g) for g in sorted(g for g in allowed if g is not None))
    expected = f"roles grant only group {names or '(the default group)'}"
    return _check("account-roles", expected, shown, not wider)


# ---------------------------------------------------------------------------
# Probing as the sync account


@dataclass
class _Present:
    """A present account's verification: account checks, sign-in, probes."""

    portal: Portal
    probes: Sequence[ProbeDef]
    want: Staff
    live: Staff | None
    frn: str | None
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
            refusal, ran = await self._probe_all()
        if refusal is not None:
            ran = [probed(p, p.path, "not run: no sign-in", None) for p in self.probes]
        signed_in = f"signed in as {self.username}"
        results.append(_check("sign-in", "allowed", refusal or signed_in, not refusal))
        results.extend(ran)
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
                group, frn = access.default_group, self.frn
                return None, [await run_probe(sync, p, group, frn) for p in self.probes]
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


def _refuse_removed_credentials(staff_id: str, options: VerifyOptions) -> None:
    if options.removed_username or options.removed_password:
        raise PsconfigError(
            f"the spec keeps staff {staff_id!r}: a removed account's username and old "
            "password apply only when the spec removes the sync account"
        )


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
    if ensure == "present":
        _refuse_removed_credentials(staff_id, options)
    password = _spec_password(spec, staff_id) if ensure == "present" else None
    account = await read_staff(portal, staff_id)
    info, live = account.info, account.staff
    notes: list[str] = []
    if password is not None:
        want = desired.staff[staff_id]
        step = _Present(
            portal, options.probes, want, live, account.frn, password, notes
        )
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
