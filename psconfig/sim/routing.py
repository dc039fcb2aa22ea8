"""Routes and the guard every protected request passes, in this order.

1. a valid, unexpired session whose user may still sign in (status Current, admin
   sign-in on, inside its sign-in window, from an allowed IP); otherwise the session
   ends and the answer is **302** to ``/admin/pw.html``. Lockouts only stop new
   sign-ins, as PowerSchool's "Sign In Attempts Restrictions" do;
2. for a POST, the session's ``pstoken`` (else **400** ``Invalid pstoken``);
3. the effective level on the path (GET needs View and POST Full unless the route
   says otherwise) and the route's feature gate (else **403** Access Denied).

Form pages are a ``render`` plus a ``save``: a POST runs ``save``; an ``Invalid``
re-renders the form from the unchanged state with a feedback-alert; success commits
the state and answers the save's own response or the form with "Changes Recorded."
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route as StarletteRoute

from psconfig.sim import layout
from psconfig.sim.access import Level, effective_level, ip_allowed, within_window
from psconfig.sim.html import Markup, feedback
from psconfig.sim.runtime import SIGN_IN, Ctx, Form, Invalid, Refused, Runtime, redirect
from psconfig.sim.state import SimStateError

Handler = Callable[[Ctx], Response]
Render = Callable[[Ctx, Markup | None], Response]
Save = Callable[[Ctx], Response | None]
Gate = Callable[[Ctx], bool]

CONFIRM = "Changes Recorded."


@dataclass(frozen=True)
class Route:
    """One simulated URL. Methods in ``public`` skip the guard (sign-in pages)."""

    path: str
    get: Handler | None = None
    post: Handler | None = None
    public: tuple[str, ...] = ()
    get_needs: Level = Level.VIEW
    post_needs: Level = Level.FULL
    gate: Gate | None = None


def form_route(
    path: str,
    render: Render,
    save: Save,
    *,
    post_needs: Level = Level.FULL,
    gate: Gate | None = None,
) -> Route:
    """A route whose GET renders a form and whose POST saves it (see module doc)."""

    def post(ctx: Ctx) -> Response:
        try:
            result = save(ctx)
        except Invalid as exc:
            ctx.discard()
            return render(ctx, feedback("alert", exc.message))
        ctx.commit()
        return result or render(ctx, feedback("confirm", CONFIRM))

    return Route(
        path,
        get=lambda ctx: render(ctx, None),
        post=post,
        post_needs=post_needs,
        gate=gate,
    )


def _signed_in(ctx: Ctx) -> bool:
    """Attach the session if it is valid; end it (and say False) otherwise."""
    rt, state = ctx.rt, ctx.state
    cookie = ctx.request.cookies.get(ctx.flavor.cookie)
    session = rt.sessions.get(cookie)
    if session is None or session.staff_dcid is None:
        return False
    staff = state.staff_by_dcid(session.staff_dcid)
    idle = (ctx.now - session.last_seen).total_seconds()
    valid = (
        staff is not None
        and idle <= state.settings.session_idle_seconds
        and staff.psaccess
        and staff.status == 1
        and within_window(staff, ctx.now)
        and ip_allowed(staff, ctx.ip)
        and not rt.fault_expires_session(state)
    )
    if not valid:
        rt.sessions.drop(session.token)
        return False
    session.last_seen = ctx.now
    ctx.session = session
    return True


def guard(ctx: Ctx, route: Route) -> Response | None:
    """The guard's answer when the request may not proceed, else None."""
    if not _signed_in(ctx):
        return redirect(SIGN_IN)
    write = ctx.request.method == "POST"
    if write and ctx.form.get("pstoken") != ctx.pstoken:
        return PlainTextResponse("Invalid pstoken", status_code=400)
    need = route.post_needs if write else route.get_needs
    path = ctx.request.url.path
    level = effective_level(ctx.state, ctx.user, ctx.school, path)
    if level < need or (route.gate is not None and not route.gate(ctx)):
        return layout.denied(ctx, write=write)
    return None


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def endpoint(rt: Runtime, route: Route) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint serving ``route`` for the app owning ``rt``."""

    async def serve(request: Request) -> Response:
        body = await request.body() if request.method == "POST" else b""
        try:
            state = rt.store.current()
        except SimStateError as exc:
            return PlainTextResponse(f"Simulator state error: {exc}", status_code=500)
        ctx = Ctx(request, rt, state, Form(body), rt.now(state), _client_ip(request))
        method = "POST" if request.method == "POST" else "GET"  # HEAD is a GET
        handler = route.post if method == "POST" else route.get
        assert handler is not None  # Starlette only routes the declared methods
        if method not in route.public:
            answer = guard(ctx, route)
            if answer is not None:
                return answer
        try:
            return handler(ctx)
        except Refused as refusal:
            ctx.discard()
            return refusal.response

    return serve


def starlette_routes(rt: Runtime, routes: list[Route]) -> list[StarletteRoute]:
    """Starlette routes for the simulator's routes (one per path)."""
    result: list[StarletteRoute] = []
    for route in routes:
        methods = [m for m, h in (("GET", route.get), ("POST", route.post)) if h]
        result.append(StarletteRoute(route.path, endpoint(rt, route), methods=methods))
    return result
