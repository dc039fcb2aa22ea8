"""The page-permission toggle and the per-page access-privileges editor.

The editor answers 403 "Page permissions are not enabled." while the toggle is off.
Its POST first applies "Set All Groups To" (``setall``) to every group shown under
the posted filter, then any posted ``group_N`` radios; everything is validated
before anything changes. Choosing "Group default" removes the page override.
"""

from __future__ import annotations

import re

from starlette.responses import Response

from psconfig.sim import layout
from psconfig.sim.faults import ignores
from psconfig.sim.flavors import choices
from psconfig.sim.html import Markup, el, hidden
from psconfig.sim.routing import form_route
from psconfig.sim.runtime import Ctx, Invalid, Refused
from psconfig.sim.state import PageLevel, SimGroup
from psconfig.sim.variants import (
    EDITORS,
    input_control,
    radio_control,
    select_control,
    variant,
)

TOGGLE = "/admin/security/changepageaccesspriv.html"
EDITOR = layout.EDITOR
_PAGE_PATH = re.compile(r"^/admin/(?:[A-Za-z0-9_-]+/)*[A-Za-z0-9_.-]+$")


def _toggle_options(ctx: Ctx) -> tuple[tuple[str, str, bool], ...]:
    f = ctx.flavor
    table = ((f.toggle_on, "On", True), (f.toggle_off, "Off", False))
    return variant(ctx).options(f.toggle_field, table)


def toggle_page(ctx: Ctx, message: Markup | None) -> Response:
    """``GET /admin/security/changepageaccesspriv.html`` (title per flavor).

    The control is a select labelled "Turn modify permissions" with On and Off in
    both generations (PowerSchool's documentation: "the Turn modify permissions
    pop-up menu").
    """
    f, v = ctx.flavor, variant(ctx)
    table = _toggle_options(ctx)
    current = next(form for form, _, on in table if on == ctx.state.page_toggle)
    pairs = [(form, text) for form, text, _ in table]
    control = select_control(v.name(f.toggle_field), pairs, current)
    form = el(
        "form",
        {"id": v.name("pagePrivForm"), "method": "post", "action": TOGGLE},
        hidden("pstoken", ctx.pstoken),
        hidden("ac", "prim"),
        v.block(v.field(f.toggle_field, "Turn modify permissions", control)),
        el("button", {"type": "submit", "name": "btnSubmit"}, "Submit"),
    )
    return layout.page(ctx, f.toggle_title, el("h1", {}, f.toggle_title), message, form)


def save_toggle(ctx: Ctx) -> None:
    """Turn page permissions on or off."""
    name = variant(ctx).name(ctx.flavor.toggle_field)
    on = ctx.form.choice(name, _toggle_options(ctx))
    if not ignores(ctx.state.faults, "toggle"):
        ctx.state.page_toggle = on


def _require_toggle(ctx: Ctx) -> None:
    if not ctx.state.page_toggle:
        body = el("p", {"class": "feedback-alert"}, "Page permissions are not enabled.")
        raise Refused(layout.page(ctx, "Page Permissions", body, status=403))


def _target(ctx: Ctx) -> tuple[str, str]:
    """The edited page path and filter text, from the form (POST) or the query."""
    v = variant(ctx)
    editor, key = v.editor
    if ctx.request.url.path != editor:
        body = el("p", {"class": "feedback-alert"}, "Not Found")
        raise Refused(layout.page(ctx, "Not Found", body, status=404))
    if ctx.request.method == "POST":
        page = ctx.form.get(v.name("page")) or ""
        text = ctx.form.get(v.name("filter")) or ""
    else:
        page, text = ctx.query(key) or "", ctx.query("filter") or ""
    if not _PAGE_PATH.match(page) or ".." in page:
        body = el("p", {"class": "feedback-alert"}, f"Not a page path: {page!r}")
        raise Refused(layout.page(ctx, "Page Permissions", body, status=400))
    return page, text


def _shown(ctx: Ctx, text: str) -> list[SimGroup]:
    needle = text.strip().lower()
    return [g for g in ctx.state.groups if needle in f"{g.number} {g.name}".lower()]


def _levels(ctx: Ctx, key: str) -> tuple[tuple[str, str, PageLevel], ...]:
    return variant(ctx).options(key, ctx.flavor.page_levels)


def _editor_rows(ctx: Ctx, path: str, text: str) -> list[Markup]:
    """One row per group shown under the filter: "N NAME" and its level choice."""
    v = variant(ctx)
    overrides = ctx.state.page_permissions.get(path, {})
    radios_ = not v.radios("group_levels")  # canonical: radios, as the guide shows
    rows = []
    for g in _shown(ctx, text):
        level: PageLevel = overrides.get(g.number, "group_default")
        table = _levels(ctx, "group_levels")
        chosen = next(form for form, _, state in table if state == level)
        pairs = [(form, label) for form, label, _ in table]
        name = v.name(f"group_{g.number}")
        build = (radio_control if radios_ else select_control)(name, pairs, chosen)
        label = f"{g.number} {g.name}"
        if v.canonical or v.style("group_rows", group=True) == "cell":
            cells = el("td", {}, label), el("td", {}, build({}))
            rows.append(
                el("tr", {"data-group": g.number} if v.canonical else {}, *cells)
            )
        else:
            rows.append(
                el(
                    "tr",
                    {},
                    el(
                        "td", {}, el("fieldset", {}, el("legend", {}, label), build({}))
                    ),
                )
            )
    return rows


def editor_page(ctx: Ctx, message: Markup | None) -> Response:
    """The editor: ``GET {editor}?{key}=PATH[&filter=TEXT]`` (address per variant)."""
    _require_toggle(ctx)
    v = variant(ctx)
    path, text = _target(ctx)
    setall_table = [("", ""), *choices(_levels(ctx, "setall"))]
    setall = select_control(v.name("setall"), setall_table, "")
    search = input_control("text", v.name("filter"), text)
    form = el(
        "form",
        {"id": v.name("pageAccessForm"), "method": "post", "action": v.editor[0]},
        hidden("pstoken", ctx.pstoken),
        hidden("ac", "prim"),
        hidden(v.name("page"), path),
        v.block(
            v.field("filter", "Filter", search),
            v.field("setall", "Set All Groups To", setall),
        ),
        el("table", {"id": v.name("pageAccessTable")}, _editor_rows(ctx, path, text)),
        el("button", {"type": "submit", "name": "btnSubmit"}, "Submit"),
    )
    title = "Modify access privileges for this page"
    heading, target = el("h1", {}, title), el("p", {"id": "page"}, path)
    return layout.page(ctx, title, heading, target, message, form)


def save_permissions(ctx: Ctx) -> None:
    """Apply "Set All Groups To" to the shown groups, then each posted row."""
    _require_toggle(ctx)
    form, v = ctx.form, variant(ctx)
    form.require(v.name("page"))
    path, text = _target(ctx)
    form.require(v.name("filter"))
    setall = form.require(v.name("setall"))
    wanted: dict[int, PageLevel] = {}
    if setall:
        level = form.choice(v.name("setall"), _levels(ctx, "setall"))
        wanted.update((g.number, level) for g in _shown(ctx, text))
    rows = {v.name(f"group_{g.number}"): g.number for g in ctx.state.groups}
    for name, _ in form.pairs:
        if name in rows:
            wanted[rows[name]] = form.choice(name, _levels(ctx, "group_levels"))
        elif name.startswith("group_") and v.canonical:
            raise Invalid(f"Unknown group in {name}")
    if ignores(ctx.state.faults, "page_levels"):
        return  # accepted, "Changes Recorded.", and forgotten
    overrides = ctx.state.page_permissions.setdefault(path, {})
    for group_number, level in wanted.items():
        if level == "group_default":
            overrides.pop(group_number, None)
        else:
            overrides[group_number] = level
    if not overrides:
        del ctx.state.page_permissions[path]


ROUTES = [
    form_route(TOGGLE, toggle_page, save_toggle),
    *(form_route(path, editor_page, save_permissions) for path, _ in EDITORS),
]
