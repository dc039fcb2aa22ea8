"""Sign-in and sign-out: ``/admin/pw.html``, ``POST /admin/home.html``, logout.

Each sign-in page load starts a pre-session (cookie) holding that page's ``pstoken``
and key. The legacy flavor's page carries ``var pskey = "HEX"`` and loads
``/admin/javascript/md5.js`` (research rows 6, 7, 12) and expects the post the public
admin client sends: ``username``, ``password`` = ``hex_hmac_md5(pskey, b64_md5(pw))``,
``ldappassword`` (plain) and ``pstoken``, nothing else (row 11, bscpm.js). The modern
flavor's page carries no key and expects the plain password. After
``lockout_threshold`` consecutive failures for a username the account is locked and
the client IP disabled, both persisted in the state file; the failure that reaches
the threshold already answers with the lockout message.
"""

from __future__ import annotations

from importlib.resources import files

from starlette.responses import PlainTextResponse, Response

from psconfig.sim import layout
from psconfig.sim.access import ip_allowed, may_switch_to, within_window
from psconfig.sim.html import AttrValue, Markup, el, feedback, hidden, join
from psconfig.sim.pcas import new_key, verify_pcas, verify_plain
from psconfig.sim.routing import Route
from psconfig.sim.runtime import SIGN_IN, Ctx, redirect
from psconfig.sim.state import SimStaff

INVALID = "Invalid Username or Password!"
DISABLED = (
    "Sign in from this IP address has been disabled. Your account has been locked."
)
NOT_ALLOWED = "You are not allowed to sign in at this time or from this location."
HOME = "/admin/home.html"
PUBLIC = ("GET",)


def _with_cookie(ctx: Ctx, response: Response, token: str) -> Response:
    response.set_cookie(
        ctx.flavor.cookie, token, path="/", httponly=True, samesite="lax"
    )
    return response


def _login_form(ctx: Ctx) -> Markup:
    """The form: ``username``, ``password``, hidden ``pstoken`` and ``ldappassword``.

    The hashing page's submit handler is ``doAdminLogin`` from md5.js (research
    row 11); the page itself never spells the hashing functions (row 12).
    """
    attrs: dict[str, AttrValue] = {
        "id": "LoginForm",
        "name": "LoginForm",
        "method": "post",
        "action": HOME,
        "onsubmit": "return doAdminLogin(this);" if ctx.flavor.hashed_login else None,
    }
    return el(
        "form",
        attrs,
        hidden("pstoken", ctx.pstoken),
        hidden("ldappassword", ""),
        el("label", {"for": "fieldUsername"}, "Username"),
        el(
            "input",
            {"type": "text", "id": "fieldUsername", "name": "username", "value": ""},
        ),
        el("label", {"for": "fieldPassword"}, "Password"),
        el(
            "input",
            {
                "type": "password",
                "id": "fieldPassword",
                "name": "password",
                "value": "",
            },
        ),
        el("button", {"type": "submit", "id": "btnEnter"}, "Sign In"),
    )


def _pcas_scripts(ctx: Ctx, key: str) -> Markup | None:
    """The hashing markers: ``<script src=".../md5.js">`` and ``var pskey = "HEX"``.

    A plain (modern) page carries neither. ``settings.signin_markers`` renders one
    without the other, a page no client should guess about. ``key`` is hex, safe in
    a script.
    """
    markers = ctx.state.settings.signin_markers
    if markers == "flavor" and not ctx.flavor.hashed_login:
        return None
    script = el("script", {"src": "/admin/javascript/md5.js"})
    pskey = el("script", {}, Markup(f'var pskey = "{key}";'))
    return join(
        script if markers != "pskey_without_md5js" else None,
        pskey if markers != "md5js_without_pskey" else None,
    )


def sign_in_page(ctx: Ctx, alert: str | None = None) -> Response:
    """The sign-in page, with a fresh pre-session (new key and pstoken)."""
    old = ctx.rt.sessions.get(ctx.request.cookies.get(ctx.flavor.cookie))
    if old is not None:
        ctx.rt.sessions.drop(old.token)
    ctx.rt.sessions.prune(ctx.now, ctx.state.settings.session_idle_seconds)
    key = new_key()
    ctx.session = ctx.rt.sessions.create(ctx.now, key=key)
    response = layout.page(
        ctx,
        "Administrator Sign In",
        _pcas_scripts(ctx, key),
        el("h1", {}, "PowerSchool SIS Administrator Sign In"),
        feedback("alert", alert) if alert else None,
        _login_form(ctx),
    )
    return _with_cookie(ctx, response, ctx.session.token)


def _password_ok(ctx: Ctx, staff: SimStaff | None, key: str) -> bool:
    if staff is None or not staff.psaccess or staff.status != 1:
        return False
    posted = ctx.form.get("password") or ""
    if ctx.flavor.hashed_login:
        return verify_pcas(staff.password, key, posted)
    return verify_plain(staff.password, posted)


def _failed(ctx: Ctx, username: str, staff: SimStaff | None) -> Response:
    state = ctx.state
    count = state.failed_logins.get(username, 0) + 1
    state.failed_logins[username] = count
    locked = count >= state.settings.lockout_threshold
    if locked:
        if staff is not None and username not in state.locked_accounts:
            state.locked_accounts.append(username)
        if ctx.ip not in state.disabled_ips:
            state.disabled_ips.append(ctx.ip)
    ctx.commit(count=False)  # bookkeeping, not a data change
    return sign_in_page(ctx, DISABLED if locked else INVALID)


def _start_school(ctx: Ctx, staff: SimStaff) -> int:
    allowed = may_switch_to(staff, ctx.state)
    if staff.home_school in allowed or not allowed:
        return staff.home_school
    return allowed[0]


def sign_in(ctx: Ctx) -> Response:
    """``POST /admin/home.html``: check the credentials and start a session."""
    pre = ctx.rt.sessions.get(ctx.request.cookies.get(ctx.flavor.cookie))
    if (
        pre is None
        or pre.staff_dcid is not None
        or ctx.form.get("pstoken") != pre.pstoken
    ):
        return PlainTextResponse("Invalid pstoken", status_code=400)
    state = ctx.state
    username = (ctx.form.get("username") or "").strip().lower()
    staff = state.staff_by_login(username)
    if ctx.ip in state.disabled_ips or username in state.locked_accounts:
        return sign_in_page(ctx, DISABLED)
    if not _password_ok(ctx, staff, pre.key):
        return _failed(ctx, username, staff)
    assert staff is not None
    if not within_window(staff, ctx.now) or not ip_allowed(staff, ctx.ip):
        return sign_in_page(ctx, NOT_ALLOWED)
    if state.failed_logins.pop(username, None) is not None:
        ctx.commit(count=False)
    ctx.rt.sessions.drop(pre.token)
    session = ctx.rt.sessions.create(
        ctx.now, staff_dcid=staff.dcid, school=_start_school(ctx, staff)
    )
    return _with_cookie(ctx, redirect(HOME), session.token)


def sign_out(ctx: Ctx) -> Response:
    """``GET /admin/logout.html``: end the session, back to the sign-in page."""
    session = ctx.rt.sessions.get(ctx.request.cookies.get(ctx.flavor.cookie))
    if session is not None:
        ctx.rt.sessions.drop(session.token)
    response = redirect(SIGN_IN)
    response.delete_cookie(ctx.flavor.cookie, path="/")
    return response


def md5_js(ctx: Ctx) -> Response:
    """PowerSchool's md5.js (b64_md5, hex_hmac_md5) for the legacy sign-in page."""
    source = files("psconfig.sim").joinpath("md5.js").read_text(encoding="utf-8")
    return PlainTextResponse(source, media_type="application/javascript")


ROUTES = [
    Route(SIGN_IN, get=sign_in_page, public=PUBLIC),
    Route("/admin/logout.html", get=sign_out, public=PUBLIC),
    Route("/admin/javascript/md5.js", get=md5_js, public=PUBLIC),
    Route("/", get=lambda ctx: redirect(HOME), public=PUBLIC),
    Route("/admin/", get=lambda ctx: redirect(HOME), public=PUBLIC),
]
"""Public routes. ``POST /admin/home.html`` (``sign_in``) shares its path with the
protected start page, so ``pages_home`` declares it."""
