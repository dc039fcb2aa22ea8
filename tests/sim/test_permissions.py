"""The page-permission toggle and the access-privileges editor: gate, filter, setall."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psconfig.sim import (
    DEMO_ADMIN_PASSWORD,
    DEMO_ADMIN_USERNAME,
    create_app,
    load_state,
    save_state,
    seed_state,
)
from psconfig.sim.state import Flavor
from tests.sim.browser import Browser, alert, confirmed, text_of

pytestmark = pytest.mark.anyio

TOGGLE = "/admin/security/changepageaccesspriv.html"
DDE = "/admin/tech/dde/home.html"
GROUPS = "/admin/security/groups/home.html"
EDITOR = f"/admin/security/pageaccess.html?page={DDE}"
# (group default, none, view only, full) per flavor
LEVELS = {
    "legacy": ("-1", "0", "1", "2"),
    "modern": ("default", "noaccess", "readonly", "edit"),
}
LABELS = {
    "legacy": ["Group default", "None", "View-only", "Full"],
    "modern": ["Group default", "No Access", "Read Only", "Edit"],
}


async def turn_toggle(admin: Browser, flavor: Flavor, on: bool) -> None:
    page = await admin.get(TOGGLE)
    field = "modifypermissions" if flavor == "legacy" else "enablepagepermissions"
    value = {("legacy", True): "1", ("legacy", False): "0"}.get(
        (flavor, on), "true" if on else "false"
    )
    assert confirmed(await admin.submit(page, "pagePrivForm", {field: value}))


async def test_toggle_page_per_flavor(
    admin: Browser, flavor: Flavor, state_path: Path
) -> None:
    page = await admin.get(TOGGLE)
    title = (
        "Access to Page Permissions"
        if flavor == "legacy"
        else "Enable Page Permissions"
    )
    assert text_of(page, "//title") == [title]
    assert text_of(page, "//h1") == [title]
    field = "modifypermissions" if flavor == "legacy" else "enablepagepermissions"
    off = "0" if flavor == "legacy" else "false"
    assert (field, off) in Browser.form_fields(page, "pagePrivForm")
    await turn_toggle(admin, flavor, True)
    assert load_state(state_path).page_toggle is True
    await turn_toggle(admin, flavor, False)
    assert load_state(state_path).page_toggle is False


async def test_editor_is_gated_on_the_toggle(admin: Browser, flavor: Flavor) -> None:
    response = await admin.get(EDITOR)
    assert response.status_code == 403
    assert alert(response) == "Page permissions are not enabled."
    groups = await admin.get(GROUPS)
    assert 'id="modifyAccessLink"' not in groups.text
    await turn_toggle(admin, flavor, True)
    groups = await admin.get(GROUPS)
    (link,) = text_of(groups, '//a[@id="modifyAccessLink"]')
    assert link == "Modify access privileges for this page"
    assert f'href="/admin/security/pageaccess.html?page={GROUPS}"' in groups.text
    assert (await admin.get(EDITOR)).status_code == 200
    # Posting is gated too, once the toggle is off again.
    page = await admin.get(EDITOR)
    await turn_toggle(admin, flavor, False)
    response = await admin.submit(page, "pageAccessForm")
    assert response.status_code == 403


async def test_editor_sets_one_group(
    admin: Browser, flavor: Flavor, state_path: Path
) -> None:
    await turn_toggle(admin, flavor, True)
    page = await admin.get(EDITOR)
    rows = text_of(page, "//tr[@data-group]/td[1]")
    assert rows[11] == "12 Group 12" and len(rows) == 13
    labels = text_of(page, '//tr[@data-group="12"]//label')
    assert labels == LABELS[flavor]
    default, none, _, full = LEVELS[flavor]
    assert ("group_12", default) in Browser.form_fields(page, "pageAccessForm")
    response = await admin.submit(
        page, "pageAccessForm", {"group_12": full, "group_11": none}
    )
    assert confirmed(response)
    assert load_state(state_path).page_permissions == {DDE: {12: "full", 11: "none"}}
    fields = Browser.form_fields(response, "pageAccessForm")
    assert ("group_12", full) in fields and ("group_13", default) in fields
    # Group default removes the override.
    response = await admin.submit(
        response, "pageAccessForm", {"group_12": default, "group_11": default}
    )
    assert confirmed(response)
    assert load_state(state_path).page_permissions == {}


async def test_setall_applies_to_filtered_groups_then_radios(
    admin: Browser, flavor: Flavor, state_path: Path
) -> None:
    await turn_toggle(admin, flavor, True)
    _, _, view, full = LEVELS[flavor]
    page = await admin.get(f"{EDITOR}&filter=group 1")
    assert text_of(page, "//tr[@data-group]/td[1]") == ["12 Group 12", "13 Group 13"]
    # Like a browser after picking "Set All Groups To": radios left out, one overridden.
    radios = {f"group_{n}": None for n in (12, 13)}
    changes = {**radios, "setall": view, "group_13": full}
    response = await admin.submit(page, "pageAccessForm", changes)
    assert confirmed(response)
    assert load_state(state_path).page_permissions == {
        DDE: {12: "view_only", 13: "full"}
    }


async def test_editor_refuses_unknown_groups(
    admin: Browser, flavor: Flavor, state_path: Path
) -> None:
    await turn_toggle(admin, flavor, True)
    page = await admin.get(EDITOR)
    full = LEVELS[flavor][3]
    response = await admin.submit(
        page, "pageAccessForm", {"group_12": full, "group_99": full}
    )
    assert alert(response) == "Unknown group in group_99"
    assert load_state(state_path).page_permissions == {}
    response = await admin.submit(page, "pageAccessForm", {"group_12": "bogus"})
    assert alert(response) == "Invalid value for group_12: 'bogus'"


async def test_editor_refuses_a_bad_page_path(admin: Browser, flavor: Flavor) -> None:
    await turn_toggle(admin, flavor, True)
    response = await admin.get("/admin/security/pageaccess.html?page=../../etc")
    assert response.status_code == 400


@settings(max_examples=15)
@given(
    flavor=st.sampled_from(["legacy", "modern"]),
    steps=st.lists(
        st.tuples(st.integers(1, 13), st.integers(0, 3)), min_size=1, max_size=5
    ),
)
def test_editor_posts_fold_into_overrides(
    tmp_path_factory: pytest.TempPathFactory,
    flavor: Flavor,
    steps: list[tuple[int, int]],
) -> None:
    """Any sequence of editor posts leaves the last non-default level per group."""
    path = tmp_path_factory.mktemp("fold") / "sim.json"
    state = seed_state(flavor=flavor)
    state.page_toggle = True
    save_state(state, path)
    names = ("group_default", "none", "view_only", "full")

    async def run() -> dict[int, str]:
        browser = Browser(create_app(path))
        await browser.sign_in(DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
        for group, level in steps:
            page = await browser.get(EDITOR)
            changes = {f"group_{group}": LEVELS[flavor][level]}
            assert confirmed(await browser.submit(page, "pageAccessForm", changes))
        page = await browser.get(EDITOR)
        shown = dict(Browser.form_fields(page, "pageAccessForm"))
        await browser.close()
        return {
            n: names[LEVELS[flavor].index(shown[f"group_{n}"])] for n in range(1, 14)
        }

    shown = anyio.run(run)
    expected: dict[int, str] = {}
    for group, level in steps:
        expected[group] = names[level]
    overrides = {g: lv for g, lv in expected.items() if lv != "group_default"}
    assert load_state(path).page_permissions.get(DDE, {}) == overrides
    assert shown == {n: expected.get(n, "group_default") for n in range(1, 14)}
