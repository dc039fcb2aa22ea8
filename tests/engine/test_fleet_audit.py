"""A fleet apply refused because another apply holds the lock is audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from psconfig.cli.common import state_home
from psconfig.engine.applying.lock import target_lock
from psconfig.engine.applying.plan_and_apply import ApplyOptions
from psconfig.engine.fleet.runner import FleetOptions, apply_fleet
from psconfig.engine.planning.plan import Plan
from tests.engine.builders import FakeSpec
from tests.engine.fakes import FakeDriver


def approve(plan: Plan) -> bool:
    return True


def fleet(driver: FakeDriver) -> FleetOptions[FakeSpec]:
    return FleetOptions(
        load=lambda path: FakeSpec(path=path),
        open_driver=lambda spec: driver,
        target_url=lambda spec: "sim://fake",
    )


async def apply_locked(log: Path, driver: FakeDriver) -> tuple[str, str | None]:
    calls: list[Path] = []

    def options_for(spec: FakeSpec) -> ApplyOptions:
        calls.append(spec.path)
        return ApplyOptions(review=approve, audit_path=log, os_user="ops")

    with target_lock("sim://fake", state_home(), timeout=1):
        result = await apply_fleet(
            [Path("district.yaml")],
            fleet(driver),
            options_for,
            lock_dir=state_home(),
            lock_timeout=0.05,
        )
    assert calls == [Path("district.yaml")]  # once per district
    (district,) = result.districts
    assert result.exit_code == 3
    return district.result, district.error


@pytest.mark.anyio
async def test_a_held_lock_leaves_a_refused_record() -> None:
    log = Path("audit.jsonl")
    driver = FakeDriver()
    result, error = await apply_locked(log, driver)
    assert result == "refused"
    assert (
        error is not None
        and "another psconfig run (apply, plan or drift) holds the lock" in error
    )
    assert driver.entered == 0 and driver.writes == []  # never signed in
    (record,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert record["event"] == "refused"
    assert (
        "another psconfig run (apply, plan or drift) holds the lock for sim://fake"
        in record["error"]
    )
    assert record["target"] == {
        "url": "sim://fake",
        "powerschool_version": "",
        "username": "",
    }
    assert record["operator"] == {"os_user": "ops", "username": ""}
    assert record["spec"]["path"] == "district.yaml"


@pytest.mark.anyio
async def test_an_unwritable_audit_log_keeps_the_refusal_and_says_so() -> None:
    Path("file").write_text("")
    result, error = await apply_locked(Path("file/audit.jsonl"), FakeDriver())
    assert result == "refused"
    assert error is not None
    first, second = error.splitlines()
    assert "another psconfig run (apply, plan or drift) holds the lock" in first
    assert second.startswith("warning: cannot write the audit log file/audit.jsonl")
