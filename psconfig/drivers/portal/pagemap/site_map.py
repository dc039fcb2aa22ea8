"""A district's learned map: the pins ``doctor --learn`` found on its pages.

The bundled form maps find the controls of the pages no public source shows by
their visible labels. ``doctor --learn`` binds each of those labels on a district's
own server and writes what it found as a site map: per page, the form's id and
each field's control name. A spec names the file (``server.map: site-map.json``,
beside the spec); later runs lay it over the bundled map, so each learned name is
a pin that must agree with the label (``labels.resolve``): a pinned control that
changes, moves or disappears fails closed, naming the page and the label, before
anything is posted.

The file is JSON::

    {"psconfig_site_map": 1, "flavor": "modern",
     "pages": {"group_edit": {"form": "groupForm",
                              "fields": {"access_level": "accesslevel"}}}}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from psconfig.drivers.portal.pagemap.map_parts import FieldMap, Fields, FormPage
from psconfig.drivers.portal.pagemap.maps import PortalMap
from psconfig.errors import FormMapError, PsconfigError
from psconfig.model import Flavor, Frozen


class PagePins(Frozen):
    """One page's pins: its form's id ("" for none) and field key -> control name."""

    form: str = ""
    fields: dict[str, str] = Field(default_factory=dict)


class SiteMap(Frozen):
    """A learned overlay for one flavor's bundled map."""

    psconfig_site_map: Literal[1] = 1
    flavor: Flavor
    pages: dict[str, PagePins] = Field(default_factory=dict)


def load_site_map(path: Path) -> SiteMap:
    """Read and validate a site map; errors name the file and the key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PsconfigError(
            f"{path}: cannot read the site map: {exc.strerror}"
        ) from None
    try:
        return SiteMap.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise PsconfigError(
            f"{path}: invalid site map at {where}: {first['msg']}"
        ) from None


def write_site_map(path: Path, site_map: SiteMap) -> None:
    """Write ``site_map`` as indented JSON (keys in a stable order)."""
    data = site_map.model_dump(mode="json")
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise PsconfigError(
            f"{path}: cannot write the site map: {exc.strerror}"
        ) from None


def apply_site_map(
    portal_map: PortalMap, site_map: SiteMap, *, source: str
) -> PortalMap:
    """``portal_map`` with every learned pin laid over it.

    A site map learned on another flavor, or naming a page or field the bundled map
    lacks, is a FormMapError naming the site map and the key.
    """
    if site_map.flavor != portal_map.flavor:
        raise FormMapError(
            page=source,
            field="flavor",
            flavor=portal_map.flavor,
            detail=f"was learned on a {site_map.flavor} server, this one is "
            f"{portal_map.flavor}: run `psconfig doctor --learn` again",
        )
    updates: dict[str, FormPage] = {}
    for key, pins in sorted(site_map.pages.items()):
        page = getattr(portal_map, key, None)
        if not isinstance(page, FormPage):
            raise FormMapError(
                page=source,
                field=key,
                flavor=portal_map.flavor,
                detail="is no form page",
            )
        updates[key] = _pinned(page, pins, source=source, key=key)
    return portal_map.model_copy(update=updates)


def _pinned(page: FormPage, pins: PagePins, *, source: str, key: str) -> FormPage:
    fields: dict[str, FieldMap] = {}
    for name, control in sorted(pins.fields.items()):
        field = getattr(page.fields, name, None)
        if not isinstance(field, FieldMap) or field.row_label is not None:
            raise FormMapError(
                page=source,
                field=f"{key}.{name}",
                flavor="site map",
                detail="is no pinnable field of the page",
            )
        fields[name] = field.model_copy(update={"name": control})
    pinned: Fields = page.fields.model_copy(update=fields)
    update: dict[str, object] = {"fields": pinned}
    if pins.form:
        update["form"] = pins.form
    return page.model_copy(update=update)
