"""The fleet renderers: summary rows and table, Markdown, JSON, progress lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from psconfig.cli.output import emit_table, table_text
from psconfig.engine.fleet.runner import DistrictResult, FleetResult, Shard
from psconfig.model import Desired
from psconfig.render.fleet import (
    HEADER,
    error_line,
    fleet_to_dict,
    progress_line,
    render_fleet_json,
    render_fleet_markdown,
    summary_rows,
    totals_line,
)
from tests.engine.builders import CANARY, clever_desired, clever_group, plan_for
from tests.engine.fakes import fresh_state

PLAN = plan_for(clever_desired(), fresh_state())
CLEAN = plan_for(Desired(), fresh_state())
WIDENED = fresh_state().model_copy(
    update={
        "groups": {12: clever_group().model_copy(update={"log_types": ("health",)})}
    }
)
DRIFT = plan_for(Desired(groups={12: clever_group()}), WIDENED, mode="drift")


def district(name: str, **fields: object) -> DistrictResult:
    base: dict[str, object] = {
        "name": name,
        "path": f"specs/{name}.yaml",
        "result": "clean",
        "duration_s": 0.25,
        "plan": CLEAN,
    }
    return DistrictResult.model_validate({**base, **fields})


def fleet(*districts: DistrictResult, **fields: object) -> FleetResult:
    base: dict[str, object] = {
        "command": "plan",
        "timestamp": "2025-01-31T12:00:00Z",
        "parallelism": 8,
        "duration_s": 1.5,
        "districts": districts,
        "total": len(districts),
    }
    return FleetResult.model_validate({**base, **fields})


RUN = fleet(
    district("springfield", result="changes", changes=4, escalations=3, plan=PLAN),
    district("shelbyville"),
    district(
        "ogden|ville",
        result="error",
        plan=None,
        error="cannot reach https://ps.example (ConnectError)\nsecond line",
        duration_s=0.0,
    ),
)


def test_rows_follow_the_header_in_run_order() -> None:
    assert HEADER == (
        "District",
        "Spec",
        "Result",
        "Changes",
        "Escalations",
        "Duration",
    )
    assert summary_rows(RUN) == [
        ("springfield", "specs/springfield.yaml", "changes", "4", "3", "0.25 s"),
        ("shelbyville", "specs/shelbyville.yaml", "clean", "0", "0", "0.25 s"),
        ("ogden|ville", "specs/ogden|ville.yaml", "error", "0", "0", "0.00 s"),
    ]


def test_the_plain_table_is_aligned_and_totalled() -> None:
    text = table_text(RUN)
    lines = text.splitlines()
    assert lines[0].split() == list(HEADER)
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].split() == [
        "springfield",
        "specs/springfield.yaml",
        "changes",
        "4",
        "3",
        "0.25",
        "s",
    ]
    # Columns line up: every row starts its Result cell at the same offset, and
    # the numbers end where their column ends.
    rows = zip(lines[2:5], summary_rows(RUN), strict=True)
    offsets = {line.index(f" {row[2]} ") for line, row in rows}
    assert len(offsets) == 1
    assert {len(line) for line in lines[:5]} == {len(lines[0])}
    assert lines[5] == ""
    assert lines[-1] == (
        "3 districts: 1 clean, 1 with changes, 1 failed. 1.5 s at parallelism 8."
    )
    assert text.endswith(".\n")


def test_the_plain_table_is_plain_whatever_the_environment_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in (("FORCE_COLOR", "1"), ("TERM", "xterm-256color")):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "20")
    long_path = "specs/" + "very-long-district-name/" * 20 + "spec.yaml"
    run = fleet(
        district("[bold]odd[/bold]", path=long_path, result="error", plan=None),
        district("a"),
    )
    text = table_text(run)
    assert "\x1b" not in text
    row = text.splitlines()[2]
    assert row.split()[:3] == ["[bold]odd[/bold]", long_path, "error"]  # whole
    assert len(text.splitlines()) == 6  # header, dashes, 2 rows, blank, totals


def test_the_coloured_table_escapes_hidden_characters_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("psconfig.cli.common.stdout_is_tty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    emit_table(fleet(district("east\u202etsew")), to_stderr=False)
    out = capsys.readouterr().out
    assert "\x1b[" in out  # a terminal: colour
    assert "east\\u202etsew" in out and "\u202e" not in out


def test_totals_mention_the_shard() -> None:
    sharded = fleet(district("a"), shard=Shard(index=2, count=3), total=7)
    assert (
        totals_line(sharded, timed=False)
        == "1 district: 1 clean. Shard 2/3 of 7 specs."
    )
    assert totals_line(fleet(), timed=False) == "0 districts."


def test_markdown_summarizes_then_shows_only_districts_with_changes() -> None:
    text = render_fleet_markdown(RUN)
    head, *sections = text.split("\n---\n\n")
    assert head.startswith(
        "<!-- psconfig:plan-fleet -->\n## psconfig plan: 3 districts\n"
    )
    assert "**3 districts: 1 clean, 1 with changes, 1 failed.**" in head
    assert "| springfield | `specs/springfield.yaml` | changes | 4 | 3 |" in head
    assert "| ogden\\|ville | `specs/ogden\\|ville.yaml` | **error** | 0 | 0 |" in head
    assert (
        "- ogden\\|ville (`specs/ogden\\|ville.yaml`): cannot reach "
        "https://ps.example (ConnectError) (and 1 more lines)"
    ) in head
    assert len(sections) == 1
    assert sections[0].startswith("<!-- psconfig:plan name=district -->")


def test_markdown_holds_no_times_so_the_same_findings_render_the_same() -> None:
    slow = RUN.model_copy(
        update={
            "duration_s": 99.0,
            "timestamp": "2030-01-01T00:00:00Z",
            "districts": tuple(
                d.model_copy(update={"duration_s": 42.0}) for d in RUN.districts
            ),
        }
    )
    assert render_fleet_markdown(slow) == render_fleet_markdown(RUN)


def test_drift_markdown_keeps_the_critical_marker() -> None:
    drift = fleet(
        district("a", result="drift", changes=1, escalations=1, plan=DRIFT),
        command="drift",
    )
    text = render_fleet_markdown(drift)
    assert text.startswith("<!-- psconfig:drift-fleet -->")
    assert "CRITICAL" in text


def test_json_is_one_document_with_each_district_and_its_plan() -> None:
    doc = json.loads(render_fleet_json(RUN))
    assert list(doc) == [
        "format_version",
        "command",
        "psconfig_version",
        "timestamp",
        "shard",
        "parallelism",
        "districts",
        "summary",
        "exit_code",
    ]
    assert doc["exit_code"] == 1 and doc["shard"] is None
    first = doc["districts"][0]
    assert first["plan"]["format_version"] == "1.0"
    assert first["exit_code"] == 2
    assert doc["districts"][2]["plan"] is None
    assert doc["summary"]["changed_objects"] == 4
    assert doc["summary"]["error"] == 1
    assert fleet_to_dict(RUN) == doc
    # Passwords are masked in the plans, as in a saved plan.
    assert CANARY not in json.dumps(doc)
    creates = [c for c in first["plan"]["changes"] if c["actions"] == ["create"]]
    assert creates[0]["op"]["password"] == "(sensitive)"


def test_progress_and_error_lines() -> None:
    springfield, _, broken = RUN.districts
    assert progress_line(springfield) == (
        "springfield (specs/springfield.yaml): "
        "changes, 4 objects, 3 escalations, 0.25 s"
    )
    assert (
        progress_line(broken) == "ogden|ville (specs/ogden|ville.yaml): error, 0.00 s"
    )
    assert error_line(broken).startswith(
        "error: specs/ogden|ville.yaml: cannot reach https://ps.example"
    )
    located = broken.model_copy(
        update={"error": "specs/ogden|ville.yaml:3:5: error: unknown key"}
    )
    assert (
        error_line(located) == "error: specs/ogden|ville.yaml:3:5: error: unknown key"
    )


GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize(
    ("name", "run"),
    [
        ("plan-fleet.md", RUN),
        (
            "drift-fleet.md",
            fleet(
                district("a", result="drift", changes=1, escalations=1, plan=DRIFT),
                command="drift",
            ),
        ),
    ],
)
def test_markdown_golden(name: str, run: FleetResult) -> None:
    # Written by the string-building renderer before the Markdown moved to
    # templates: the built-in templates must keep every byte of it.
    assert render_fleet_markdown(run) == (GOLDEN / name).read_text(encoding="utf-8")
