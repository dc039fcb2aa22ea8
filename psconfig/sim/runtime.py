"""Per-app machinery shared by every page: sessions, form parsing, request context.

A ``Runtime`` belongs to one ``SimApp``: the state store, the in-memory sessions
(sessions never outlive the app; the state file does), the clock, the write counter
behind the crash fault. A ``Ctx`` is one request as a page handler sees it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from psconfig.sim.faults import FaultInjector
from psconfig.sim.flavors import FLAVORS, FlavorInfo
from psconfig.sim.state import SimFaults, SimStaff, SimState
from psconfig.sim.store import StateStore

Clock = Callable[[], datetime]
T = TypeVar("T")
SIGN_IN = "/admin/pw.html"


class Invalid(Exception):
    """A posted form failed validation; the message goes into a feedback-alert."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Refused(Exception):
    """A handler answers with ``response`` instead of its page (403, 404, ...)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


@dataclass
class DdeSelection:
    """The DDE records a session selected: table number, (DCID, school) keys."""

    table: int
    records: list[tuple[int, int]]


@dataclass
class Session:
    """One browser session. ``staff_dcid`` None is a sign-in page's pre-session."""

    token: str
    pstoken: str
    last_seen: datetime
    key: str = ""
    staff_dcid: int | None = None
    school: int = 0
    dde: DdeSelection | None = None
    dde_table: int = 1
    """The DDE table the home page was last (re)loaded for."""


class Sessions:
    """The sessions of one app, by cookie value."""

    def __init__(self) -> None:
        self._by_token: dict[str, Session] = {}

    def create(
        self,
        now: datetime,
        *,
        key: str = "",
        staff_dcid: int | None = None,
        school: int = 0,
    ) -> Session:
        """A new session with a fresh unguessable cookie value and pstoken."""
        session = Session(
            token=secrets.token_hex(20),
            pstoken=secrets.token_hex(16),
            last_seen=now,
            key=key,
            staff_dcid=staff_dcid,
            school=school,
        )
        self._by_token[session.token] = session
        return session

    def get(self, token: str | None) -> Session | None:
        """The session for a cookie value, if it exists."""
        return self._by_token.get(token) if token else None

    def drop(self, token: str) -> None:
        """End a session."""
        self._by_token.pop(token, None)

    def prune(self, now: datetime, idle_seconds: int) -> None:
        """Forget sessions idle for longer than ``idle_seconds``."""
        limit = now - timedelta(seconds=idle_seconds)
        for token in [t for t, s in self._by_token.items() if s.last_seen < limit]:
            del self._by_token[token]


class Form:
    """A posted ``application/x-www-form-urlencoded`` body (browser semantics)."""

    def __init__(self, body: bytes) -> None:
        text = body.decode("utf-8", errors="replace")
        self.pairs = parse_qsl(text, keep_blank_values=True)

    def get(self, name: str) -> str | None:
        """The first value posted for ``name``, or None when absent."""
        return next((v for k, v in self.pairs if k == name), None)

    def getlist(self, name: str) -> list[str]:
        """Every value posted for ``name`` (checkbox groups)."""
        return [v for k, v in self.pairs if k == name]

    def checked(self, name: str) -> bool:
        """True when a checkbox was posted (unchecked boxes are absent)."""
        return any(k == name for k, _ in self.pairs)

    def require(self, name: str) -> str:
        """The value of a field that must be present (it may be empty)."""
        value = self.get(name)
        if value is None:
            raise Invalid(f"Missing field {name}")
        return value

    def choice(self, name: str, options: tuple[tuple[str, str, T], ...]) -> T:
        """Map a required select/radio value through an option table."""
        value = self.require(name)
        for form_value, _, state_value in options:
            if form_value == value:
                return state_value
        raise Invalid(f"Invalid value for {name}: {value!r}")


class Runtime:
    """State, sessions, clock and write counting for one app instance."""

    def __init__(
        self, store: StateStore, *, clock: Clock | None, faults: SimFaults | None
    ) -> None:
        self.store = store
        self.sessions = Sessions()
        self._clock = clock or datetime.now
        self.faults_override = faults
        self.injector = FaultInjector()
        self.started = self._clock()
        self.writes = 0
        self.crashed = False

    def now(self, state: SimState) -> datetime:
        """The simulator's local time: the state's fixed clock, else the app clock."""
        return state.settings.clock or self._clock()

    def faults(self, state: SimState) -> SimFaults:
        """The fault knobs in force: the app's override, else the state file's."""
        return self.faults_override or state.faults

    def fault_expires_session(self, state: SimState) -> bool:
        """True when the session-expiry fault ends this signed-in request's session."""
        return self.injector.expires_session(self.faults(state))

    def commit(self, state: SimState, *, count: bool = True) -> None:
        """Persist ``state``; ``count`` makes it a write for ``crash_after_writes``."""
        try:
            self.store.save(state)
        except BaseException:
            self.store.reload()  # never serve an edit the file does not hold
            raise
        if not count:
            return
        self.writes += 1
        limit = self.faults(state).crash_after_writes
        if limit and self.writes >= limit:
            self.crashed = True


@dataclass
class Ctx:
    """One request as a page sees it. ``form`` is empty for GET."""

    request: Request
    rt: Runtime
    state: SimState
    form: Form
    now: datetime
    ip: str
    session: Session | None = None
    set_cookie: str | None = field(default=None)

    @property
    def flavor(self) -> FlavorInfo:
        return FLAVORS[self.state.flavor]

    @property
    def user(self) -> SimStaff:
        """The signed-in staff member (pages behind the guard only)."""
        assert self.session is not None and self.session.staff_dcid is not None
        staff = self.state.staff_by_dcid(self.session.staff_dcid)
        assert staff is not None
        return staff

    @property
    def school(self) -> int:
        return self.session.school if self.session else 0

    @property
    def pstoken(self) -> str:
        return self.session.pstoken if self.session else ""

    def query(self, name: str) -> str | None:
        """A query-string parameter."""
        return self.request.query_params.get(name)

    def commit(self, *, count: bool = True) -> None:
        """Persist the (edited) state atomically."""
        self.rt.commit(self.state, count=count)

    def discard(self) -> None:
        """Drop unsaved edits: reload the state from its file."""
        self.state = self.rt.store.reload()


def redirect(url: str) -> Response:
    """A 302 to ``url``."""
    return RedirectResponse(url, status_code=302)
