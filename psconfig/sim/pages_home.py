"""The start page, the school context, and the student-side feature pages.

The feature pages (logs, health, PowerScheduler) exist so access probes have real
targets: each needs View on its path plus its feature gate (a log type, a health
area above No Access, PowerScheduler access) in one of the user's groups.
"""

from __future__ import annotations

from starlette.responses import Response

from psconfig.sim import layout
from psconfig.sim.access import (
    Level,
    has_health,
    has_log_type,
    has_powerscheduler,
    may_switch_to,
    user_groups,
)
from psconfig.sim.flavors import LOG_TYPE_OPTIONS
from psconfig.sim.html import Markup, el, feedback, hidden, select
from psconfig.sim.layout import SCHOOL_CONTEXT
from psconfig.sim.pages_login import HOME, sign_in
from psconfig.sim.routing import Route
from psconfig.sim.runtime import Ctx, redirect
from psconfig.sim.state import LogType, SimGroup, SimStudent

HEALTH_PAGES = {
    "certification": "certification",
    "immunization": "immunization",
    "officevisit": "office_visit",
    "screening": "screening",
}
_LOG_TYPES: dict[str, LogType] = {value: value for _, _, value in LOG_TYPE_OPTIONS}
_LOG_NAMES: dict[LogType, str] = {value: label for _, label, value in LOG_TYPE_OPTIONS}


def _groups(ctx: Ctx) -> list[SimGroup]:
    return user_groups(ctx.state, ctx.user, ctx.school)


def start_page(ctx: Ctx) -> Response:
    """``GET /admin/home.html``: the signed-in start page."""
    user = ctx.user
    return layout.page(
        ctx,
        "Start Page",
        el("h1", {}, "Start Page"),
        el("p", {}, f"Welcome, {user.first_name} {user.last_name}."),
    )


def _school_form(ctx: Ctx, alert: Markup | None = None) -> Response:
    """The older UI's school page: a ``Schoolid`` select and ``attSubmitButton``."""
    options = [
        (str(n), ctx.state.schools[n]) for n in may_switch_to(ctx.user, ctx.state)
    ]
    form = el(
        "form",
        {"method": "post", "action": SCHOOL_CONTEXT},
        hidden("pstoken", ctx.pstoken),
        el("label", {}, "School ", select("Schoolid", options, str(ctx.school))),
        el(
            "input",
            {
                "type": "submit",
                "name": "attSubmitButton",
                "id": "attSubmitButton",
                "value": "Submit",
            },
        ),
    )
    return layout.page(ctx, "School", el("h1", {}, "Select School"), alert, form)


def _switch(ctx: Ctx, value: str) -> Response | None:
    """Make ``value`` the session's school; None when it may not (or is no school)."""
    allowed = may_switch_to(ctx.user, ctx.state)
    if not value.lstrip("-").isdigit() or int(value) not in allowed:
        return None
    assert ctx.session is not None
    ctx.session.school = int(value)
    ctx.session.dde = None  # a DDE selection belongs to the school it was made in
    return redirect(HOME)


def school_page(ctx: Ctx) -> Response:
    """``GET /admin/schoolcontext.html``: the school form, or a picker item's switch.

    A picker item (``?schoolid=N``) switches and reloads the start page, as the
    20.x+ picker reloads the page in the new school.
    """
    value = ctx.query("schoolid")
    if value is None:
        return _school_form(ctx)
    switched = _switch(ctx, value)
    return switched or _school_form(
        ctx, feedback("alert", f"Invalid school: {value!r}")
    )


def switch_school(ctx: Ctx) -> Response:
    """``POST /admin/schoolcontext.html``: change the session's current school."""
    value = ctx.form.get("Schoolid") or ""
    switched = _switch(ctx, value)
    return switched or _school_form(
        ctx, feedback("alert", f"Invalid school: {value!r}")
    )


def _in_school(ctx: Ctx, school: int) -> bool:
    return ctx.school == 0 or school == ctx.school


def students_home(ctx: Ctx) -> Response:
    """``GET /admin/students/home.html``: the students of the current school."""
    rows = [
        el(
            "tr",
            {"data-dcid": s.dcid},
            el("td", {}, s.student_number),
            el("td", {}, f"{s.last_name}, {s.first_name}"),
            el("td", {}, s.grade_level),
        )
        for s in ctx.state.students
        if _in_school(ctx, s.schoolid)
    ]
    return layout.page(
        ctx,
        "Students",
        el("h1", {}, "Students"),
        el("table", {"id": "studentsTable"}, rows),
    )


def _students(ctx: Ctx) -> list[SimStudent]:
    return [s for s in ctx.state.students if _in_school(ctx, s.schoolid)]


def _log_gate(ctx: Ctx) -> bool:
    kind = _LOG_TYPES.get(ctx.query("type") or "")
    return kind is not None and has_log_type(_groups(ctx), kind)


def log_page(ctx: Ctx) -> Response:
    """``GET /admin/students/log.html?type=T``: one log type's entries (empty)."""
    name = _LOG_NAMES[_LOG_TYPES[ctx.query("type") or ""]]  # the gate checked it
    return layout.page(
        ctx,
        f"{name} Log",
        el("h1", {}, f"{name} Log Entries"),
        el("p", {"id": "logCount"}, f"{len(_students(ctx))} students, 0 entries"),
    )


def _health_route(slug: str, area: str) -> Route:
    def view(ctx: Ctx) -> Response:
        title = f"Health: {area.replace('_', ' ').title()}"
        return layout.page(ctx, title, el("h1", {}, title))

    return Route(
        f"/admin/students/health/{slug}.html",
        get=view,
        gate=lambda ctx: has_health(_groups(ctx), area),
    )


def powerscheduler(ctx: Ctx) -> Response:
    """``GET /admin/scheduling/powerscheduler/home.html``."""
    return layout.page(ctx, "PowerScheduler", el("h1", {}, "PowerScheduler"))


ROUTES = [
    Route(HOME, get=start_page, post=sign_in, public=("POST",)),
    Route(
        SCHOOL_CONTEXT,
        get=school_page,
        post=switch_school,
        get_needs=Level.NONE,
        post_needs=Level.NONE,
    ),
    Route("/admin/students/home.html", get=students_home),
    Route("/admin/students/log.html", get=log_page, gate=_log_gate),
    *(_health_route(slug, area) for slug, area in HEALTH_PAGES.items()),
    Route(
        "/admin/scheduling/powerscheduler/home.html",
        get=powerscheduler,
        gate=lambda ctx: has_powerscheduler(_groups(ctx)),
    ),
]
"""Switching schools is part of the session, not of a page: any signed-in user may
open the school context (a user without access at its current school must be able
to leave it)."""
