"""CLI conventions: -h, shell completion, --quiet, a fleet's summary first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from psconfig.cli import _register_all, app

PSCONFIG = Path(sys.executable).with_name("psconfig")
SPEC = """\
psconfig: 1
name: {name}
server: {{url: "sim://{name}"}}
preset:
  clever-dde-sync:
    password: ${{env:CLEVER_SYNC_PASSWORD}}
    allowed_ips: ["192.0.2.10"]
"""


def run(*args: str) -> Result:
    _register_all()
    env = {"CLEVER_SYNC_PASSWORD": "conventions-Cl3ver-sync"}
    return CliRunner().invoke(app, list(args), env=env)


def command_paths() -> list[tuple[str, ...]]:
    _register_all()
    paths: list[tuple[str, ...]] = [()]
    paths += [(c.name,) for c in app.registered_commands if c.name]
    for group in app.registered_groups:
        assert group.name and group.typer_instance
        paths += [
            (group.name, c.name)
            for c in group.typer_instance.registered_commands
            if c.name
        ]
    return paths


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_dash_h_is_help_everywhere(path: tuple[str, ...]) -> None:
    short, long = run(*path, "-h"), run(*path, "--help")
    assert short.exit_code == 0, short.output
    assert short.stdout.startswith("Usage: ")
    assert short.stdout == long.stdout


def in_bash(command: str, home: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """Run ``psconfig COMMAND`` from bash, as a user does: typer asks the process
    tree which shell it runs in.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("_PSCONFIG")}
    env |= {"HOME": str(home), "SHELL": "/bin/bash", **extra}
    return subprocess.run(
        ["/bin/bash", "--norc", "-c", f"'{PSCONFIG}' {command}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_bash_completion_installs_and_completes(tmp_path: Path) -> None:
    shown = in_bash("--show-completion", tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "complete -o default -F _psconfig_completion psconfig" in shown.stdout
    installed = in_bash("--install-completion", tmp_path)
    assert installed.returncode == 0, installed.stderr
    script = tmp_path / ".bash_completions" / "psconfig.sh"
    assert script.read_text().strip() == shown.stdout.strip()
    assert f"source '{script}'" in (tmp_path / ".bashrc").read_text()
    # What the installed function asks psconfig when <Tab> follows "psconfig dr".
    asked = {"_PSCONFIG_COMPLETE": "complete_bash", "COMP_CWORD": "1"}
    words = in_bash("", tmp_path, COMP_WORDS="psconfig dr", **asked)
    assert words.stdout.split() == ["drift"]
    asked["COMP_CWORD"] = "2"
    flags = in_bash("", tmp_path, COMP_WORDS="psconfig drift --notify-", **asked)
    assert flags.stdout.split() == ["--notify-always"]


@pytest.fixture
def fleet() -> list[str]:
    """Two districts: lincoln applied (clean), springfield never (changes)."""
    for name in ("lincoln", "springfield"):
        Path(f"{name}.yaml").write_text(SPEC.format(name=name))
    assert run("apply", "lincoln.yaml", "--auto-approve").exit_code == 0
    return ["lincoln.yaml", "springfield.yaml"]


def test_a_fleet_prints_its_table_first_then_only_the_plans_with_changes(
    fleet: list[str],
) -> None:
    result = run("plan", *fleet)
    assert result.exit_code == 2
    out = result.stdout
    assert out.startswith("District ")
    totals = "2 districts: 1 clean, 1 with changes."
    assert out.index(totals) < out.index("psconfig plan: springfield")
    assert "psconfig plan: lincoln" not in out


@pytest.mark.parametrize("command", ["plan", "drift"])
def test_summary_only_stops_at_the_table(command: str, fleet: list[str]) -> None:
    result = run(command, *fleet, "--summary-only")
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert lines[0].startswith("District ")
    assert lines[-1].startswith("2 districts: 1 clean, 1 ")
    assert "psconfig " not in result.stdout  # no plan


def test_summary_only_for_one_spec_is_its_summary_line(fleet: list[str]) -> None:
    changed = run("plan", "springfield.yaml", "--summary-only")
    assert changed.exit_code == 2
    assert changed.stdout.startswith("Plan: ") and changed.stdout.count("\n") == 1
    clean = run("drift", "lincoln.yaml", "--summary-only")
    assert clean.stdout == "No drift. PowerSchool matches the spec.\n"


def test_quiet_keeps_progress_and_tables_off_stderr(fleet: list[str]) -> None:
    loud = run("plan", *fleet, "--format", "json")
    assert any(line.startswith("plan [") for line in loud.stderr.splitlines())
    assert "District " in loud.stderr
    quiet = run("--quiet", "plan", *fleet, "--format", "json")
    assert quiet.exit_code == 2
    assert quiet.stderr == ""
    doc = json.loads(quiet.stdout)  # the result itself is all there
    assert [d["result"] for d in doc["districts"]] == ["clean", "changes"]
    short = run("-q", "plan", *fleet, "--summary-only")
    assert short.stderr == "" and short.stdout.startswith("District ")


def test_quiet_still_shows_errors(fleet: list[str]) -> None:
    Path("broken.yaml").write_text(SPEC.format(name="broken").replace("sim://", "x://"))
    result = run("--quiet", "plan", *fleet, "broken.yaml")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("broken.yaml:") for line in lines), lines


def test_dash_h_through_the_entry_point(tmp_path: Path) -> None:
    result = in_bash("sim serve -h", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: psconfig sim serve [OPTIONS]")
