"""The bundled form maps load, validate, and describe the same pages."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from psconfig.drivers.portal.pagemap.map_parts import FormPage
from psconfig.drivers.portal.pagemap.maps import FLAVORS, PortalMap, load_map, parse_map
from psconfig.errors import FormMapError
from psconfig.model import Flavor


def form_pages(portal_map: PortalMap) -> list[tuple[str, FormPage]]:
    """Every page of the map that has a form, in the map's order."""
    found = ((key, getattr(portal_map, key)) for key in PortalMap.model_fields)
    return [(key, page) for key, page in found if isinstance(page, FormPage)]


def _text(flavor: str) -> str:
    return (
        resources.files("psconfig.drivers.portal.pagemap")
        .joinpath("data")
        .joinpath(f"{flavor}.json")
        .read_text("utf-8")
    )


@pytest.mark.parametrize("flavor", FLAVORS)
def test_bundled_maps_load(flavor: Flavor) -> None:
    portal_map = load_map(flavor)
    assert portal_map.flavor == flavor
    keys = [key for key, _ in form_pages(portal_map)]
    assert "group_edit" in keys and "admin_access" in keys
    level = portal_map.page_editor.fields.level
    assert level.named(group=12) == "row 12"
    assert set(level.texts) == {"group_default", "none", "view_only", "full"}


def test_flavors_share_page_urls_and_differ_in_labels() -> None:
    legacy, modern = load_map("legacy"), load_map("modern")
    assert [p.url for _, p in form_pages(legacy)] == [
        p.url for _, p in form_pages(modern)
    ]
    assert legacy.signin.url == modern.signin.url
    # The toggle is the same labelled select in both (PowerSchool's docs); the
    # editor's level texts differ between the generations.
    assert legacy.toggle.fields.enabled == modern.toggle.fields.enabled
    assert legacy.page_editor.fields.level.texts["full"] == "Full"
    assert modern.page_editor.fields.level.texts["full"] == "Edit"


def test_page_path_quotes_parameters() -> None:
    search = load_map("modern").staff_search
    assert (
        search.path(query="psaccess=1")
        == "/admin/faculty/home.html?selectteacher=psaccess%3D1&teachersonly=0"
    )


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["group_edit"]["fields"].pop("access_level"), "group_edit.fields"),
        (lambda d: d["toggle"].update(colour="red"), "toggle.colour"),
        (lambda d: d.update(version_regex="no group"), "version_regex"),
        (lambda d: d["groups"].update(url="relative.html"), "groups.url"),
        (
            lambda d: d["group_edit"]["fields"]["name"].update(name="x_{nope}"),
            "group_edit.fields.name.name",
        ),
        (
            lambda d: d["toggle"]["fields"]["enabled"].update(
                options={"on": "1", "off": "1"}
            ),
            "toggle.fields.enabled",
        ),
    ],
)
def test_invalid_map_is_a_form_map_error_naming_the_key(
    change: object, where: str
) -> None:
    data = json.loads(_text("legacy"))
    change(data)  # type: ignore[operator]
    with pytest.raises(FormMapError) as caught:
        parse_map(json.dumps(data), source="maps/legacy.json")
    assert caught.value.page == "maps/legacy.json"
    assert caught.value.field.startswith(where)
    assert caught.value.flavor == "legacy"
