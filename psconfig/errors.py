"""The exception tree. Everything psconfig raises on purpose derives from PsconfigError.

Each error carries one user-facing line (``str(err)``) that already names the place
at fault (``file:line:col`` for specs, page and field for the portal) and never a
secret. The CLI maps the classes to exit codes; nothing below the CLI exits.

::

    PsconfigError                      exit 1 unless noted
    ├── SpecError                      a spec file is unreadable, malformed or unsafe
    │   └── SecretError                a secret reference cannot be resolved
    ├── DriverError                    talking to PowerSchool failed
    │   ├── ConnectError               unreachable, TLS failure, timeouts after retries
    │   ├── ServerError                5xx/429 after retries, or an unexpected status
    │   ├── LoginError                 sign-in refused (never retried)
    │   │   ├── LockedOutError         account locked or client IP disabled
    │   │   └── SignInSchemeError      the hashing scheme is unclear: nothing was posted
    │   ├── SessionExpiredError        the session ended and re-login was not possible
    │   ├── AccessDeniedError          the signed-in user may not open or post a page
    │   ├── FormMapError               a page does not match the flavor's form map
    │   ├── WriteNotAppliedError       a write did not read back as posted
    │   └── ServerRefusedError         PowerSchool rejected a change with a message
    ├── PlanFileError                  a saved plan is unreadable or of another version
    ├── ApplyError                     an apply stopped; says what was applied
    └── RefusedError                   exit 3: refused for safety
        ├── StalePlanError             live state or target moved since the plan
        ├── UnsafeChangeError          needs an --allow-* intent, or touches our account
        └── LockHeldError              another apply holds the target's lock
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class PsconfigError(Exception):
    """Base of every deliberate psconfig failure; ``str()`` is the user-facing line."""

    exit_code: int = 1


@dataclass(frozen=True)
class Problem:
    """One finding in a spec, located at ``file:line:col``.

    ``severity`` is ``error``, ``warning`` or ``notice`` (a waived finding); ``rule``
    is a policy id (``PS001``) or
    ``""`` for schema and syntax problems.
    """

    file: str
    line: int
    col: int
    message: str
    rule: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        suffix = f" [{self.rule}]" if self.rule else ""
        where = f"{self.file}:{self.line}:{self.col}"
        return f"{where}: {self.severity}: {self.message}{suffix}"


class SpecError(PsconfigError):
    """A spec cannot be used; holds every problem found, errors first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SecretError(SpecError):
    """A secret reference cannot be resolved. The message names the reference only."""


class DriverError(PsconfigError):
    """Talking to PowerSchool failed."""


class ConnectError(DriverError):
    """The server cannot be reached, TLS failed, or requests kept timing out."""


class ServerError(DriverError):
    """The server kept answering with an error status."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class LoginError(DriverError):
    """The sign-in was refused. psconfig never retries a failed sign-in."""


class LockedOutError(LoginError):
    """PowerSchool locked the account or disabled the client IP address."""


class SignInSchemeError(LoginError):
    """The sign-in page does not say clearly how it wants the password.

    Raised before any password is posted: a wrong guess would count toward
    PowerSchool's lockout. The message names what the page showed and the spec
    setting (``server.sign_in``) that settles it.
    """


class SessionExpiredError(DriverError):
    """The session ended mid-run and signing in again did not restore it."""


class AccessDeniedError(DriverError):
    """The signed-in user may not open or post the named page."""


class FormMapError(DriverError):
    """A page does not look like the flavor's form map says; the driver fails closed."""

    def __init__(self, *, page: str, field: str, flavor: str, detail: str) -> None:
        self.page, self.field, self.flavor = page, field, flavor
        self.detail = detail
        super().__init__(
            f"{page}: field {field!r} {detail} (form map: {flavor}); "
            "run `psconfig doctor --capture DIR` and report or fix the map"
        )


class WriteNotAppliedError(DriverError):
    """A posted value did not read back; names the page and the field."""

    def __init__(self, *, page: str, field: str, detail: str = "") -> None:
        self.page, self.field = page, field
        extra = f": {detail}" if detail else ""
        super().__init__(f"{page}: write of {field!r} did not stick{extra}")


class ServerRefusedError(DriverError):
    """PowerSchool answered a change with an error message of its own."""


class PlanFileError(PsconfigError):
    """A saved plan cannot be read or was written by an incompatible version."""


class ApplyError(PsconfigError):
    """An apply stopped at a failed change.

    ``applied`` and ``not_applied`` are change addresses, so the user knows exactly
    where PowerSchool stands.
    """

    def __init__(
        self, message: str, *, applied: Sequence[str], not_applied: Sequence[str]
    ) -> None:
        self.applied = tuple(applied)
        self.not_applied = tuple(not_applied)
        super().__init__(message)


class RefusedError(PsconfigError):
    """psconfig refused to act for safety."""

    exit_code = 3


class StalePlanError(RefusedError):
    """A saved plan no longer matches the live state or the target."""


class UnsafeChangeError(RefusedError):
    """A change needs explicit intent (``--allow-*``) or touches our own access."""


class LockHeldError(RefusedError):
    """Another apply holds the lock for this target."""
