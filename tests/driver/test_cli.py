"""``psconfig doctor`` and ``psconfig import`` through the command line."""

from __future__ import annotations

import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest
import stamina
from pydantic import BaseModel, SecretStr
from typer.testing import CliRunner

from psconfig.cli import _register_all, app
from psconfig.drivers.portal import open_portal
from psconfig.drivers.portal.pages.importer import import_scope, integration_state
from psconfig.model import Flavor
from psconfig.sim import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME
from psconfig.spec import dump_spec, load_spec

K = TypeVar("K")
SYNC_PASSWORD = "Sync-Only-For-Tests-1"
SPEC = """\
psconfig: 1
name: district
server: {url: "sim://district?flavor=FLAVOR"}
preset:
  clever-dde-sync:
    password: ${env:CLEVER_SYNC_PASSWORD}
"""


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    _register_all()
    monkeypatch.setenv("PSCONFIG_SIM_DIR", str(tmp_path / "sims"))
    monkeypatch.setenv("PSCONFIG_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    monkeypatch.setenv("CLEVER_SYNC_PASSWORD", SYNC_PASSWORD)
    for name in ("PS_ADMIN_USER", "PS_ADMIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def test_doctor_all_green_on_a_sim(cli: CliRunner, flavor: Flavor) -> None:
    result = cli.invoke(app, ["doctor", "--server", f"sim://doc?flavor={flavor}"])
    assert result.exit_code == 0, result.output
    assert "Access Level" in result.stdout and "skipped" in result.stdout
    assert result.stdout.splitlines()[0] == (
        f"doctor: all checks passed (flavor {flavor}, PowerSchool "
        + ("23.10.0.2)" if flavor == "legacy" else "25.3.0.1)")
    )


def test_doctor_problems_only_lists_just_the_problems(cli: CliRunner) -> None:
    full = cli.invoke(app, ["doctor", "--server", "sim://doc"])
    result = cli.invoke(app, ["doctor", "--server", "sim://doc", "--problems-only"])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith("doctor: all checks passed")
    assert first == full.stdout.splitlines()[0]
    assert "Access Level" in full.stdout and "Access Level" not in result.stdout
    assert result.stdout.splitlines()[1:] == ["no check failed or warned"]


def test_doctor_problems_only_keeps_the_failed_check(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PS_ADMIN_USER", "admin")
    monkeypatch.setenv("PS_ADMIN_PASSWORD", "x")
    with stamina.set_testing(True, attempts=2):  # no real backoff waits
        result = cli.invoke(
            app, ["doctor", "--server", "http://127.0.0.1:9", "--problems-only"]
        )
    assert result.exit_code == 1
    assert result.stdout.startswith("doctor: 1 of 1 checks failed")
    assert "reachability" in result.stdout and "cannot reach" in result.stdout


def test_doctor_capture_and_insecure_warning(cli: CliRunner, tmp_path: Path) -> None:
    capture = tmp_path / "capture"
    result = cli.invoke(
        app,
        ["doctor", "--server", "sim://doc", "--capture", str(capture), "--insecure"],
    )
    assert result.exit_code == 0, result.output
    assert "warning: TLS certificate verification is off (--insecure)" in result.stderr
    assert f"files in {capture} (redacted; review before sharing)" in result.stdout
    files = list(capture.iterdir())
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert DEMO_ADMIN_PASSWORD not in "".join(f.read_text() for f in files)


def test_doctor_wrong_password_exits_1_with_the_refusal(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_PW", "wrong-password")
    result = cli.invoke(
        app, ["doctor", "--server", "sim://doc", "--password-env", "MY_PW"]
    )
    assert result.exit_code == 1
    assert "Invalid Username or Password" in result.stdout
    assert "wrong-password" not in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "error: no admin username: pass --username or set $PS_ADMIN_USER"),
        (
            {"PS_ADMIN_USER": "admin"},
            "error: no admin password: set $PS_ADMIN_PASSWORD (passwords are never "
            "taken as flags)",
        ),
    ],
)
def test_real_server_needs_credentials_from_the_environment(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for command in ("doctor", "import"):
        result = cli.invoke(app, [command, "--server", "https://ps.example.invalid"])
        assert result.exit_code == 1
        assert result.stderr.strip() == message


def test_doctor_unreachable_server_fails_its_first_check(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PS_ADMIN_USER", "admin")
    monkeypatch.setenv("PS_ADMIN_PASSWORD", "x")
    with stamina.set_testing(True, attempts=2):  # no real backoff waits
        result = cli.invoke(app, ["doctor", "--server", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "reachability" in result.stdout and "cannot reach" in result.stdout
    assert "1 of 1 checks failed" in result.stdout


def test_import_of_a_configured_server_plans_empty(
    cli: CliRunner, tmp_path: Path, flavor: Flavor
) -> None:
    spec = tmp_path / "district.yaml"
    spec.write_text(SPEC.replace("FLAVOR", flavor))
    applied = cli.invoke(app, ["apply", str(spec), "--auto-approve"])
    assert applied.exit_code == 0, applied.output

    out = tmp_path / "imported.yaml"
    url = f"sim://district?flavor={flavor}"
    result = cli.invoke(app, ["import", "--server", url, "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "Read-Only Export" in text and "cleversync" in text
    assert "name: district" in text and f"flavor: {flavor}" in text
    desired = load_spec(out).desired(resolve_secrets=False)
    assert set(desired.groups) == {12}  # not the built-ins, nor unused Group 13
    assert {s.admin_access.username for s in desired.staff.values()} == {
        "admin",
        "cleversync",
    }

    planned = cli.invoke(app, ["plan", str(out)])
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.stdout


def test_import_writes_to_stdout(cli: CliRunner) -> None:
    result = cli.invoke(
        app, ["import", "--server", "sim://fresh", "--name", "springfield"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Imported by `psconfig import` from sim://fresh.")
    assert "name: springfield" in result.stdout


@pytest.mark.anyio
async def test_import_round_trip_desired_equals_live(
    tmp_path: Path, flavor: Flavor
) -> None:
    url = f"sim://rt?flavor={flavor}"
    async with open_portal(
        url,
        DEMO_ADMIN_USERNAME,
        SecretStr(DEMO_ADMIN_PASSWORD),
        sim_dir=tmp_path / "sims",
    ) as drv:
        live = integration_state(
            await drv.read(import_scope(drv.dde_pages)), drv.map.builtin_groups
        )
    path = tmp_path / "rt.yaml"
    path.write_text(dump_spec(live, name="rt", url=url, flavor=flavor))
    desired = load_spec(path).desired(resolve_secrets=False)
    assert _dump(desired.groups) == _dump(live.groups)
    assert _dump(desired.staff) == _dump(live.staff)
    managed = {page: levels for page, levels in live.page_permissions.items() if levels}
    assert desired.page_permissions == managed


def _dump(items: Mapping[K, BaseModel]) -> dict[K, dict[str, Any]]:
    """Field values only: desired objects also remember which fields were set."""
    return {key: value.model_dump() for key, value in items.items()}
