"""Saved plans: JSON format, masking, version rules and the stale-plan guard."""

from __future__ import annotations

import json

import pytest

from psconfig.engine.applying.apply import check_stale
from psconfig.engine.applying.plan_and_apply import ApplyOptions, apply_spec, plan_spec
from psconfig.engine.planning.plan import live_fingerprint, plan_from_json, plan_to_json
from psconfig.errors import PlanFileError, StalePlanError
from psconfig.model import Scope, ServerInfo
from tests.engine.builders import (
    CANARY,
    FakeSpec,
    clever_desired,
    clever_group,
    plan_for,
)
from tests.engine.fakes import FakeDriver, fresh_state


def test_json_has_the_documented_shape_and_no_secret() -> None:
    plan = plan_for(clever_desired(), fresh_state())
    text = plan_to_json(plan)
    assert CANARY not in text
    data = json.loads(text)
    assert list(data) == [
        "format_version",
        "mode",
        "psconfig_version",
        "timestamp",
        "target",
        "spec",
        "live_fingerprint",
        "summary",
        "changes",
        "notes",
    ]
    assert data["format_version"] == "1.0"
    assert data["target"] == {
        "url": "sim://fake",
        "powerschool_version": "25.3.0.1",
        "flavor": "modern",
        "username": "admin",
    }
    create = next(c for c in data["changes"] if c["actions"] == ["create"])
    assert create["op"]["password"] == "(sensitive)"
    assert create["password_ref"] == "${env:CLEVER_SYNC_PASSWORD}"
    assert data["changes"][0]["changed_paths"] == [["name"]]
    assert data["live_fingerprint"].startswith("sha256:")


def test_round_trip_keeps_everything_but_the_password() -> None:
    plan = plan_for(clever_desired(), fresh_state())
    loaded = plan_from_json(plan_to_json(plan))
    assert plan_to_json(loaded) == plan_to_json(plan)
    assert loaded.changes[0] == plan.changes[0]


def test_newer_minor_version_keys_are_ignored() -> None:
    data = json.loads(plan_to_json(plan_for(clever_desired(), fresh_state())))
    data["format_version"] = "1.7"
    data["future"] = {"x": 1}
    data["changes"][0]["future"] = True
    assert plan_from_json(json.dumps(data)).format_version == "1.7"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "plan.json:1:2: not a JSON plan"),
        ("[]", "not a psconfig plan"),
        ('{"format_version": "2.0"}', "format_version '2.0' is not supported"),
        ('{"format_version": "1.0"}', "invalid plan at psconfig_version"),
    ],
)
def test_unusable_plan_files(text: str, message: str) -> None:
    with pytest.raises(PlanFileError, match=message.replace("(", r"\(")):
        plan_from_json(text, source="plan.json")


def test_fingerprint_covers_scope_only_and_ignores_schools() -> None:
    scope = clever_desired().scope()
    live = fresh_state()
    base = live_fingerprint(live, scope)
    renamed = live.groups[3].model_copy(update={"name": "Guidance"})
    outside = live.model_copy(
        update={"groups": {**live.groups, 3: renamed}, "schools": {0: "DO"}}
    )
    assert live_fingerprint(outside, scope) == base
    inside = live.model_copy(update={"groups": {**live.groups, 12: clever_group()}})
    assert live_fingerprint(inside, scope) != base
    assert live_fingerprint(live, Scope()) != base


@pytest.mark.anyio
async def test_saved_plan_applies_when_nothing_moved() -> None:
    driver = FakeDriver()
    saved = plan_from_json(plan_to_json(await plan_spec(FakeSpec(), driver)))
    options = ApplyOptions(review=lambda plan: True, saved=saved)
    result = await apply_spec(FakeSpec(), driver, options)
    assert len(result.outcomes) == len(saved.changes)
    assert driver.passwords["99999"].get_secret_value() == CANARY


@pytest.mark.anyio
async def test_saved_plan_is_stale_after_live_moved() -> None:
    driver = FakeDriver()
    saved = plan_from_json(plan_to_json(await plan_spec(FakeSpec(), driver)))
    widened = driver.state.groups[12].model_copy(update={"log_types": ("health",)})
    driver.state = driver.state.model_copy(
        update={"groups": {**driver.state.groups, 12: widened}}
    )
    options = ApplyOptions(review=lambda plan: True, saved=saved)
    with pytest.raises(StalePlanError, match="PowerSchool changed since"):
        await apply_spec(FakeSpec(), driver, options)
    assert driver.writes == []


@pytest.mark.anyio
async def test_saved_plan_is_stale_for_another_target_or_spec() -> None:
    driver = FakeDriver()
    saved = await plan_spec(FakeSpec(), driver)
    other = FakeDriver(
        info=ServerInfo(
            url="sim://fake", version="26.1", flavor="modern", username="admin"
        )
    )
    fresh = await plan_spec(FakeSpec(digest="sha256:" + "cd" * 32), other)
    with pytest.raises(StalePlanError) as caught:
        check_stale(saved, fresh)
    message = str(caught.value)
    assert "spec specs/district.yaml changed" in message
    assert "powerschool_version is '26.1'" in message
    assert message.endswith("run psconfig plan again")


@pytest.mark.anyio
async def test_drift_report_is_not_an_applicable_plan() -> None:
    driver = FakeDriver()
    report = await plan_spec(FakeSpec(), driver, mode="drift")
    with pytest.raises(StalePlanError, match="drift report"):
        check_stale(report, await plan_spec(FakeSpec(), driver))
