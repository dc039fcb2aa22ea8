"""The probes file: valid, true to the guide, and every page real on the simulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from psconfig.drivers.portal import open_portal
from psconfig.drivers.portal.pages.probes import Probe, load_probes, parse_probes
from psconfig.errors import DriverError
from psconfig.sim import (
    DEMO_ADMIN_PASSWORD,
    DEMO_ADMIN_USERNAME,
    create_app,
    save_state,
    seed_state,
)

PROBES = load_probes()


def by_prefix(prefix: str) -> list[Probe]:
    return [p for p in PROBES if p.id.startswith(prefix)]


def test_the_bundled_probes_cover_what_the_guide_allows_and_forbids() -> None:
    allowed = {p.id for p in PROBES if p.expect == "allowed"}
    assert allowed == {"dde-home", "dde-export-page", "dde-export-records"}
    export = next(p for p in PROBES if p.export is not None)
    assert (export.export and export.export.min_records) == 1
    logs = {p.path.rsplit("=", 1)[1] for p in by_prefix("log-")}
    assert {"discipline", "health", "counselor", "attendance"} <= logs
    assert len(by_prefix("health-")) == 4
    assert by_prefix("powerscheduler")
    assert {p.path for p in by_prefix("staff-")} >= {
        "/admin/faculty/search.html",
        "/admin/faculty/new.html",
    }
    security = " ".join(p.path for p in by_prefix("security-"))
    for page in ("groups/", "pageaccess.html", "changepageaccesspriv.html"):
        assert page in security
    writes = [p for p in PROBES if p.method == "POST" and p.export is None]
    assert writes and all(p.expect == "denied" for p in writes)
    assert any("groups/edit.html" in p.path for p in writes)
    for probe in PROBES:
        assert probe.reason.startswith("guide "), probe.id


@pytest.mark.anyio
async def test_every_probe_page_exists_for_an_administrator(tmp_path: Path) -> None:
    """Denied must mean denied, not missing: the demo administrator opens them all."""
    state = seed_state()
    state.page_toggle = True  # the page-access editor answers only while it is on
    path = tmp_path / "probe.json"
    save_state(state, path)
    admin = open_portal(
        "sim://probe",
        DEMO_ADMIN_USERNAME,
        SecretStr(DEMO_ADMIN_PASSWORD),
        app=create_app(path),
    )
    async with admin:
        own = state.staff[0]  # the administrator's own record stands in for {frn}
        frn = await admin.staff_record(own.teachernumber)
        assert frn == f"005{own.dcid}"
        for probe in PROBES:
            resolved = probe.resolved_path(12, frn)
            assert resolved is not None
            assert await admin.probe(resolved) == 200, probe.id


def test_group_placeholder() -> None:
    edit = next(p for p in PROBES if p.id == "security-group-edit")
    assert edit.resolved_path(14) == "/admin/security/groups/edit.html?group=14"
    assert edit.resolved_path(None) is None
    home = next(p for p in PROBES if p.id == "dde-home")
    assert home.resolved_path(None) == "/admin/tech/dde/home.html"


def test_frn_placeholder() -> None:
    own = next(p for p in PROBES if p.id == "staff-admin-access-self")
    path = "/admin/faculty/security/adminaccess.html?frn=005123"
    assert own.resolved_path(None, "005123") == path
    assert own.resolved_path(12, None) is None
    assert own.resolved_path(12, "0&x=1") == path.replace("005123", "0%26x%3D1")


def _file(**probe: Any) -> str:
    base = {
        "id": "p",
        "description": "d",
        "path": "/admin/x.html",
        "expect": "denied",
        "reason": "guide 2",
    }
    return json.dumps({"format": 1, "probes": [{**base, **probe}]})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            _file(method="GET", data={"a": "1"}),
            "probes[p] is invalid: Value error, data is",
        ),
        (
            _file(path="/students/x.html"),
            "probes[p].path is invalid: Value error, a probe",
        ),
        (_file(path="/admin/{school}.html"), "unknown placeholder(s) ['school']"),
        (_file(export={"table": "students"}), "an export probe proves what is allowed"),
        (_file(colour="red"), "probes[p].colour is invalid: Extra inputs"),
        (_file(expect="maybe"), "probes[p].expect is invalid: Input should be"),
        (_file(id="Bad Id"), "probes[Bad Id].id is invalid: String should"),
        (
            json.dumps({"format": 1, "probes": [json.loads(_file())["probes"][0]] * 2}),
            "probe id 'p' is used twice",
        ),
        ('{"format": 2, "probes": []}', "probes.json: format is invalid"),
        ("not json", "probes.json: (top level) is invalid: Invalid JSON"),
    ],
)
def test_a_bad_probes_file_names_the_probe_and_key(text: str, message: str) -> None:
    with pytest.raises(DriverError) as caught:
        parse_probes(text, source="maps/probes.json")
    assert message in str(caught.value)
    assert str(caught.value).startswith("maps/probes.json: ")
