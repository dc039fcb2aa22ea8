"""Security groups: the list, Edit Group, and Add Groups (up to 500).

An Edit Group POST sets the group to exactly what was posted: an unchecked checkbox
is absent (off), while a missing text or select field is a validation error
(``Missing field NAME``), never a silent default.
"""

from __future__ import annotations

from typing import TypeVar

from starlette.responses import Response

from psconfig.sim import layout
from psconfig.sim.faults import (
    UNKNOWN_OPTION,
    ignores,
    kind_of,
    unknown_option,
)
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
from psconfig.sim.variants import (
    Variant,
    input_control,
    radio_control,
    select_control,
    variant,
)

T = TypeVar("T")
Options = tuple[tuple[str, str, T], ...]

LIST = "/admin/security/groups/home.html"
EDIT = "/admin/security/groups/edit.html"
ADD = "/admin/security/groups/add.html"

RQP_OPTIONS: tuple[tuple[str, str, int], ...] = tuple(
    (str(n), {0: "0 Highest", 9: "9 Lowest"}.get(n, str(n)), n) for n in range(10)
)
_LOG_ORDER = [value for _, _, value in LOG_TYPE_OPTIONS]
_ATTRS = {
    "name": "name",
    "accesslevel": "access_level",
    "canmodifyschedules": "can_modify_schedules",
    "powerscheduler": "powerscheduler",
    "translator": "translator",
    "reportqueuepriority": "report_queue_priority",
    "logtypes": "log_types",
    "incidenttypes": "incident_types",
}


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


def _choice(ctx: Ctx, key: str, label: str, options: Options[T], value: T) -> Markup:
    """A labelled one-of-N field: a select, or radios in some variants."""
    v, faults = variant(ctx), ctx.state.faults
    table = v.options(key, options)
    chosen = next((form for form, _, state in table if state == value), None)
    pairs = [(form, text) for form, text, _ in table]
    if unknown_option(faults, key):
        pairs.append(UNKNOWN_OPTION)
        chosen = UNKNOWN_OPTION[0]
    swapped = kind_of(faults, key)
    if swapped is not None:
        return v.field(key, label, input_control(swapped, v.name(key), chosen or ""))
    if v.radios(key):
        return v.field(
            key, label, radio_control(v.name(key), pairs, chosen), group=True
        )
    return v.field(key, label, select_control(v.name(key), pairs, chosen))


def _box(ctx: Ctx, key: str, label: str, on: bool) -> Markup:
    v = variant(ctx)
    kind = kind_of(ctx.state.faults, key) or "checkbox"
    return v.field(key, label, input_control(kind, v.name(key), "1", checked=on))


def _boxes(
    v: Variant, key: str, label: str, boxes: list[tuple[str, str, bool]]
) -> Markup:
    """A group of boxes, each in its own label, labelled as a whole."""
    name = v.name(key)
    items = Markup(
        " ".join(checkbox(name, value, on, text) for value, text, on in boxes)
    )
    return v.field(key, label, lambda attrs: items, group=True)


def _decoys(v: Variant, g: SimGroup) -> list[Markup]:
    """Controls whose labels resemble the real ones (ignored when posted)."""
    out = []
    if v.decoy("accesslevel"):
        levels = [(str(n), t) for n, t in enumerate(("None", "Read", "Write"))]
        decoy = select_control(v.name("accesslevel_pt"), levels, "0")
        out.append(v.field("accesslevel_pt", "Access Level (PowerTeacher)", decoy))
    if v.decoy("name"):
        text = input_control("text", v.name("name_short"), g.name[:10])
        out.append(v.field("name_short", "Group Name (Short)", text))
    return out


def _settings_rows(ctx: Ctx, g: SimGroup) -> list[Markup]:
    v, levels = variant(ctx), ctx.flavor.access_levels
    rows = [
        v.field("number", "Group Number", lambda attrs: Markup(str(g.number))),
        v.field("name", "Group Name", input_control("text", v.name("name"), g.name)),
        _choice(ctx, "accesslevel", "Access Level", levels, g.access_level),
        _choice(
            ctx,
            "canmodifyschedules",
            "Can Modify Schedules",
            SCHEDULE_OPTIONS,
            g.can_modify_schedules,
        ),
        _box(ctx, "powerscheduler", "PowerScheduler Access", g.powerscheduler),
        _box(ctx, "translator", "Language Translator", g.translator),
        _choice(
            ctx,
            "reportqueuepriority",
            "Report Queue Priority",
            RQP_OPTIONS,
            g.report_queue_priority,
        ),
    ]
    return [*rows, *_decoys(v, g)]


def _access_rows(ctx: Ctx, g: SimGroup) -> list[Markup]:
    v = variant(ctx)
    logs = [
        (value, label, state in g.log_types)
        for value, label, state in v.options("logtypes", LOG_TYPE_OPTIONS)
    ]
    incidents = [
        (code, name, code in g.incident_types)
        for code, name in sorted(ctx.state.incident_types.items())
    ]
    rows = [
        _boxes(v, "logtypes", "Accessible Log Types", logs),
        _boxes(v, "incidenttypes", "Accessible Incident Types", incidents),
    ]
    if v.canonical:
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
        return [*rows, field_row("Health and Immunization", *health)]
    health_fields = [
        _choice(ctx, field, label, HEALTH_OPTIONS, getattr(g.health, attr))
        for field, label, attr in HEALTH_AREAS
    ]
    return [*rows, el("h3", {}, "Health and Immunization"), *health_fields]


def edit_page(ctx: Ctx, message: Markup | None) -> Response:
    """``GET /admin/security/groups/edit.html?group=N``."""
    g, v = _target(ctx), variant(ctx)
    form = el(
        "form",
        {
            "id": v.name("groupForm"),
            "method": "post",
            "action": f"{EDIT}?group={g.number}",
        },
        hidden("pstoken", ctx.pstoken),
        hidden("ac", "prim"),
        hidden(v.name("groupnumber"), g.number),
        v.block(*_settings_rows(ctx, g), *_access_rows(ctx, g)),
        el("button", {"type": "submit", "name": "btnSubmit"}, "Submit"),
    )
    return layout.page(ctx, "Edit Group", el("h1", {}, "Edit Group"), message, form)


def save_group(ctx: Ctx) -> None:
    """Validate every posted field, then set the group to exactly that."""
    g, form, v = _target(ctx), ctx.form, variant(ctx)
    if form.require(v.name("groupnumber")) != str(g.number):
        raise Invalid("Group number does not match the group being edited")
    name = form.require(v.name("name")).strip()
    if not name or len(name) > 60:
        raise Invalid("Group Name must be 1 to 60 characters")

    def choice(key: str, options: Options[T]) -> T:
        return form.choice(v.name(key), v.options(key, options))

    access = choice("accesslevel", ctx.flavor.access_levels)
    schedules = choice("canmodifyschedules", SCHEDULE_OPTIONS)
    priority = choice("reportqueuepriority", RQP_OPTIONS)
    health = {attr: choice(f, HEALTH_OPTIONS) for f, _, attr in HEALTH_AREAS}
    by_code = {
        code: state for code, _, state in v.options("logtypes", LOG_TYPE_OPTIONS)
    }
    logs: set[LogType] = set()
    for code in form.getlist(v.name("logtypes")):
        if code not in by_code:
            raise Invalid(f"Invalid value for logtypes: {code!r}")
        logs.add(by_code[code])
    incidents = set(form.getlist(v.name("incidenttypes")))
    unknown = sorted(incidents - set(ctx.state.incident_types))
    if unknown:
        raise Invalid(f"Invalid value for incidenttypes: {unknown[0]!r}")
    old = g.model_copy()
    g.name, g.access_level, g.can_modify_schedules = name, access, schedules
    g.report_queue_priority = priority
    g.powerscheduler = form.checked(v.name("powerscheduler"))
    g.translator = form.checked(v.name("translator"))
    g.log_types = [t for t in _LOG_ORDER if t in logs]
    g.incident_types = sorted(incidents)
    g.health = g.health.model_validate(health)
    for key, attr in _ATTRS.items():  # an upgrade that drops some fields on save
        if ignores(ctx.state.faults, key):
            setattr(g, attr, getattr(old, attr))


def add_page(ctx: Ctx, message: Markup | None) -> Response:
    """``GET /admin/security/groups/add.html`` (labels from PowerSchool's docs)."""
    count, v = len(ctx.state.groups), variant(ctx)
    hint = f" (1 to {MAX_GROUPS - count})"
    number = input_control("text", v.name("numtoadd"), "1")
    prefix = input_control("text", v.name("prefix"), "Group")
    form = el(
        "form",
        {"id": v.name("addGroupsForm"), "method": "post", "action": ADD},
        hidden("pstoken", ctx.pstoken),
        hidden("ac", "prim"),
        el(
            "p",
            {},
            "Current Number of Security Groups: ",
            el("span", {"id": v.name("currentCount")}, count),
        ),
        v.block(
            v.field("numtoadd", "Number of Groups to Add", number),
            v.field("prefix", "Prefix Group Names With", prefix),
        ),
        el("p", {"class": "hint"}, f"Number of Groups to Add{hint}"),
        el("button", {"type": "submit", "name": "btnSubmit"}, "Submit"),
    )
    return layout.page(ctx, "Add Groups", el("h1", {}, "Add Groups"), message, form)


def add_groups(ctx: Ctx) -> None:
    """Append groups N+1.. named ``PREFIX K``, View Only, everything else off."""
    count, v = len(ctx.state.groups), variant(ctx)
    room = MAX_GROUPS - count
    raw = ctx.form.require(v.name("numtoadd")).strip()
    if room <= 0:
        raise Invalid(f"There are already {MAX_GROUPS} security groups")
    if not raw.isdigit() or not 1 <= int(raw) <= room:
        raise Invalid(f"Number of Groups to Add must be from 1 to {room}")
    prefix = ctx.form.require(v.name("prefix")).strip() or "Group"
    if len(f"{prefix} {MAX_GROUPS}") > 60:
        raise Invalid("Prefix Group Names With is too long")
    for number in range(count + 1, count + int(raw) + 1):
        ctx.state.groups.append(SimGroup(number=number, name=f"{prefix} {number}"))


ROUTES = [
    Route(LIST, get=groups_list),
    form_route(EDIT, edit_page, save_group),
    form_route(ADD, add_page, add_groups),
]
