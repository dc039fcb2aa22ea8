"""The page chrome every simulated admin page shares.

Signed-in pages show the user (``#userName``), the current school (the 20.x+
school picker's toggle button, or an older "School:" link, see ``eras``), a menu,
and, while the page-permission toggle is on and the user may use the editor, the
"Modify access privileges for this page" link. Every page ends with the
``#legal`` footer carrying the PowerSchool version and uptime.
"""

from __future__ import annotations

import functools
from urllib.parse import quote

from starlette.responses import HTMLResponse

from psconfig.sim.access import Level, effective_level, may_switch_to
from psconfig.sim.eras import has_school_picker
from psconfig.sim.html import Markup, el, join
from psconfig.sim.runtime import Ctx
from psconfig.sim.variants import Variant

EDITOR = "/admin/security/pageaccess.html"
SCHOOL_CONTEXT = "/admin/schoolcontext.html"

_STYLE = Markup(
    "body{font-family:sans-serif;margin:0}header,nav,main,footer{padding:.5em 1em}"
    "header{background:#0b3d6b;color:#fff}header a{color:#fff}nav a{margin-right:1em}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em}"
    ".feedback-confirm{background:#dfd;padding:.5em}"
    ".feedback-alert{background:#fdd;padding:.5em}#legal{color:#666;font-size:small}"
)

_MENU = (
    ("/admin/home.html", "Start Page"),
    ("/admin/security/groups/home.html", "Security Groups"),
    ("/admin/security/changepageaccesspriv.html", "Page Permissions"),
    ("/admin/faculty/search.html", "Staff"),
    ("/admin/faculty/new.html", "New Staff Member"),
    ("/admin/tech/dde/home.html", "DDE"),
    ("/admin/students/home.html", "Students"),
)


def _uptime(ctx: Ctx) -> str:
    seconds = max(0, int((ctx.now - ctx.rt.started).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{days} Days {hours:02d}:{minutes:02d}:{seconds:02d}"


def footer(ctx: Ctx) -> Markup:
    """The ``#legal`` footer: version and uptime, as on real sign-in pages."""
    return el(
        "div",
        {"id": "legal"},
        f"PowerSchool SIS Version {ctx.state.version} | simulated by psconfig | "
        f"PS Server Uptime: {_uptime(ctx)}",
    )


def _header(ctx: Ctx) -> Markup:
    user = ctx.user
    return el(
        "header",
        {},
        el("span", {"id": "userName"}, user.lastfirst),
        " | ",
        _school_picker(ctx) if has_school_picker(ctx.state) else _school_link(ctx),
        " | ",
        el("a", {"href": "/admin/logout.html"}, "Sign Out"),
    )


def _school_picker(ctx: Ctx) -> Markup:
    """The 20.x+ picker: the toggle button shows the current school's name.

    Ids are the public ones (spswarehouse; research row 22). Each menu item is a
    link here; the real picker's click handler is not public.
    """
    schools = ctx.state.schools
    items = [
        el(
            "li",
            {"role": "menuitem"},
            el("a", {"href": f"{SCHOOL_CONTEXT}?schoolid={n}"}, schools[n]),
        )
        for n in may_switch_to(ctx.user, ctx.state)
    ]
    return el(
        "div",
        {"id": "school_picker_adminSchoolPicker"},
        el(
            "button",
            {"type": "button", "id": "school_picker_adminSchoolPicker_toggle_btn"},
            schools.get(ctx.school, str(ctx.school)),
        ),
        el("input", {"type": "text", "id": "schoolSearchField_value"}),
        el("ul", {"id": "school_choices", "role": "menu"}, items),
    )


def _school_link(ctx: Ctx) -> Markup:
    """The older header: a "School:" link (ubuntubot) beside the school's name."""
    name = ctx.state.schools.get(ctx.school, str(ctx.school))
    return join(el("a", {"href": SCHOOL_CONTEXT}, "School:"), " ", el("span", {}, name))


def _modify_link(ctx: Ctx) -> Markup | None:
    if not ctx.state.page_toggle:
        return None
    if effective_level(ctx.state, ctx.user, ctx.school, EDITOR) < Level.FULL:
        return None
    editor, key = Variant(ctx.state.markup_variant).editor
    href = f"{editor}?{key}={quote(ctx.request.url.path, safe='/')}"
    return el(
        "p",
        {},
        el(
            "a",
            {"id": "modifyAccessLink", "href": href},
            "Modify access privileges for this page",
        ),
    )


@functools.cache
def _nav() -> Markup:
    """The menu: the same on every page, so built once."""
    return el("nav", {}, [el("a", {"href": h}, t) for h, t in _MENU])


def page(ctx: Ctx, title: str, *body: object, status: int = 200) -> HTMLResponse:
    """A full HTML page; chrome depends on whether a user is signed in."""
    signed_in = ctx.session is not None and ctx.session.staff_dcid is not None
    nav = _nav()
    content = join(
        _header(ctx) if signed_in else None,
        nav if signed_in else None,
        el("main", {}, *body),
        _modify_link(ctx) if signed_in and status == 200 else None,
        el("footer", {}, footer(ctx)),
    )
    document = join(
        Markup("<!DOCTYPE html>\n"),
        el(
            "html",
            {"lang": "en"},
            el(
                "head",
                {},
                el("meta", {"charset": "utf-8"}),
                el("title", {}, title),
                el("style", {}, _STYLE),
            ),
            el("body", {}, content),
        ),
    )
    return HTMLResponse(document, status_code=status)


def denied(ctx: Ctx, *, write: bool) -> HTMLResponse:
    """PowerSchool's Access Denied page (403)."""
    verb = "modify" if write else "view"
    return page(
        ctx,
        "Access Denied",
        el("h1", {}, "Access Denied"),
        el("p", {}, f"You do not have permission to {verb} this page."),
        status=403,
    )
