"""Every output format escapes what a reader cannot see (issue 13, item 7).

Text read from PowerSchool (a group renamed by hand, a staff member's name) can
hold a right-to-left override, a zero-width space, a carriage return or an escape
sequence. Plans, drift reports, PR comments, JSON and fleet tables show each such
character as an escape, so a reviewer reads what is really there.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from psconfig.cli.output import table_text
from psconfig.engine.applying.plan_and_apply import ApplyOptions, apply_spec
from psconfig.engine.fleet.runner import DistrictResult, FleetResult
from psconfig.engine.planning.plan import Plan, plan_from_json
from psconfig.errors import ApplyError, DriverError
from psconfig.model import CreateStaff, Op
from psconfig.render.fleet import render_fleet_json, render_fleet_markdown
from psconfig.render.json import render_json
from psconfig.render.markdown import render_markdown
from psconfig.render.printable import printable
from psconfig.render.text import render_text
from tests.engine.builders import (
    FakeSpec,
    clever_desired,
    clever_group,
    clever_staff,
    plan_for,
)
from tests.engine.fakes import FakeDriver, fresh_state

HIDDEN = "\u202e\u200b\r\x1b[2J\x07\u2028\U000e0041"
NAME = f"Read-Only{HIDDEN}Export"


def _visible(text: str) -> None:
    for char in text:
        if char == "\n":
            continue
        category = unicodedata.category(char)
        assert category not in ("Cc", "Cf", "Cs", "Zl", "Zp"), (
            f"U+{ord(char):04X} reached the output"
        )


def _plans() -> list[Plan]:
    live = fresh_state()
    staff = clever_staff()
    live = live.model_copy(
        update={
            "groups": {
                **live.groups,
                12: clever_group().model_copy(update={"name": NAME}),
            },
            "staff": {
                **live.staff,
                "99999": staff.model_copy(update={"last_name": f"Sy{HIDDEN}nc"}),
            },
        }
    )
    desired = clever_desired()
    return [plan_for(desired, live), plan_for(desired, live, mode="drift")]


@pytest.mark.parametrize("plan", _plans(), ids=["plan", "drift"])
def test_text_markdown_and_json_escape_hidden_characters(plan: Plan) -> None:
    text = render_text(plan)
    assert "\\u202e" in text and "Read-Only" in text
    for rendered in (text, render_markdown(plan), render_json(plan)):
        _visible(rendered)
    # The JSON escapes decode to exactly what was read: a saved plan is unchanged.
    assert plan_from_json(render_json(plan), source="x").changes == plan.changes


def test_fleet_outputs_escape_hidden_characters() -> None:
    plan = _plans()[1]
    district = DistrictResult(
        name="district",
        path=f"specs/d{HIDDEN}.yaml",
        result="drift",
        changes=len(plan.changes),
        escalations=plan.summary.escalation,
        duration_s=0.1,
        plan=plan,
        error=None,
    )
    fleet = FleetResult(
        command="drift",
        timestamp="2025-01-31T12:00:00Z",
        parallelism=1,
        duration_s=0.1,
        districts=(district,),
        total=1,
    )
    for rendered in (
        table_text(fleet),
        render_fleet_markdown(fleet),
        render_fleet_json(fleet),
    ):
        _visible(rendered)
    json.loads(render_fleet_json(fleet))


def test_printable_keeps_printable_text_and_escapes_the_rest() -> None:
    assert printable("Read-Only Export — café\n") == "Read-Only Export — café\n"
    assert printable("a\u202eb") == "a\\u202eb"
    assert printable("a\nb", newlines=False) == "a\\u000ab"
    assert printable("\U000e0041") == "\\udb40\\udc41"
    hidden = "x\u200by"
    assert json.loads('"' + printable(hidden) + '"') == hidden


@pytest.mark.anyio
async def test_the_audit_log_escapes_what_powerschool_said(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"

    def fail(op: Op) -> DriverError | None:
        if isinstance(op, CreateStaff):
            return DriverError(f"PowerSchool said: {HIDDEN}")
        return None

    options = ApplyOptions(review=lambda plan: True, audit_path=log)
    with pytest.raises(ApplyError):
        await apply_spec(FakeSpec(), FakeDriver(fail=fail), options)
    text = log.read_text(encoding="utf-8")
    _visible(text)
    errors = [json.loads(line).get("error", "") for line in text.splitlines()]
    assert any(HIDDEN in error for error in errors)  # decoded, it is all there
