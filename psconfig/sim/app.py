"""``SimApp``: the simulated PowerSchool as an ASGI application backed by a state file.

Every request first re-reads the state file if it changed on disk, and every
state-changing request writes it back atomically, so several apps on one file (or
``psconfig sim serve`` plus a CLI using ``sim://``) agree. Sessions live in memory
per app. Each request is recorded in ``SimApp.requests`` (and, when the state's
``request_log`` is on, appended as a JSON line to ``request_log_path(state_path)``)
so tests can count round trips.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response
from starlette.types import Message, Receive, Scope, Send

from psconfig.model import Frozen
from psconfig.sim import (
    pages_affiliations,
    pages_cpm,
    pages_dde,
    pages_groups,
    pages_home,
    pages_login,
    pages_permissions,
    pages_staff,
    pages_staff_security,
    plugin_api,
)
from psconfig.sim.routing import starlette_routes
from psconfig.sim.runtime import Runtime
from psconfig.sim.seed import seed_state
from psconfig.sim.state import Flavor, SimFaults, SimState, SimStateError
from psconfig.sim.store import (
    StateStore,
    load_state,
    parse_sim_url,
    request_log_path,
    save_state,
    state_path_for,
)

ROUTES = [
    *pages_login.ROUTES,
    *pages_home.ROUTES,
    *pages_groups.ROUTES,
    *pages_permissions.ROUTES,
    *pages_staff.ROUTES,
    *pages_affiliations.ROUTES,
    *pages_staff_security.ROUTES,
    *pages_dde.ROUTES,
    *pages_cpm.ROUTES,
]
pages_cpm.STOCK.update((r.path, r.get) for r in ROUTES if r.get and not r.public)


class RequestRecord(Frozen):
    """One request the app answered. ``status`` 0 means no answer (crashed)."""

    method: str
    path: str
    status: int
    is_write: bool
    elapsed_ms: float


class SimApp:
    """A simulated PowerSchool admin portal (an ASGI callable).

    ``clock`` replaces the local clock (sign-in windows, idle expiry); ``faults``
    replaces the state file's fault knobs for this app only.
    """

    def __init__(
        self,
        state_path: Path,
        *,
        clock: Callable[[], datetime] | None = None,
        faults: SimFaults | None = None,
    ) -> None:
        self.state_path = state_path
        self._rt = Runtime(StateStore(state_path), clock=clock, faults=faults)
        # The plugin REST API (issue 15) sits beside the portal's pages.
        api = plugin_api.routes(state_path, self._rt.store.current, self._rt.now)
        self._app = Starlette(routes=[*starlette_routes(self._rt, ROUTES), *api])
        self.requests: list[RequestRecord] = []

    @property
    def state(self) -> SimState:
        """A copy of the current state (re-read first if the file changed)."""
        return self._rt.store.current().model_copy(deep=True)

    def reset_requests(self) -> None:
        """Forget the recorded requests."""
        self.requests.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            if self._rt.crashed:
                raise ConnectionResetError("simulated PowerSchool crash")
            early = await self._before(scope)
            app = early if early is not None else self._app
            await app(scope, receive, send_and_watch)
        finally:
            self._record(scope, status, (time.perf_counter() - started) * 1000)

    async def _before(self, scope: Scope) -> Response | None:
        try:
            state = self._rt.store.current()
        except SimStateError as exc:
            return PlainTextResponse(f"Simulator state error: {exc}", status_code=500)
        return await self._rt.injector.before(self._rt.faults(state))

    def _record(self, scope: Scope, status: int, elapsed_ms: float) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        path = scope["path"] + (f"?{query}" if query else "")
        method = scope["method"]
        record = RequestRecord(
            method=method,
            path=path,
            status=status,
            is_write=method == "POST",
            elapsed_ms=round(elapsed_ms, 3),
        )
        self.requests.append(record)
        try:
            enabled = self._rt.store.current().request_log
        except SimStateError:
            return
        if enabled:
            line = json.dumps(record.model_dump(), separators=(",", ":"))
            with request_log_path(self.state_path).open("a", encoding="utf-8") as log:
                log.write(line + "\n")


def create_app(
    state_path: Path,
    *,
    clock: Callable[[], datetime] | None = None,
    faults: SimFaults | None = None,
) -> SimApp:
    """An app backed by an existing state file (``SimStateError`` if unusable)."""
    return SimApp(state_path, clock=clock, faults=faults)


def open_state(path: Path, flavor: Flavor | None, *, where: str) -> SimState:
    """The state in ``path``, seeded (default flavor modern) when the file is missing.

    A ``flavor`` that contradicts an existing file is an error: the file is the
    simulator, so it is deleted to start over. ``where`` names the request in errors.
    """
    if not path.exists():
        save_state(seed_state(flavor=flavor or "modern"), path)
    state = load_state(path)
    if flavor is not None and flavor != state.flavor:
        raise SimStateError(
            f"{where}: {path} holds a {state.flavor} simulator; delete it to start a "
            f"{flavor} one"
        )
    return state


def app_for_url(
    url: str, sim_dir: Path, *, clock: Callable[[], datetime] | None = None
) -> SimApp:
    """The app for ``sim://NAME[?flavor=...]``; seeds ``sim_dir/NAME.json`` if missing.

    A flavor in the URL that contradicts an existing state file is an error.
    """
    _, flavor = parse_sim_url(url)
    path = state_path_for(url, sim_dir)
    open_state(path, flavor, where=url)
    return SimApp(path, clock=clock)
