"""The state file: seed, round trip, validation, sim:// URLs, shared files."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import psconfig.sim
from psconfig.sim import (
    DEMO_ADMIN_PASSWORD,
    DEMO_ADMIN_USERNAME,
    SimState,
    SimStateError,
    app_for_url,
    create_app,
    load_state,
    save_state,
    seed_state,
    state_path_for,
)
from psconfig.sim import state as state_models
from psconfig.sim.state import Flavor
from tests.sim.browser import Browser, confirmed

GUIDE = [
    (1, "Unassigned", "no_access"),
    (2, "Admin", "view_and_modify"),
    (3, "Counselors", "view_and_modify"),
    (4, "Registrar", "view_and_modify"),
    (5, "Nurse", "view_and_modify"),
    (6, "Resource Officer", "view_only"),
    (7, "Teachers", "view_and_modify"),
    (8, "View Only", "view_and_modify"),
    (9, "Administrator", "view_and_modify"),
    (10, "Principal", "view_and_modify"),
    (11, "SPED Teachers", "view_only"),
    (12, "Group 12", "view_only"),
    (13, "Group 13", "view_only"),
]


def test_seed_matches_the_guide(flavor: Flavor) -> None:
    state = seed_state(flavor=flavor)
    assert [(g.number, g.name, g.access_level) for g in state.groups] == GUIDE
    assert {g.report_queue_priority for g in state.groups} == {0}
    assert state.schools == {
        0: "District Office",
        100: "Springfield High",
        200: "Lincoln Elementary",
    }
    assert state.incident_types == {
        "BUL": "Bullying",
        "FGT": "Fighting",
        "TRD": "Tardy",
        "VAN": "Vandalism",
    }
    assert not state.page_toggle and state.page_permissions == {}
    admin = state.staff_by_login(DEMO_ADMIN_USERNAME)
    assert admin is not None and admin.teachernumber == "1" and admin.groupvalue == 9
    assert [(r.school, r.group) for r in admin.roles] == [(0, None)]
    assert admin.password is not None
    assert (admin.password.pcas_b64_md5 is not None) is (flavor == "legacy")
    assert state.version == ("23.10.0.2" if flavor == "legacy" else "25.3.0.1")
    assert seed_state(flavor=flavor, version="24.1.0.0").version == "24.1.0.0"


def test_round_trip_and_no_plain_passwords(tmp_path: Path, flavor: Flavor) -> None:
    state = seed_state(flavor=flavor)
    path = tmp_path / "deep" / "s.json"
    save_state(state, path)
    assert load_state(path) == state
    text = path.read_text()
    assert DEMO_ADMIN_PASSWORD not in text
    assert json.loads(text)["flavor"] == flavor
    assert [p.name for p in path.parent.iterdir()] == ["s.json"]  # no temporary left


@given(
    name=st.text(min_size=1, max_size=60).filter(str.strip), priority=st.integers(0, 9)
)
def test_round_trip_property(
    tmp_path_factory: pytest.TempPathFactory, name: str, priority: int
) -> None:
    state = seed_state()
    state.groups[11].name, state.groups[11].report_queue_priority = name, priority
    state.page_permissions["/admin/tech/dde/home.html"] = {12: "full"}
    path = tmp_path_factory.mktemp("rt") / "s.json"
    save_state(state, path)
    assert load_state(path) == state


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "invalid simulator state at (top level)"),
        ('{"flavor": "modern"}', "invalid simulator state at version: Field required"),
        ("EXTRA", "invalid simulator state at bogus: Extra inputs are not permitted"),
        ("GAP", "groups must be numbered 1..N in order"),
        ("DUP", "duplicate staff loginid 'admin'"),
    ],
)
def test_invalid_state_files_name_the_problem(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    data = json.loads(seed_state().model_dump_json())
    if content == "EXTRA":
        data["bogus"] = 1
    elif content == "GAP":
        del data["groups"][3]
    elif content == "DUP":
        data["staff"][1]["loginid"] = "Admin"
    path.write_text(json.dumps(data) if content.isupper() else content)
    with pytest.raises(SimStateError) as caught:
        load_state(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_state_file(tmp_path: Path) -> None:
    with pytest.raises(SimStateError, match="simulator state file not found"):
        create_app(tmp_path / "none.json")


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("sim://demo", "demo.json"),
        ("sim://demo/?flavor=legacy", "demo.json"),
        ("sim://a.b-c_1", "a.b-c_1.json"),
    ],
)
def test_state_path_for(tmp_path: Path, url: str, name: str) -> None:
    assert state_path_for(url, tmp_path) == tmp_path / name


@pytest.mark.parametrize(
    "url",
    [
        "http://demo",
        "sim://",
        "sim://../x",
        "sim://demo/sub",
        "sim://demo?flavor=old",
        "sim://demo?x=1",
    ],
)
def test_bad_sim_urls(tmp_path: Path, url: str) -> None:
    with pytest.raises(SimStateError) as caught:
        state_path_for(url, tmp_path)
    assert str(caught.value).startswith(url)


def test_app_for_url_seeds_once(tmp_path: Path) -> None:
    app = app_for_url("sim://demo?flavor=legacy", tmp_path / "sims")
    assert app.state_path == tmp_path / "sims" / "demo.json"
    assert app.state.flavor == "legacy"
    assert app_for_url("sim://demo", tmp_path / "sims").state.flavor == "legacy"
    with pytest.raises(SimStateError, match="holds a legacy simulator"):
        app_for_url("sim://demo?flavor=modern", tmp_path / "sims")
    assert app_for_url("sim://other", tmp_path / "sims").state.flavor == "modern"


def test_app_state_is_a_copy(tmp_path: Path) -> None:
    app = app_for_url("sim://copy", tmp_path)
    app.state.groups[0].name = "Changed"
    assert app.state.groups[0].name == "Unassigned"


@pytest.mark.anyio
async def test_two_apps_on_one_file_stay_consistent(state_path: Path) -> None:
    one, two = create_app(state_path), create_app(state_path)
    first, second = Browser(one), Browser(two)
    for browser in (first, second):
        await browser.sign_in(DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    page = await first.get("/admin/security/groups/edit.html?group=12")
    assert confirmed(await first.submit(page, "groupForm", {"name": "From One"}))
    page = await second.get("/admin/security/groups/edit.html?group=12")
    assert ("name", "From One") in Browser.form_fields(page, "groupForm")
    assert confirmed(await second.submit(page, "groupForm", {"name": "From Two"}))
    assert one.state.groups[11].name == "From Two"
    # A test (or a person) rewriting the file is seen on the next request.
    state = load_state(state_path)
    state.groups[11].name = "From File"
    save_state(state, state_path)
    page = await first.get("/admin/security/groups/edit.html?group=12")
    assert ("name", "From File") in Browser.form_fields(page, "groupForm")
    await first.close()
    await second.close()


def test_sim_never_imports_the_driver() -> None:
    package = Path(psconfig.sim.__file__).parent
    for module in package.glob("*.py"):
        tree = ast.parse(module.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.startswith("psconfig.drivers"), module.name
                assert not name.startswith(("httpx", "lxml")), module.name
            if isinstance(node, ast.ImportFrom | ast.Import) and any(
                n.startswith("uvicorn") for n in names
            ):
                assert module.name == "serve.py"


def test_every_state_key_is_documented_in_the_simulator_page() -> None:
    page = Path(psconfig.sim.__file__).parents[2] / "docs" / "simulator.md"
    readme = page.read_text()
    section = readme.split("<!-- BEGIN:sim -->")[1].split("<!-- END:sim -->")[0]
    models: list[type[state_models.SimModel]] = [
        SimState,
        state_models.SimSettings,
        state_models.SimFaults,
        state_models.SimGroup,
        state_models.SimHealth,
        state_models.SimStaff,
        state_models.SimAffiliation,
        state_models.SimRole,
        state_models.PasswordHash,
        state_models.SimStudent,
    ]
    for model in models:
        for key in model.model_fields:
            assert f"`{key}`" in section, f"{model.__name__}.{key} is not documented"
