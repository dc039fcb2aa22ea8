"""Turning admin sign-in on for an existing account sets its password in the same save.

PowerSchool refuses to enable sign-in for an account that has no password, so a spec
that enables a previously disabled sync account must carry its password along.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from psconfig.cli import _register_all, app
from psconfig.drivers.portal import open_portal
from tests.engine.builders import CANARY

SIM_DIR = Path(".psconfig") / "sim"
DISABLED = """\
psconfig: 1
name: demo
server: {url: "sim://demo"}
staff:
  - id: "99999"
    last_name: Sync
    first_name: Clever
    admin_access: {enabled: false}
"""
ENABLED = """\
psconfig: 1
name: demo
server: {url: "sim://demo"}
preset:
  clever-dde-sync:
    group_number: 12
    username: cleversync
    password: ${env:CLEVER_SYNC_PASSWORD}
"""

_register_all()


def signs_in(username: str, password: str) -> bool:
    async def attempt() -> bool:
        portal = open_portal(
            "sim://demo", username, SecretStr(password), sim_dir=SIM_DIR
        )
        async with portal as driver:
            return driver.info.username == username

    return asyncio.run(attempt())


def test_enabling_sign_in_later_sets_the_password_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLEVER_SYNC_PASSWORD", CANARY)
    runner = CliRunner()
    Path("spec.yaml").write_text(DISABLED)
    created = runner.invoke(app, ["apply", "spec.yaml", "--auto-approve"])
    assert created.exit_code == 0, created.output

    Path("spec.yaml").write_text(ENABLED)
    plan = runner.invoke(app, ["plan", "spec.yaml"])
    assert plan.exit_code == 2, plan.output
    assert "admin_access.password: (sensitive, from ${env:CLEVER_SYNC_PASSWORD})" in (
        plan.output
    )
    assert CANARY not in plan.output

    applied = runner.invoke(app, ["apply", "spec.yaml", "--auto-approve"])
    assert applied.exit_code == 0, applied.output
    assert CANARY not in applied.output
    assert signs_in("cleversync", CANARY)
    assert runner.invoke(app, ["plan", "spec.yaml"]).exit_code == 0
