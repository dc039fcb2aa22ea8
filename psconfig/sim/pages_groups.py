"""Security groups: the list, Edit Group, and Add Groups (up to 500).

An Edit Group POST sets the group to exactly what was posted: an unchecked checkbox
is absent (off), while a missing text or select field is a validation error
(``Missing field NAME``), never a silent default.
"""

from __future__ import annotations

from starlette.responses import Response

from psconfig.sim import layout
from psconfig.sim.flavors import (
    HEALTH_AREAS,
    HEALTH_OPTIONS,
    LOG_TYPE_OPTIONS,
    SCHEDULE_OPTIONS,
    label_of,
)
from psconfig.sim.html import (
    Markup,
    checkbox,
    el,
    field_row,
    hidden,
    option_select,
)
from psconfig.sim.routing import Route, form_route
from psconfig.sim.runtime import Ctx, Invalid, Refused
from psconfig.sim.state import MAX_GROUPS, LogType, SimGroup

LIST = "/admin/security/groups/home.html"
EDIT = "/admin/security/groups/edit.html"
ADD = "/admin/security/groups/add.html"

RQP_OPTIONS: tuple[tuple[str, str, int], ...] = tuple(
    (str(n), {0: "0 Highest", 9: "9 Lowest"}.get(n, str(n)), n) for n in range(10)
)
_LOG_ORDER = [value for _, _, value in LOG_TYPE_OPTIONS]


def groups_list(ctx: Ctx) -> Response:
    """``GET /admin/security/groups/home.html``."""
    levels = ctx.flavor.access_levels
    rows = [
        el(
            "tr",
            {"data-group": g.number},
            el("td", {"class": "number"}, g.number),
            el(
                "td",
                {"class": "name"},
                el("a", {"href": f"{EDIT}?group={g.number}"}, g.name),
            ),
            el("td", {"class": "access"}, label_of(levels, g.access_level)),
            el("td", {"class": "rqp"}, g.report_queue_priority),
        )
        for g in ctx.state.groups
    ]
    head = el(
        "thead",
        {},
        el(
            "tr",
            {},
            *(el("th", {}, t) for t in ("Number", "Group Name", "Access", "Priority")),
        ),
    )
    count = f"Current Number of Security Groups: {len(ctx.state.groups)}"
    return layout.page(
        ctx,
        "Security Groups",
        el("h1", {}, "Security Groups"),
        el("p", {"id": "groupCount"}, count),
        el("p", {}, el("a", {"href": ADD}, "Add Groups")),
        el("table", {"id": "groupsTable"}, head, el("tbody", {}, rows)),
    )


def _target(ctx: Ctx) -> SimGroup:
    raw = ctx.query("group") or ""
    group = ctx.state.group(int(raw)) if raw.isdigit() else None
    if group is None:
        body = el("p", {"class": "feedback-alert"}, f"No such group: {raw!r}")
        raise Refused(layout.page(ctx, "Not Found", body, status=404))
    return group


def _settings_rows(ctx: Ctx, g: SimGroup) -> list[Markup]:
    name = el("input", {"type": "text", "name": "name", "value": g.name})
    levels = ctx.flavor.access_levels
    return [
        field_row("Group Number", str(g.number), hidden("groupnumber", g.number)),
        field_row("Group Name", name),
        field_row("Access Level", option_select("accesslevel", levels, g.access_level)),
        field_row(
            "Can Modify Schedules",
            option_select(
                "canmodifyschedules", SCHEDULE_OPTIONS, g.can_modify_schedules
            ),
        ),
        field_row(
            "PowerScheduler Access", checkbox("powerscheduler", "1", g.powerscheduler)
        ),
        field_row("Language Translator", checkbox("translator", "1", g.translator)),
        field_row(
            "Report Queue Priority",
            option_select("reportqueuepriority", RQP_OPTIONS, g.report_queue_priority),
        ),
    ]


def _access_rows(ctx: Ctx, g: SimGroup) -> list[Markup]:
    logs = [
        checkbox("logtypes", code, value in g.log_types, label)
        for code, label, value in LOG_TYPE_OPTIONS
    ]
    incidents = [
        checkbox("incidenttypes", code, code in g.incident_types, name)
        for code, name in sorted(ctx.state.incident_types.items())
    ]
    health = [
        el(
            "label",
            {},
            label,
            " ",
            option_select(field, HEALTH_OPTIONS, getattr(g.health, attr)),
        )
        for field, label, attr in HEALTH_AREAS
    ]
    return [
        field_row("Accessible Log Types", *logs),
        field_row("Accessible Incident Types", *incidents),
        field_row("Health and Immunization", *health),
    ]


def edit_page(ctx: Ctx, message: Markup | None) -> Response:
    """``GET /admin/security/groups/edit.html?group=N``."""
    g = _target(ctx)
    form = el(
        "form",
        {"id": "groupForm", "method": "post", "action": f"{EDIT}?group={g.number}"},
        hidden("pstoken", ctx.pstoken),
        hidden("ac", "prim"),
        el("table", {}, _settings_rows(ctx, g), _access_rows(ctx, g)),
        el("button", {"type": "submit", "name": "btnSubmit"}, "Submit"),
    )
    return layout.page(ctx, "Edit Group", el("h1", {}, "Edit Group"), message, form)


def save_group(ctx: Ctx) -> None:
    """Validate every posted field, then set the group to exactly that."""
    g, form = _target(ctx), ctx.form
    if form.require("groupnumber") != str(g.number):
        raise Invalid("Group number does not match the group being edited")
    name = form.require("name").strip()
    if not name or len(name) > 60:
        raise Invalid("Group Name must be 1 to 60 characters")
    access = form.choice("accesslevel", ctx.flavor.access_levels)
    schedules = form.choice("canmodifyschedules", SCHEDULE_OPTIONS)
    priority = form.choice("reportqueuepriority", RQP_OPTIONS)
    health = {attr: form.choice(f, HEALTH_OPTIONS) for f, _, attr in HEALTH_AREAS}
    by_code = {v: value for v, _, value in LOG_TYPE_OPTIONS}
    logs: set[LogType] = set()
    for code in form.getlist("logtypes"):
        if code not in by_code:
            raise Invalid(f"Invalid value for logtypes: {code!r}")
        logs.add(by_code[code])
    incidents = set(form.getlist("incidenttypes"))
    unknown = sorted(incidents - set(ctx.state.incident_types))
    if unknown:
        raise Invalid(f"Invalid value for incidenttypes: {unknown[0]!r}")
    g.name, g.access_level, g.can_modify_schedules = name, access, schedules
    g.report_queue_priority = priority
    g.powerscheduler = form.checked("powerscheduler")
    g.translator = form.checked("translator")
    g.log_types = [t for t in _LOG_ORDER if t in logs]
    g.incident_types = sorted(incidents)
    g.health = g.health.model_validate(health)


def add_page(ctx: Ctx, message: Markup | None) -> Response:
    """``GET /admin/security/groups/add.html``."""
    count = len(ctx.state.groups)
    form = el(
        "form",
        {"id": "addGroupsForm", "method": "post", "action": ADD},
        hidden("pstoken", ctx.pstoken),
        hidden("ac", "prim"),
        el(
            "p",
            {},
            "Current Number of Security Groups: ",
            el("span", {"id": "currentCount"}, count),
        ),
        el(
            "p",
            {},
            f"Number of Groups to Add (1 to {MAX_GROUPS - count}) ",
            el("input", {"type": "text", "name": "numtoadd", "value": "1"}),
        ),
        el(
            "p",
            {},
            "Prefix Group Names With ",
            el("input", {"type": "text", "name": "prefix", "value": "Group"}),
        ),
        el("button", {"type": "submit", "name": "btnSubmit"}, "Submit"),
    )
    return layout.page(ctx, "Add Groups", el("h1", {}, "Add Groups"), message, form)


def add_groups(ctx: Ctx) -> None:
    """Append groups N+1.. named ``PREFIX K``, View Only, everything else off."""
    count = len(ctx.state.groups)
    room = MAX_GROUPS - count
    raw = ctx.form.require("numtoadd").strip()
    if room <= 0:
        raise Invalid(f"There are already {MAX_GROUPS} security groups")
    if not raw.isdigit() or not 1 <= int(raw) <= room:
        raise Invalid(f"Number of Groups to Add must be from 1 to {room}")
    prefix = ctx.form.require("prefix").strip() or "Group"
    if len(f"{prefix} {MAX_GROUPS}") > 60:
        raise Invalid("Prefix Group Names With is too long")
    for number in range(count + 1, count + int(raw) + 1):
        ctx.state.groups.append(SimGroup(number=number, name=f"{prefix} {number}"))


ROUTES = [
    Route(LIST, get=groups_list),
    form_route(EDIT, edit_page, save_group),
    form_route(ADD, add_page, add_groups),
]
