"""Real results to report on: a small fleet run against sim:// districts.

Built once per session (plan, apply, drift and verify take a few seconds), in a
directory of its own: springfield drifted after apply (its Clever group was widened
to health logs, a privilege escalation, and renamed by someone to a string of HTML),
and its verify fails; lincoln is clean; shelbyville cannot run (its spec names a
plain http:// server off loopback).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from psconfig.cli import _register_all, app
from psconfig.sim import SimState, load_state, save_state, state_path_for
from tests.fleet.helpers import SPEC

HOSTILE = '<img src=x onerror="alert(1)">&amp;</td>'


@dataclass(frozen=True)
class Evidence:
    """The JSON documents of one run, and where they are."""

    root: Path
    drift: Path  # the fleet's drift document (3 districts)
    verify: Path  # springfield's verify report (fails)
    plan: Path  # lincoln's plan (no changes)


def cli(*args: str, stdin: str | None = None) -> Result:
    """The CLI, in process, with the sync account's password set."""
    _register_all()
    env = {"CLEVER_SYNC_PASSWORD": "report-test-Cl3ver-sync"}
    return CliRunner().invoke(app, list(args), env=env, input=stdin)


def _widen_and_rename(sim_dir: Path) -> None:
    """What someone did by hand in springfield's PowerSchool."""
    path = state_path_for("sim://springfield", sim_dir)
    data: dict[str, Any] = load_state(path).model_dump(mode="json")
    [group] = [g for g in data["groups"] if g["number"] == 12]
    group["log_types"].append("health")
    group["name"] = HOSTILE
    save_state(SimState.model_validate(data), path)


def _write(path: Path, result: Result, *expected: int) -> Path:
    assert result.exit_code in expected, result.output
    path.write_text(result.stdout)
    json.loads(result.stdout)  # a whole document
    return path


@pytest.fixture(scope="session")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Evidence]:
    root = tmp_path_factory.mktemp("evidence")
    specs = root / "specs"
    specs.mkdir()
    for name, url in [
        ("springfield", "sim://springfield"),
        ("shelbyville", "http://ps.shelbyville.example"),
        ("lincoln", "sim://lincoln"),
    ]:
        (specs / f"{name}.yaml").write_text(SPEC.format(name=name, url=url))
    with pytest.MonkeyPatch.context() as patch, contextlib.chdir(root):
        patch.setenv("PSCONFIG_SIM_DIR", str(root / "sim"))
        good = ["specs/springfield.yaml", "specs/lincoln.yaml"]
        assert cli("apply", *good, "--auto-approve").exit_code == 0
        _widen_and_rename(root / "sim")
        drift = cli(
            "drift",
            "specs/springfield.yaml",
            "specs/shelbyville.yaml",
            "specs/lincoln.yaml",
            "--format",
            "json",
        )
        verify = cli("verify", "specs/springfield.yaml", "--format", "json")
        plan = cli("plan", "specs/lincoln.yaml", "--format", "json")
        yield Evidence(
            root=root,
            drift=_write(root / "drift.json", drift, 1),
            verify=_write(root / "verify.json", verify, 1),
            plan=_write(root / "plan.json", plan, 0),
        )
