"""Apply against the in-memory fake: convergence, idempotence, failures, audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from psconfig.engine.applying.plan_and_apply import (
    ApplyCancelled,
    ApplyOptions,
    apply_spec,
    plan_spec,
)
from psconfig.engine.planning.plan import Plan
from psconfig.engine.planning.safety import Intents
from psconfig.errors import (
    ApplyError,
    DriverError,
    RefusedError,
    ServerRefusedError,
    StalePlanError,
    UnsafeChangeError,
    WriteNotAppliedError,
)
from psconfig.model import (
    CreateStaff,
    DeactivateStaff,
    DeleteStaff,
    Desired,
    Op,
    SetPagePermissions,
    SetPageToggle,
)
from tests.engine.builders import (
    CANARY,
    DDE_HOME,
    FakeSpec,
    clever_desired,
    clever_staff,
)
from tests.engine.fakes import FakeDriver


def approve(plan: Plan) -> bool:
    return True


OPTIONS = ApplyOptions(review=approve)


@pytest.mark.anyio
async def test_apply_converges_and_second_apply_writes_nothing() -> None:
    driver = FakeDriver()
    spec = FakeSpec()
    first = await apply_spec(spec, driver, OPTIONS)
    assert [o.outcome for o in first.outcomes] == ["applied"] * 6
    assert driver.state.page_toggle is False  # bracket restored
    assert driver.state.page_permissions[DDE_HOME] == {12: "full"}
    assert driver.passwords["99999"].get_secret_value() == CANARY
    writes = len(driver.writes)
    again = await apply_spec(spec, driver, OPTIONS)
    assert again.outcomes == ()
    assert len(driver.writes) == writes
    assert not (await plan_spec(spec, driver)).has_changes


@pytest.mark.anyio
async def test_plan_never_resolves_secrets() -> None:
    driver = FakeDriver()
    plan = await plan_spec(FakeSpec(), driver)
    create = next(c for c in plan.changes if isinstance(c.op, CreateStaff))
    assert isinstance(create.op, CreateStaff) and create.op.password is None
    assert create.password_ref == "${env:CLEVER_SYNC_PASSWORD}"


@pytest.mark.anyio
async def test_failure_stops_but_restores_the_toggle() -> None:
    def fail(op: Op) -> DriverError | None:
        if isinstance(op, SetPagePermissions) and op.page == DDE_HOME:
            return WriteNotAppliedError(page="pageaccess.html", field="group_12")
        return None

    driver = FakeDriver(fail=fail)
    with pytest.raises(ApplyError) as caught:
        await apply_spec(FakeSpec(), driver, OPTIONS)
    err = caught.value
    assert err.applied == (
        "group.12",
        "page_toggle [enable (temporary)]",
        'page_permissions["/admin/tech/dde/exportrecords.html"]',
        "page_toggle [restore off]",
    )
    assert err.not_applied == (
        'page_permissions["/admin/tech/dde/home.html"]',
        'staff["99999"]',
    )
    assert "apply stopped at page_permissions" in str(err)
    assert "group_12" in str(err)
    assert driver.state.page_toggle is False
    assert "99999" not in driver.state.staff


@pytest.mark.anyio
async def test_interrupted_apply_still_restores_the_toggle() -> None:
    def interrupt(op: Op) -> DriverError | None:
        if isinstance(op, CreateStaff):
            raise KeyboardInterrupt
        return None

    driver = FakeDriver(fail=interrupt)
    with pytest.raises(KeyboardInterrupt):
        await apply_spec(FakeSpec(), driver, OPTIONS)
    assert driver.writes[-1] == SetPageToggle(on=False)
    assert driver.state.page_toggle is False


@pytest.mark.anyio
async def test_refused_delete_falls_back_to_deactivate() -> None:
    driver = FakeDriver(undeletable=frozenset({"99999"}))
    driver.state = driver.state.model_copy(
        update={"staff": {**driver.state.staff, "99999": clever_staff()}}
    )
    spec = FakeSpec(Desired(absent_staff=frozenset({"99999"})))
    options = ApplyOptions(
        review=approve, intents=Intents(lower_access=True, remove_staff=True)
    )
    result = await apply_spec(spec, driver, options)
    (outcome,) = result.outcomes
    assert outcome.outcome == "applied"
    assert outcome.note is not None and "deactivated instead" in outcome.note
    assert [type(op) for op in driver.writes] == [DeleteStaff, DeactivateStaff]
    assert driver.state.staff["99999"].status == "no_longer_here"


@pytest.mark.anyio
async def test_delete_and_deactivate_both_refused_is_a_failure() -> None:
    def refuse(op: Op) -> DriverError | None:
        if isinstance(op, DeleteStaff | DeactivateStaff):
            return ServerRefusedError("nope")
        return None

    driver = FakeDriver(fail=refuse)
    driver.state = driver.state.model_copy(
        update={"staff": {**driver.state.staff, "99999": clever_staff()}}
    )
    spec = FakeSpec(Desired(absent_staff=frozenset({"99999"})))
    with pytest.raises(ApplyError, match="deactivating failed too"):
        await apply_spec(
            spec,
            driver,
            ApplyOptions(
                review=approve, intents=Intents(lower_access=True, remove_staff=True)
            ),
        )


@pytest.mark.anyio
async def test_declined_review_changes_nothing() -> None:
    driver = FakeDriver()
    with pytest.raises(ApplyCancelled):
        await apply_spec(FakeSpec(), driver, ApplyOptions(review=lambda plan: False))
    assert driver.writes == []


@pytest.mark.anyio
async def test_audit_log_records_every_change_and_no_secret(tmp_path: Path) -> None:
    log = tmp_path / "audit" / "audit.jsonl"

    def fail(op: Op) -> DriverError | None:
        return DriverError("boom") if isinstance(op, CreateStaff) else None

    options = ApplyOptions(review=approve, audit_path=log, os_user="ops")
    with pytest.raises(ApplyError):
        await apply_spec(FakeSpec(), FakeDriver(fail=fail), options)
    text = log.read_text()
    assert CANARY not in text
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["event"] for r in records] == ["start"] + ["change"] * 6 + ["end"]
    outcomes = [(r["address"], r["outcome"]) for r in records[1:-1]]
    assert outcomes[4] == ('staff["99999"]', "failed")
    assert outcomes[5] == ("page_toggle", "applied")
    assert records[5]["error"] == "boom"
    assert records[-1]["outcome"] == "failed"
    for record in records:
        assert record["operator"] == {"os_user": "ops", "username": "admin"}
        assert record["spec"]["digest"] == FakeSpec().digest
        assert record["target"]["url"] == "sim://fake"
        assert record["time"].endswith("Z")


@pytest.mark.anyio
async def test_audit_records_a_clean_apply_and_a_refusal(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    driver = FakeDriver()
    await apply_spec(FakeSpec(), driver, ApplyOptions(review=approve, audit_path=log))
    await apply_spec(FakeSpec(), driver, ApplyOptions(review=approve, audit_path=log))
    removal = FakeSpec(clever_desired(absent_staff=frozenset({"99999"}), staff={}))
    with pytest.raises(UnsafeChangeError):
        await apply_spec(removal, driver, ApplyOptions(review=approve, audit_path=log))
    events = [json.loads(line)["event"] for line in log.read_text().splitlines()]
    assert events[-3:] == ["start", "end", "refused"]


@pytest.mark.anyio
async def test_driver_notes_from_the_read_appear_once_in_the_plan() -> None:
    driver = FakeDriver()
    first = await plan_spec(FakeSpec(), driver)
    second = await plan_spec(FakeSpec(), driver)
    note = "turned the toggle on briefly to read page permissions"
    assert first.notes.count(note) == 1
    assert second.notes.count(note) == 1


@pytest.mark.anyio
async def test_progress_is_reported_per_change() -> None:
    seen: list[str] = []
    options = ApplyOptions(
        review=approve,
        on_outcome=lambda change, outcome: seen.append(outcome.label),
    )
    await apply_spec(FakeSpec(), FakeDriver(), options)
    assert seen[0] == "group.12"
    assert seen[-1] == "page_toggle [restore off]"


@pytest.mark.anyio
async def test_failed_enable_is_still_restored() -> None:
    """The enable may have landed before it failed: restore anyway."""

    def fail(op: Op) -> DriverError | None:
        if op == SetPageToggle(on=True):
            return DriverError("read-back timed out")
        return None

    driver = FakeDriver(fail=fail)
    with pytest.raises(ApplyError) as caught:
        await apply_spec(FakeSpec(), driver, OPTIONS)
    assert driver.writes[-1] == SetPageToggle(on=False)
    assert caught.value.applied == ("group.12", "page_toggle [restore off]")


@pytest.mark.anyio
async def test_interrupt_during_enable_still_restores() -> None:
    def interrupt(op: Op) -> DriverError | None:
        if op == SetPageToggle(on=True):
            raise KeyboardInterrupt
        return None

    driver = FakeDriver(fail=interrupt)
    with pytest.raises(KeyboardInterrupt):
        await apply_spec(FakeSpec(), driver, OPTIONS)
    assert driver.writes[-1] == SetPageToggle(on=False)


def _toggle_on(driver: FakeDriver) -> FakeDriver:
    driver.state = driver.state.model_copy(update={"page_toggle": True})
    return driver


@pytest.mark.anyio
async def test_toggle_left_on_is_turned_off_by_the_next_apply() -> None:
    driver = _toggle_on(FakeDriver())
    result = await apply_spec(FakeSpec(), driver, OPTIONS)
    assert result.outcomes[-1].label == "page_toggle [turn off]"
    assert SetPageToggle(on=True) not in driver.writes  # no bracket needed
    assert driver.state.page_toggle is False
    assert not (await plan_spec(FakeSpec(), driver)).has_changes


@pytest.mark.anyio
@pytest.mark.parametrize("toggle", ["during_apply", "off"])
async def test_permanent_turn_off_runs_after_a_failed_page_write(toggle: str) -> None:
    def fail(op: Op) -> DriverError | None:
        if isinstance(op, SetPagePermissions) and op.page == DDE_HOME:
            return WriteNotAppliedError(page="pageaccess.html", field="group_12")
        return None

    driver = _toggle_on(FakeDriver(fail=fail))
    spec = FakeSpec(clever_desired(toggle=toggle))
    with pytest.raises(ApplyError) as caught:
        await apply_spec(spec, driver, OPTIONS)
    assert caught.value.applied[-1] == "page_toggle [turn off]"
    assert 'staff["99999"]' in caught.value.not_applied
    assert driver.writes[-1] == SetPageToggle(on=False)
    assert driver.state.page_toggle is False


@pytest.mark.anyio
async def test_interrupted_apply_still_turns_a_toggle_found_on_off() -> None:
    def interrupt(op: Op) -> DriverError | None:
        if isinstance(op, CreateStaff):
            raise KeyboardInterrupt
        return None

    driver = _toggle_on(FakeDriver(fail=interrupt))
    with pytest.raises(KeyboardInterrupt):
        await apply_spec(FakeSpec(), driver, OPTIONS)
    assert driver.writes[-1] == SetPageToggle(on=False)
    assert driver.state.page_toggle is False


@pytest.mark.anyio
async def test_toggle_on_spec_is_not_turned_off_after_a_failure() -> None:
    def fail(op: Op) -> DriverError | None:
        return DriverError("boom") if isinstance(op, SetPagePermissions) else None

    driver = FakeDriver(fail=fail)
    with pytest.raises(ApplyError):
        await apply_spec(FakeSpec(clever_desired(toggle="on")), driver, OPTIONS)
    assert driver.state.page_toggle is True
    assert SetPageToggle(on=False) not in driver.writes


def audit_events(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.mark.anyio
async def test_declined_review_leaves_a_refused_record(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    options = ApplyOptions(review=lambda plan: False, audit_path=log)
    with pytest.raises(ApplyCancelled):
        await apply_spec(FakeSpec(), FakeDriver(), options)
    (record,) = audit_events(log)
    assert record["event"] == "refused"
    assert record["error"] == "apply cancelled; nothing was changed"


@pytest.mark.anyio
async def test_a_review_that_refuses_is_audited_and_keeps_its_error(
    tmp_path: Path,
) -> None:
    log = tmp_path / "audit.jsonl"

    def no_terminal(plan: Plan) -> bool:
        raise RefusedError("no terminal to ask; pass --auto-approve")

    driver = FakeDriver()
    with pytest.raises(RefusedError, match="no terminal"):
        await apply_spec(FakeSpec(), driver, ApplyOptions(no_terminal, audit_path=log))
    assert [r["event"] for r in audit_events(log)] == ["refused"]
    assert driver.writes == []


@pytest.mark.anyio
async def test_a_stale_plan_leaves_a_refused_record(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    driver = FakeDriver()
    saved = await plan_spec(FakeSpec(), driver)
    edited = FakeSpec(digest="sha256:" + "cd" * 32)
    options = ApplyOptions(review=approve, saved=saved, audit_path=log)
    with pytest.raises(StalePlanError):
        await apply_spec(edited, driver, options)
    (record,) = audit_events(log)
    assert record["event"] == "refused"
    assert "stale plan" in str(record["error"])


@pytest.mark.anyio
async def test_an_unwritable_audit_log_does_not_replace_a_refusal(
    tmp_path: Path,
) -> None:
    (tmp_path / "file").write_text("")
    log = tmp_path / "file" / "audit.jsonl"  # its directory is a file
    driver = FakeDriver()
    driver.state = driver.state.model_copy(
        update={"staff": {**driver.state.staff, "99999": clever_staff()}}
    )
    removal = FakeSpec(Desired(absent_staff=frozenset({"99999"})))
    with pytest.raises(UnsafeChangeError) as caught:
        await apply_spec(removal, driver, ApplyOptions(review=approve, audit_path=log))
    assert caught.value.exit_code == 3
    (note,) = caught.value.__notes__
    assert note.startswith("warning: cannot write the audit log")
    assert note.endswith("the refusal is not recorded")
