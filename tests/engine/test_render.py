"""Renderings: golden files pin text and Markdown (UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from psconfig.engine.planning import safety
from psconfig.engine.planning.plan import Plan
from psconfig.model import Desired, Health, Staff, State
from psconfig.render.json import render_json
from psconfig.render.markdown import render_markdown
from psconfig.render.text import render_text
from tests.engine.builders import (
    CANARY,
    clever_desired,
    clever_group,
    clever_staff,
    plan_for,
)
from tests.engine.fakes import fresh_state

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"missing golden file {name}: run with UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), (
        f"{name} differs from the golden file; if intended, rerun with UPDATE_GOLDEN=1"
    )


def fresh_plan() -> Plan:
    return plan_for(clever_desired(), fresh_state())


def converged() -> State:
    live = fresh_state()
    return live.model_copy(
        update={
            "groups": {**live.groups, 12: clever_group()},
            "page_permissions": {
                "/admin/tech/dde/home.html": {12: "full"},
                "/admin/tech/dde/exportrecords.html": {12: "full"},
            },
            "staff": {**live.staff, "99999": clever_staff()},
        }
    )


def drifted() -> State:
    live = converged()
    group = clever_group().model_copy(
        update={"log_types": ("health",), "health": Health(office_visit="view_only")}
    )
    staff = clever_staff()
    staff = staff.model_copy(
        update={
            "title": "Sync account",
            "admin_access": staff.admin_access.model_copy(
                update={"allowed_ips": ("192.0.2.10",)}
            ),
        }
    )
    return live.model_copy(
        update={
            "groups": {**live.groups, 12: group},
            "staff": {**live.staff, "99999": staff},
        }
    )


def removal() -> tuple[Desired, State]:
    live = converged()
    old = Staff(id="4242", last_name="Legacy", first_name="Sync")
    live = live.model_copy(update={"staff": {**live.staff, "4242": old}})
    desired = clever_desired(absent_staff=frozenset({"4242"}), staff={})
    return desired, live


def removal_plan() -> Plan:
    plan = plan_for(*removal())
    notes = safety.plan_notes(plan, username="admin")
    return plan.model_copy(update={"notes": tuple(notes)})


CASES: dict[str, Callable[[], Plan]] = {
    "fresh": fresh_plan,
    "clean": lambda: plan_for(clever_desired(), converged()),
    "drift": lambda: plan_for(clever_desired(), drifted(), mode="drift"),
    "removal": removal_plan,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_text_golden(case: str) -> None:
    check_golden(f"{case}.txt", render_text(CASES[case]()))


@pytest.mark.parametrize("case", sorted(CASES))
def test_markdown_golden(case: str) -> None:
    check_golden(f"{case}.md", render_markdown(CASES[case]()))


def test_text_follows_terraform_conventions() -> None:
    text = render_text(fresh_plan())
    assert '  ~ name: "Group 12" -> "Read-Only Export"' in text
    assert "(!) privilege escalation" in text
    assert text.rstrip().endswith(
        "Plan: 1 to create, 3 to change, 0 to remove. 3 escalate privilege, 0 reduce."
    )
    assert (
        "admin_access.password: (sensitive, from ${env:CLEVER_SYNC_PASSWORD})" in text
    )
    clean = render_text(plan_for(clever_desired(), converged()))
    assert "No changes. PowerSchool matches the spec." in clean


def test_drift_marks_escalation_critical_and_first() -> None:
    text = render_text(plan_for(clever_desired(), drifted(), mode="drift"))
    first = text.index("# group.12 has drifted  CRITICAL privilege escalation")
    assert first < text.index('# staff["99999"] has drifted')
    assert 'log_types: [] -> ["health"]' in text
    assert "PowerSchool has drifted from the spec" in text


def test_markdown_structure() -> None:
    md = render_markdown(fresh_plan())
    lines = md.splitlines()
    assert lines[0] == "<!-- psconfig:plan name=district -->"
    assert lines[1] == "## psconfig plan: district"
    assert "> [!WARNING]" in lines
    assert "### Create" in lines and "### Update" in lines
    assert "<details><summary>Full plan</summary>" in md
    assert "```diff" in md and md.rstrip().endswith("</details>")
    assert '!       name: "Group 12" -> "Read-Only Export"' in md
    assert "> [!WARNING]" not in render_markdown(
        plan_for(clever_desired(), converged())
    )


def test_markdown_is_capped_keeping_head_and_tail() -> None:
    big = clever_desired(
        staff={str(n): clever_staff(staff_id=str(n)) for n in range(100, 160)}
    )
    plan = plan_for(big, fresh_state())
    full = render_markdown(plan)
    capped = render_markdown(plan, limit=8_000)
    assert len(full) > 8_000 >= len(capped)
    assert "characters omitted" in capped
    assert capped.startswith("<!-- psconfig:plan name=district -->")
    assert "Plan: 60 to create" in capped.split("```diff")[1]  # the tail survived
    assert capped.rstrip().endswith("</details>")
    assert capped.count("```") == 2
    assert "more lines not listed" in capped


def test_no_secret_in_any_rendering() -> None:
    for make in CASES.values():
        plan = make()
        for out in (render_text(plan), render_markdown(plan), render_json(plan)):
            assert CANARY not in out


def test_markdown_lists_each_reason_under_its_own_effect() -> None:
    staff = clever_staff()
    restricted = staff.model_copy(
        update={
            "admin_access": staff.admin_access.model_copy(
                update={"allowed_ips": ("192.0.2.10",)}
            )
        }
    )
    plan = plan_for(clever_desired(staff={"99999": restricted}), fresh_state())
    md = render_markdown(plan).splitlines()
    (line,) = [ln for ln in md if ln.startswith("- `staff")]
    escalation, reduction = line.split(" · ")
    assert escalation.startswith('- `staff["99999"]` — **privilege escalation**: ')
    assert "admin_access.enabled turned on" in escalation
    assert "restricted" not in escalation
    assert reduction == (
        "privilege reduction: admin_access.allowed_ips restricted from any IP address"
    )
    text = render_text(plan)
    assert "  # (-) admin_access.allowed_ips restricted from any IP address" in text
    assert "  # (!) admin_access.enabled turned on" in text
