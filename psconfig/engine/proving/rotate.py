"""Rotate the sync account's password: generate, stage, set, prove, deliver.

The order, chosen so that the new password can never be lost:

1. generate a strong password (``secrets``: 32 characters with lower case, upper
   case, digits and symbols);
2. stage it in a new file created with mode 0600 (``O_EXCL``): beside ``--out``, or
   under ``.psconfig/rotate/`` for a command, so it exists somewhere safe before
   PowerSchool has it;
3. set it (``SetStaffPassword``) through an administrator's session, under the
   engine's safety rule (never the account psconfig is signed in as). A failure
   that certainly changed nothing (refused, denied, a page not matching its map)
   deletes the staging file; an uncertain one (the post may have landed) keeps it
   and says where;
4. prove it: one sign-in with the old password (the spec's reference) must be
   refused, then one with the new password must succeed; old first, so the success
   resets PowerSchool's failure count;
5. deliver: rename the staging file onto ``--out`` (atomic, still 0600), or pipe the
   password to the command's stdin and then delete the staging file. When the new
   password does not sign in nothing is delivered (``--out`` keeps what it had,
   which may be the old password the spec reads) and the staging file is kept; when
   delivery fails the error says the password was already changed and where it is.

Staging and delivery are ``psconfig.engine.proving.delivery``; the sessions and the
choice of account ``psconfig.engine.proving.access``, shared with verify.

The password lives only in a ``SecretStr``, the staging file and the delivery; no
output, log, error or audit record carries it. The audit log gets the usual
``start``/``change``/``end`` records for a one-change plan.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from psconfig import __version__
from psconfig.engine.applying.apply import ChangeOutcome, OutcomeKind
from psconfig.engine.applying.audit import AuditLog, iso, utc_now
from psconfig.engine.applying.plan_and_apply import SpecSource, spec_ref, target_of
from psconfig.engine.planning import safety
from psconfig.engine.planning.plan import (
    Change,
    Plan,
    Target,
    live_fingerprint,
    summarize,
)
from psconfig.engine.proving.access import (
    Portal,
    SignIn,
    attempt_sign_in,
    choose_sync_staff,
    inside_address,
    staff_scope,
)
from psconfig.engine.proving.delivery import Delivery, DeliveryError
from psconfig.errors import (
    AccessDeniedError,
    DriverError,
    FormMapError,
    LoginError,
    PsconfigError,
    RefusedError,
    ServerRefusedError,
)
from psconfig.model import Frozen, Scope, ServerInfo, SetStaffPassword, Staff, State

SYMBOLS = "!#%+-.:=?@_~"
"""Symbols that need no quoting in YAML, shells, URLs or .env files."""
CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, SYMBOLS)
MIN_LENGTH = 24
DEFAULT_LENGTH = 32


def generate_password(length: int = DEFAULT_LENGTH) -> SecretStr:
    """A random password from ``secrets`` with every character class in it."""
    if length < MIN_LENGTH:
        raise ValueError(f"a rotated password has at least {MIN_LENGTH} characters")
    alphabet = "".join(CLASSES)
    while True:  # ends quickly: fewer than 1 draw in 20 lacks a class
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(c in group for c in candidate) for group in CLASSES):
            return SecretStr(candidate)


# ---------------------------------------------------------------------------
# The use case


class RotationError(PsconfigError):
    """A rotation stopped; the message says where the password stands."""


class Rotation(Frozen):
    """What a finished rotation did and proved (no secret)."""

    timestamp: str
    target: Target
    staff_id: str
    username: str
    delivered_to: str
    old_refused: str


@dataclass(frozen=True)
class RotateOptions:
    """How to rotate; ``generate`` is replaceable for tests only."""

    delivery: Delivery
    staff_id: str | None = None
    audit_path: Path | None = None
    os_user: str = "unknown"
    generate: Callable[[], SecretStr] = generate_password


_CERTAIN = (ServerRefusedError, AccessDeniedError, FormMapError, LoginError)
"""Failures that leave the password unchanged: refused, or stopped before posting."""


@dataclass
class _Rotator:
    """One rotation's state: whether the write was attempted, and confirmed."""

    spec: SpecSource
    portal: Portal
    options: RotateOptions
    staff_id: str
    old: SecretStr
    new: SecretStr
    audit: AuditLog | None = None
    attempted: bool = False
    changed: bool = False

    @property
    def delivery(self) -> Delivery:
        return self.options.delivery

    def kept(self) -> str:
        return f"the new password is kept in {self.delivery.staging} (mode 0600)"

    async def set(self) -> tuple[ServerInfo, Staff]:
        """Set the new password through an admin session; the live account."""
        scope = staff_scope(self.staff_id)
        async with self.portal.admin() as admin:
            info = admin.info
            live = await admin.read(scope)
            staff = self._existing(live)
            plan = self._checked_plan(info, live, scope)
            change = plan.changes[0]
            self.attempted = True
            try:
                await admin.apply(change.op)
            except DriverError as exc:
                self._record(change, "failed", str(exc))
                raise self._set_failed(exc) from None
            self.changed = True
            self._record(change, "applied")
        return info, staff

    def _existing(self, live: State) -> Staff:
        staff = live.staff.get(self.staff_id)
        if staff is None or not staff.admin_access.enabled:
            why = "does not exist" if staff is None else "has admin sign-in off"
            raise RotationError(
                f"staff {self.staff_id!r} {why} in PowerSchool; apply the spec first"
            )
        return staff

    def _checked_plan(self, info: ServerInfo, live: State, scope: Scope) -> Plan:
        """The one-change plan, audited, after the engine's own-account rule."""
        plan = self._plan(info, live, scope)
        if self.options.audit_path is not None:
            self.audit = AuditLog(
                self.options.audit_path,
                target=plan.target,
                spec=plan.spec,
                os_user=self.options.os_user,
            )
        try:
            safety.check(
                plan,
                intents=safety.Intents(),
                username=info.username,
                account=safety.signed_in_staff(live, info.username),
                looked_up=False,
            )
        except RefusedError as exc:
            if self.audit is not None:
                self.audit.refused(str(exc))
            raise
        if self.audit is not None:
            self.audit.start(plan)
        return plan

    def _plan(self, info: ServerInfo, live: State, scope: Scope) -> Plan:
        """A plan of the one change: set the new password."""
        change = Change(
            address=f"staff[{json.dumps(self.staff_id)}]",
            kind="staff",
            key=self.staff_id,
            actions=("update",),
            detail="password rotation",
            changed_paths=(("admin_access", "password"),),
            op=SetStaffPassword(staff_id=self.staff_id, password=self.new),
        )
        return Plan(
            psconfig_version=__version__,
            timestamp=iso(utc_now()),
            target=target_of(info),
            spec=spec_ref(self.spec),
            live_fingerprint=live_fingerprint(live, scope),
            summary=summarize((change,)),
            changes=(change,),
        )

    def _record(self, change: Change, kind: OutcomeKind, error: str = "") -> None:
        if self.audit is None:
            return
        outcome = ChangeOutcome(
            address=change.address,
            detail=change.detail,
            actions=change.actions,
            severity=change.severity,
            outcome=kind,
            error=error or None,
        )
        self.audit.change(change, outcome)

    def _set_failed(self, exc: DriverError) -> RotationError:
        if isinstance(exc, _CERTAIN):
            self.delivery.discard()
            return RotationError(f"the password was not changed: {exc}")
        return RotationError(
            f"PowerSchool may or may not have the new password ({exc}); "
            f"{self.kept()}: sign in with it to find out, then deliver it by hand "
            "and delete that file, or rotate again"
        )

    def stopped(self, exc: PsconfigError) -> RotationError | None:
        """After ``exc``: the error to raise once the write was attempted, else None.

        Before the write nothing changed, so the staging file is deleted.
        """
        if not self.attempted:
            self.delivery.discard()
            return exc if isinstance(exc, RotationError) else None
        if isinstance(exc, RotationError):
            return exc
        state = "was changed" if self.changed else "may have been changed"
        return RotationError(
            f"{exc}; the password {state} in PowerSchool: {self.kept()}"
        )

    def end(self, error: RotationError | None) -> None:
        if self.audit is not None and self.attempted:
            if error is None:
                self.audit.end("success")
            else:
                self.audit.end("failed", error=str(error))

    async def prove_and_deliver(self, staff: Staff) -> str:
        """Old refused, new signs in, then deliver; the old password's refusal."""
        username = staff.admin_access.username
        ips = staff.admin_access.allowed_ips
        address = inside_address(ips) if self.portal.simulated else None
        old = await attempt_sign_in(self.portal, SignIn(username, self.old, address))
        new = await attempt_sign_in(self.portal, SignIn(username, self.new, address))
        if new is not None:
            raise RotationError(
                f"the new password was set but does not sign in ({new}); "
                f"{self.kept()}; {self.delivery.describe()} was not changed"
            )
        try:
            self.delivery.deliver()
        except DeliveryError as exc:
            raise RotationError(
                f"the password was already changed in PowerSchool, but delivering it "
                f"failed: {exc}; {self.kept()}: deliver it by hand, then delete that "
                "file"
            ) from None
        if old is None:
            raise RotationError(
                "the new password signs in and was delivered to "
                f"{self.delivery.describe()}, but the old password still signs in too"
            )
        return old


def _old_password(spec: SpecSource, staff_id: str | None) -> tuple[str, SecretStr]:
    desired = spec.desired(resolve_secrets=True)
    staff_id, ensure = choose_sync_staff(desired, staff_id)
    old = desired.passwords.get(staff_id)
    if ensure == "absent" or old is None:
        why = "removes it" if ensure == "absent" else "gives no admin_access.password"
        raise PsconfigError(
            f"cannot rotate staff {staff_id!r}: the spec {why}; rotation proves the "
            "old password (the spec's reference) no longer signs in"
        )
    return staff_id, old


async def rotate_password(
    spec: SpecSource, portal: Portal, options: RotateOptions
) -> Rotation:
    """Rotate the sync account's password; see the module docstring for the order.

    Raises:
        PsconfigError: no sync account, no old password reference, staging failed,
            or the admin session failed before the write (nothing changed).
        UnsafeChangeError: the account is the one psconfig signs in as.
        RotationError: setting, proving or delivering failed; the message says
            whether the password changed and where the new one is kept.

    """
    staff_id, old = _old_password(spec, options.staff_id)
    new = options.generate()
    while new.get_secret_value() == old.get_secret_value():
        new = options.generate()
    rotator = _Rotator(spec, portal, options, staff_id, old, new)
    options.delivery.stage(new)
    try:
        info, staff = await rotator.set()
        refused = await rotator.prove_and_deliver(staff)
    except PsconfigError as exc:
        error = rotator.stopped(exc)
        rotator.end(error)
        if error is None or error is exc:
            raise
        raise error from None
    rotator.end(None)
    return Rotation(
        timestamp=iso(utc_now()),
        target=target_of(info),
        staff_id=staff_id,
        username=staff.admin_access.username,
        delivered_to=options.delivery.describe(),
        old_refused=refused,
    )
