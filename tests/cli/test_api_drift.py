"""``psconfig plugin`` and ``drift --via api`` against the simulator's plugin API."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from psconfig.drivers.api.fields import GRANTS
from psconfig.sim import load_state, request_log_path, save_state
from psconfig.sim.plugin_api import install_plugin
from psconfig.sim.state import SimAffiliation
from tests.cli.helpers import error_lines, run, state_file

CLIENT_ID = "psconfig-test-client"
SECRET = "Api-Secret-Test-8Jd!2"
NS = "{http://plugin.powerschool.pearson.com}"
API_SPEC = """\
psconfig: 1
name: demo
server:
  url: "sim://demo"
  api: {client_id: "${env:PS_API_CLIENT_ID}", client_secret: "${env:PS_API_SECRET}"}
preset:
  clever-dde-sync:
    group_number: 12
    username: cleversync
    password: ${env:CLEVER_SYNC_PASSWORD}
    allowed_ips: ["192.0.2.10"]
"""


@pytest.fixture(autouse=True)
def _api_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PS_API_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("PS_API_SECRET", SECRET)


def plugin_xml() -> str:
    assert run("plugin", "--out", "pkg").exit_code == 0
    return Path("pkg/plugin.xml").read_text()


def converged(*, page_size: int = 100, xml: str | None = None) -> None:
    """The demo spec applied (through the portal), the plugin installed, logging on."""
    Path("demo.yaml").write_text(API_SPEC)
    applied = run("apply", "demo.yaml", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    install_plugin(
        state_file(),
        xml or plugin_xml(),
        client_id=CLIENT_ID,
        client_secret=SECRET,
        max_page_size=page_size,
    )
    path = state_file()
    save_state(load_state(path).model_copy(update={"request_log": True}), path)


def edit_sync_account(**changes: Any) -> None:
    path = state_file()
    state = load_state(path)
    sync = next(s for s in state.staff if s.teachernumber == "99999")
    for name, value in changes.items():
        setattr(sync, name, value)
    save_state(state, path)


def requested() -> list[str]:
    log = request_log_path(state_file())
    return [json.loads(line)["path"] for line in log.read_text().splitlines()]


def test_the_plugin_package_grants_exactly_what_the_driver_reads() -> None:
    assert run("plugin", "--out", "psconfig.zip").exit_code == 0
    data = Path("psconfig.zip").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["plugin.xml"]  # at the root, no folder
        root = ET.fromstring(archive.read("plugin.xml"))
    assert root.tag == f"{NS}plugin"
    assert [child.tag for child in root] == [
        f"{NS}oauth",
        f"{NS}access_request",
        f"{NS}publisher",
    ]
    fields = [f.attrib for f in root.iter(f"{NS}field")]
    assert {f["access"] for f in fields} == {"ViewOnly"}
    granted = {(f["table"].lower(), f["field"].lower()) for f in fields}
    assert granted == {(t, c) for t, cols in GRANTS.items() for c in cols}
    assert not {c for _, c in granted} & {"password", "teacherloginpw"}
    assert run("plugin", "--out", "again.zip").exit_code == 0
    assert Path("again.zip").read_bytes() == data  # reproducible


@pytest.mark.parametrize(
    ("change", "finding"),
    [
        ({"groupvalue": 9}, "admin_access.default_group"),
        ({"ipaddrrestrict": []}, "admin_access.allowed_ips"),
    ],
)
def test_drift_via_api_flags_escalations_as_critical_without_the_portal(
    change: dict[str, Any], finding: str
) -> None:
    converged()
    edit_sync_account(**change)
    for fmt in ("text", "json", "markdown"):
        result = run("drift", "demo.yaml", "--via", "api", "--format", fmt)
        assert result.exit_code == 2, result.output
        for unseen in ("security group settings", "page permissions"):
            assert unseen in result.stdout, fmt
        assert "CRITICAL" in result.stdout or fmt == "json"
    report = json.loads(
        run("drift", "demo.yaml", "--via", "api", "--format", "json").stdout
    )
    [drifted] = report["changes"]
    assert drifted["severity"] == "escalation"
    assert any(f["path"] == finding for f in drifted["findings"]), drifted["findings"]
    assert report["source"]["kind"] == "plugin_api"
    assert "page permissions" in report["source"]["not_checked"]
    paths = requested()
    assert paths and not [p for p in paths if p.startswith("/admin")]
    assert {p.split("?")[0] for p in paths} <= {
        "/oauth/access_token",
        "/ws/v1/metadata",
        "/ws/schema/table/users",
        "/ws/schema/table/schoolstaff",
    }


def test_a_clean_api_drift_says_it_is_partial() -> None:
    converged(page_size=1)
    result = run("drift", "demo.yaml", "--via", "api")
    assert result.exit_code == 0, result.output
    assert "No drift in what the plugin API can see" in result.stdout
    assert "NOT CHECKED: security group settings, page permissions" in result.stdout


def test_pages_are_read_until_a_short_one() -> None:
    converged(page_size=1)
    edit_sync_account(
        affiliations=[
            SimAffiliation(school=0, active=True, staff_type=2),
            SimAffiliation(school=100, active=True, staff_type=2),
        ]
    )
    report = run("drift", "demo.yaml", "--via", "api", "--format", "json")
    assert report.exit_code == 2, report.output
    [drifted] = json.loads(report.stdout)["changes"]
    assert drifted["changed_paths"] == [["affiliations"]]
    pages = [p for p in requested() if p.startswith("/ws/schema/table/schoolstaff")]
    assert len(pages) == 3  # two rows of one, then an empty page


def test_a_refused_secret_is_one_line_and_never_printed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    converged()
    monkeypatch.setenv("PS_API_SECRET", "Wrong-Secret-3Kq")
    result = run("drift", "demo.yaml", "--via", "api")
    assert result.exit_code == 1, result.output
    assert error_lines(result) == [
        "error: /oauth/access_token: PowerSchool refused the plugin's client ID and "
        "secret (HTTP 401); check server.api and that the plugin is installed and "
        "enabled"
    ]
    assert "Wrong-Secret" not in result.output and CLIENT_ID not in result.output


def test_a_table_the_plugin_was_not_granted_is_a_clear_403() -> None:
    xml = plugin_xml()
    root = ET.fromstring(xml)
    access = root.find(f"{NS}access_request")
    assert access is not None
    for field in list(access):
        if field.get("table") == "SCHOOLSTAFF":
            access.remove(field)
    converged(xml=ET.tostring(root, encoding="unicode"))
    result = run("drift", "demo.yaml", "--via", "api")
    assert result.exit_code == 1, result.output
    [line] = error_lines(result)
    assert line.startswith(
        "error: /ws/schema/table/schoolstaff: the plugin may not read this (HTTP 403)"
    )


def test_a_spec_without_server_api_is_one_line() -> None:
    converged()
    Path("demo.yaml").write_text(
        "\n".join(
            line for line in API_SPEC.splitlines() if not line.startswith("  api:")
        )
        + "\n"
    )
    result = run("drift", "demo.yaml", "--via", "api")
    assert result.exit_code == 1, result.output
    [line] = error_lines(result)
    assert line.endswith("drift --via api needs server.api")


def test_a_literal_client_secret_is_refused_at_its_position() -> None:
    converged()
    Path("demo.yaml").write_text(API_SPEC.replace('"${env:PS_API_SECRET}"', "plain"))
    result = run("drift", "demo.yaml", "--via", "api")
    assert result.exit_code == 1, result.output
    [line] = error_lines(result)
    assert line.startswith("demo.yaml:5:")
    assert "client_secret must be a reference" in line
    assert "plain" not in result.output


def test_sim_install_plugin_takes_the_zip_and_the_client_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    Path("demo.yaml").write_text(API_SPEC)
    assert run("apply", "demo.yaml", "--auto-approve").exit_code == 0
    assert run("plugin", "--out", "pkg").exit_code == 0
    monkeypatch.setenv("PS_API_CLIENT_SECRET", SECRET)
    args = ["sim", "install-plugin", "pkg/psconfig-plugin.zip"]
    installed = run(*args, "--state", str(state_file()))
    assert installed.exit_code == 0, installed.output
    assert "read-only SCHOOLSTAFF (5 columns), USERS (16 columns)" in installed.stdout
    assert SECRET not in installed.output
    assert run("drift", "demo.yaml", "--via", "api").exit_code == 0
    monkeypatch.delenv("PS_API_CLIENT_SECRET")
    missing = run(*args, "--state", str(state_file()))
    assert missing.exit_code == 1
    assert error_lines(missing) == [
        "error: --client-secret-env: environment variable PS_API_CLIENT_SECRET is "
        "not set"
    ]
