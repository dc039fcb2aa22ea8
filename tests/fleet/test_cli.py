"""The fleet flags and output through the CLI, against sim:// districts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from psconfig.cli import target
from tests.engine.builders import CANARY
from tests.fleet.helpers import (
    REMOVAL,
    SessionCounter,
    json_doc,
    run,
    table_rows,
    write_fleet,
    write_spec,
)


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLEVER_SYNC_PASSWORD", CANARY)
    monkeypatch.delenv("PSCONFIG_AUDIT_LOG", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> SessionCounter:
    counting = SessionCounter(target.open_target)
    monkeypatch.setattr(target, "open_target", counting)
    return counting


def test_parallelism_bounds_the_sessions_open_at_once(counter: SessionCounter) -> None:
    write_fleet(Path("specs"), {"all": range(10)})
    # One process: the counter instruments this one (tests/fleet/test_workers.py).
    result = run("plan", "specs", "--parallelism", "3", "--workers", "1")
    assert result.exit_code == 2, result.output
    assert counter.opened == 10
    assert counter.peak == 3
    assert "10 districts: 10 with changes. " in result.stdout
    assert "at parallelism 3." in result.stdout

    counter.peak = 0
    assert run("plan", "specs", "--parallelism", "1", "--workers", "1").exit_code == 2
    assert counter.peak == 1


def test_districts_on_one_server_take_turns(counter: SessionCounter) -> None:
    write_fleet(Path("specs"), {"all": range(4)})
    result = run("apply", "specs", "--server", "sim://shared", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert counter.peak == 1
    # The first converged the shared server; the others found nothing to do.
    assert "4 districts: 3 clean, 1 applied." in result.stdout


def test_a_single_spec_prints_what_it_always_has() -> None:
    write_spec(Path("one.yaml"), "one")
    result = run("plan", "one.yaml", "--format", "json")
    assert result.exit_code == 2
    assert json_doc(result)["spec"]["path"] == "one.yaml"  # a plan, not a fleet
    assert result.stderr == ""
    text = run("plan", "one.yaml")
    assert "District" not in text.stdout
    assert text.stdout.rstrip().endswith("0 reduce.")


def test_a_shard_makes_a_fleet_run_even_for_one_spec() -> None:
    write_spec(Path("one.yaml"), "one")
    result = run("plan", "one.yaml", "--shard", "1/1", "--format", "json")
    assert result.exit_code == 2, result.output
    doc = json_doc(result)
    assert doc["shard"] == "1/1"
    assert [d["name"] for d in doc["districts"]] == ["one"]


def test_markdown_for_a_pull_request_comment() -> None:
    write_fleet(Path("specs"), {"all": range(3)})
    assert run("apply", "specs/all/d00.yaml", "--auto-approve").exit_code == 0
    result = run("plan", "specs", "--format", "markdown")
    assert result.exit_code == 2
    head, *sections = result.stdout.split("\n---\n\n")
    assert head.startswith(
        "<!-- psconfig:plan-fleet -->\n## psconfig plan: 3 districts"
    )
    assert "| d00 | `specs/all/d00.yaml` | clean | 0 | 0 |" in head
    assert "| d01 | `specs/all/d01.yaml` | changes | 4 | 3 |" in head
    assert [s.splitlines()[0] for s in sections] == [
        "<!-- psconfig:plan name=d01 -->",
        "<!-- psconfig:plan name=d02 -->",
    ]
    assert "3 districts: 1 clean, 2 with changes." in result.stderr  # the table


def test_apply_aggregates_refusals_and_errors() -> None:
    write_fleet(Path("specs"), {"all": range(2)})
    assert run("apply", "specs", "--auto-approve").exit_code == 0
    Path("specs/all/removal.yaml").write_text(
        REMOVAL.format(name="gone", url="sim://d00")
    )
    write_spec(Path("specs/all/d02.yaml"), "d02")

    refused = run("apply", "specs", "--auto-approve")
    assert refused.exit_code == 3, refused.output
    rows = table_rows(refused.stdout)
    assert [rows[n][2] for n in ("d00", "d01", "d02", "gone")] == [
        "clean",
        "clean",
        "applied",
        "refused",
    ]
    assert "without --allow-remove-staff" in refused.stderr
    # Each district's output is one block, headed by its name.
    assert "==> d02: specs/all/d02.yaml <==" in refused.stdout
    assert "Apply complete: 1 created, 3 changed, 0 removed." in refused.stdout

    Path("specs/all/broken.yaml").write_text("psconfig: 1\nname: [broken\n")
    failed = run("apply", "specs", "--auto-approve")
    assert failed.exit_code == 1
    assert "\nspecs/all/broken.yaml:3:1: error: YAML syntax" in failed.stderr
    assert table_rows(failed.stdout)["broken"][2] == "error"


def test_interactive_apply_asks_district_by_district(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("psconfig.cli.common.stdin_is_tty", lambda: True)
    monkeypatch.setattr("psconfig.cli.common.stderr_is_tty", lambda: True)
    write_fleet(Path("specs"), {"all": range(2)})
    result = run("apply", "specs", "--parallelism", "4", stdin="y\nn\n")
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert out.count("Apply these changes to sim://") == 2
    assert out.index("==> d00") < out.index("Apply complete") < out.index("==> d01")
    assert "apply cancelled; nothing was changed" in result.stderr
    # No live bar over the questions: plain progress lines, even on a terminal.
    assert "apply [2/2] d01 (specs/all/d01.yaml): error" in result.stderr
    assert "\x1b[" not in result.stderr
    rows = table_rows(out)
    assert (rows["d00"][2], rows["d01"][2]) == ("applied", "error")


def test_a_terminal_gets_a_progress_bar_and_a_coloured_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("psconfig.cli.common.stderr_is_tty", lambda: True)
    monkeypatch.setattr("psconfig.cli.common.stdout_is_tty", lambda: True)
    write_fleet(Path("specs"), {"all": range(3)})
    Path("specs/all/broken.yaml").write_text("psconfig: 1\nname: [broken\n")
    result = run("plan", "specs")
    assert result.exit_code == 1
    assert "\x1b[" in result.stdout and "\x1b[" in result.stderr
    assert "specs/all/broken.yaml:3:1: error:" in result.stderr
    assert "plan [" not in result.stderr  # a bar, not lines
    assert "4 districts: 3 with changes, 1 failed." in result.stdout

    monkeypatch.setenv("NO_COLOR", "1")
    plain = run("plan", "specs", "--format", "json")
    json.loads(plain.stdout)  # the bar never reaches stdout
    assert "4 districts: 3 with changes, 1 failed." in plain.stderr


def test_insecure_warns_once_per_run() -> None:
    write_fleet(Path("specs"), {"all": range(3)})
    result = run("plan", "specs", "--insecure")
    assert result.exit_code == 2, result.output
    assert result.stderr.count("TLS certificate verification is off") == 1
    single = run("plan", "specs/all/d00.yaml", "--insecure")
    assert single.stderr.count("TLS certificate verification is off") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "specs", "--parallelism", "0"], "--parallelism must be at least 1"),
        (["drift", "specs", "--shard", "4/3"], "--shard '4/3': expected I/N"),
        (["plan", "specs", "--shard", "x"], "--shard 'x': expected I/N"),
        (["plan", "specs", "--out", "p.json"], "--out saves one plan"),
        (["plan", "specs/all/d00.yaml", "--shard", "1/2", "--out", "p.json"], "--out"),
        (
            ["apply", "--plan", "p.json", "--shard", "1/2", "--auto-approve"],
            "--shard selects spec files",
        ),
        (
            ["apply", "specs", "--parallelism", "0", "--auto-approve"],
            "--parallelism must be at least 1",
        ),
    ],
)
def test_usage_errors_are_one_line_exit_1(args: list[str], message: str) -> None:
    write_fleet(Path("specs"), {"all": range(2)})
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
