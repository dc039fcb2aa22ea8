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
from psconfig.sim.flavors import choices, form_value_of
from psconfig.sim.html import Markup, el, hidden, radios, select
from psconfig.sim.routing import form_route
from psconfig.sim.runtime import Ctx, Invalid, Refused
from psconfig.sim.state import PageLevel, SimGroup

TOGGLE = "/admin/security/changepageaccesspriv.html"
EDITOR = layout.EDITOR
_PAGE_PATH = re.compile(r"^/admin/(?:[A-Za-z0-9_-]+/)*[A-Za-z0-9_.-]+$")


def toggle_page(ctx: Ctx, message: Markup | None) -> Response:
    """``GET /admin/security/changepageaccesspriv.html`` (title per flavor)."""
    f = ctx.flavor
    current = f.toggle_on if ctx.state.page_toggle else f.toggle_off
    label = (
        "Turn modify permissions" if f.name == "legacy" else "Enable page permissions"
    )
    form = el(
        "form",
        {"id": "pagePrivForm", "method": "post", "action": TOGGLE},
        hidden("pstoken", ctx.pstoken),
        hidden("ac", "prim"),
        el(
            "p",
            {},
            label,
            " ",
            radios(
                f.toggle_field, [(f.toggle_on, "On"), (f.toggle_off, "Off")], current
            ),
        ),
        el("button", {"type": "submit", "name": "btnSubmit"}, "Submit"),
    )
    return layout.page(ctx, f.toggle_title, el("h1", {}, f.toggle_title), message, form)


def save_toggle(ctx: Ctx) -> None:
    """Turn page permissions on or off."""
    f = ctx.flavor
    options = ((f.toggle_on, "On", True), (f.toggle_off, "Off", False))
    ctx.state.page_toggle = ctx.form.choice(f.toggle_field, options)


def _require_toggle(ctx: Ctx) -> None:
    if not ctx.state.page_toggle:
        body = el("p", {"class": "feedback-alert"}, "Page permissions are not enabled.")
        raise Refused(layout.page(ctx, "Page Permissions", body, status=403))


def _target(ctx: Ctx) -> tuple[str, str]:
    """The edited page path and filter text, from the form (POST) or the query."""
    if ctx.request.method == "POST":
        page, text = ctx.form.get("page") or "", ctx.form.get("filter") or ""
    else:
        page, text = ctx.query("page") or "", ctx.query("filter") or ""
    if not _PAGE_PATH.match(page) or ".." in page:
        body = el("p", {"class": "feedback-alert"}, f"Not a page path: {page!r}")
        raise Refused(layout.page(ctx, "Page Permissions", body, status=400))
    return page, text


def _shown(ctx: Ctx, text: str) -> list[SimGroup]:
    needle = text.strip().lower()
    return [g for g in ctx.state.groups if needle in f"{g.number} {g.name}".lower()]


def _editor_rows(ctx: Ctx, path: str, text: str) -> list[Markup]:
    """One row of four level radios per group shown under the filter."""
    levels = ctx.flavor.page_levels
    overrides = ctx.state.page_permissions.get(path, {})
    rows = []
    for g in _shown(ctx, text):
        level: PageLevel = overrides.get(g.number, "group_default")
        buttons = radios(
            f"group_{g.number}", choices(levels), form_value_of(levels, level)
        )
        name = el("td", {}, f"{g.number} {g.name}")
        rows.append(el("tr", {"data-group": g.number}, name, el("td", {}, buttons)))
    return rows


def editor_page(ctx: Ctx, message: Markup | None) -> Response:
    """``GET /admin/security/pageaccess.html?page=PATH[&filter=TEXT]``."""
    _require_toggle(ctx)
    path, text = _target(ctx)
    setall = select("setall", [("", ""), *choices(ctx.flavor.page_levels)], "")
    search = el("input", {"type": "text", "name": "filter", "value": text})
    form = el(
        "form",
        {"id": "pageAccessForm", "method": "post", "action": EDITOR},
        hidden("pstoken", ctx.pstoken),
        hidden("ac", "prim"),
        hidden("page", path),
        el("p", {}, "Filter ", search),
        el("p", {}, "Set All Groups To ", setall),
        el("table", {"id": "pageAccessTable"}, _editor_rows(ctx, path, text)),
        el("button", {"type": "submit", "name": "btnSubmit"}, "Submit"),
    )
    title = "Modify access privileges for this page"
    heading, target = el("h1", {}, title), el("p", {"id": "page"}, path)
    return layout.page(ctx, title, heading, target, message, form)


def save_permissions(ctx: Ctx) -> None:
    """Apply ``setall`` to the shown groups, then the posted ``group_N`` radios."""
    _require_toggle(ctx)
    form, levels = ctx.form, ctx.flavor.page_levels
    form.require("page")
    path, text = _target(ctx)
    form.require("filter")
    setall = form.require("setall")
    wanted: dict[int, PageLevel] = {}
    if setall:
        level = form.choice("setall", levels)
        wanted.update((g.number, level) for g in _shown(ctx, text))
    for name, _ in form.pairs:
        if not name.startswith("group_"):
            continue
        number = name.removeprefix("group_")
        if not number.isdigit() or ctx.state.group(int(number)) is None:
            raise Invalid(f"Unknown group in {name}")
        wanted[int(number)] = form.choice(name, levels)
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
    form_route(EDITOR, editor_page, save_permissions),
]
