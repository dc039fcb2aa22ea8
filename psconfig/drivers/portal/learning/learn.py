"""Bind every field of a page by its label and say how each one went.

``doctor --learn`` (on a live server) and ``doctor --replay`` (on a redacted
capture) call ``learn_page`` for each page they read. Each field gets a status:

- ``bound``: its label finds exactly one control, which becomes a pin;
- ``pinned``: the map (or a site map) already pins it, and the label agrees;
- ``ambiguous``: the label finds several controls (the names are listed);
- ``missing``: the label finds none, or the pinned control is not there;
- ``rows``: a per-row field (the page editor's groups): how many rows it found.

The pins of a page (its form's id, each bound field's control name) make its part
of the site map (``site_map.PagePins``).
"""

from __future__ import annotations

import json
from typing import Literal
from urllib.parse import quote

from psconfig.drivers.portal.forms import labels
from psconfig.drivers.portal.forms.controls import Form
from psconfig.drivers.portal.forms.document import Document
from psconfig.drivers.portal.http.portal_session import PortalSession
from psconfig.drivers.portal.pagemap.map_parts import FieldMap, FormPage
from psconfig.drivers.portal.pagemap.maps import PortalMap
from psconfig.drivers.portal.pagemap.site_map import PagePins, SiteMap
from psconfig.errors import DriverError, FormMapError
from psconfig.model import Frozen

BUILTIN_TEXT = "/ws/cpm/builtintext"
"""CPM's stock page source (admin session; tulsaschoolsdata/powerschool-cpm)."""

Status = Literal["bound", "pinned", "ambiguous", "missing", "rows"]


class Finding(Frozen):
    """How one field of one page bound."""

    page: str
    field: str
    status: Status
    control: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("bound", "pinned", "rows")


def learn_page(
    doc: Document, page: FormPage, **row: object
) -> tuple[list[Finding], PagePins | None]:
    """Every field of ``page`` bound on ``doc``, and the pins found (None: no form)."""
    try:
        form = doc.find_form(page.form)
    except FormMapError as exc:
        return [
            Finding(
                page=doc.page, field="(form)", status="ambiguous", detail=exc.detail
            )
        ], None
    if form is None:
        return [
            Finding(page=doc.page, field="(form)", status="missing", detail=page.form)
        ], None
    findings = [
        _finding(doc.page, form, field, row) for _, field in page.fields.items()
    ]
    pins = {
        key: f.control
        for (key, field), f in zip(page.fields.items(), findings, strict=True)
        if f.ok and f.control and field.label is not None
    }
    # The form is found again by its first label: a pinned form id that changed
    # would fail naming the form, not the label a person can look for.
    return findings, PagePins(fields=pins)


def _finding(page: str, form: Form, field: FieldMap, row: dict[str, object]) -> Finding:
    shown = field.label or field.name or field.row_label or "?"
    if field.row_label is not None:
        found = labels.rows(form, field)
        status: Status = "rows" if found else "missing"
        return Finding(
            page=page, field="(group rows)", status=status, detail=f"{len(found)} rows"
        )
    if field.label is None and "{" in field.name and not row:
        return Finding(page=page, field=shown, status="rows", detail="one per row")
    if field.label is None:
        name = field.named(**row)
        status = "pinned" if form.has(name) else "missing"
        return Finding(page=page, field=shown, status=status, control=name)
    try:
        name = labels.resolve(form, field, **row)
    except FormMapError as exc:
        several = len(labels.candidates(form, field)) > 1 and field.nth is None
        status = "ambiguous" if several else "missing"
        return Finding(page=page, field=shown, status=status, detail=exc.detail)
    status = "pinned" if field.name else "bound"
    return Finding(page=page, field=shown, status=status, control=name)


class Learner:
    """What a doctor run learned, page by page."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.pins: dict[str, PagePins] = {}
        self.paths: dict[str, str] = {}

    def page(self, key: str, doc: Document, page: FormPage) -> list[Finding]:
        """Learn ``page`` (the map's ``key``) from ``doc``; its findings."""
        findings, pins = learn_page(doc, page)
        self.findings.extend(findings)
        if pins is not None and (pins.fields or key in LABELLED):
            self.pins[key] = pins
        self.paths[key] = doc.page.split("?", 1)[0]
        return findings

    def site_map(self, portal_map: PortalMap) -> SiteMap:
        """The pins of every page whose labelled fields all bound."""
        pages = {
            key: pins
            for key, pins in self.pins.items()
            if key in LABELLED and _labelled(portal_map, key) <= set(pins.fields)
        }
        return SiteMap(flavor=portal_map.flavor, pages=pages)


LABELLED = frozenset(
    {"group_edit", "group_add", "toggle", "page_editor", "admin_access"}
)
"""The map's pages whose fields are found by label (and so can be pinned)."""


def _labelled(portal_map: PortalMap, key: str) -> set[str]:
    page = getattr(portal_map, key)
    assert isinstance(page, FormPage)
    return {k for k, f in page.fields.items() if f.label is not None}


async def stock_source(session: PortalSession, path: str) -> Document | None:
    """CPM's stock source of ``path``, or None where the session may not read it."""
    try:
        answer = await session.get(f"{BUILTIN_TEXT}?path={quote(path, safe='/')}")
    except DriverError:
        return None
    if answer.status != 200:
        return None
    try:
        text = json.loads(answer.text).get("builtInText")
    except (ValueError, AttributeError):
        return None
    if not isinstance(text, str):
        return None
    return Document(text, page=path, flavor=session.portal_map.flavor)
