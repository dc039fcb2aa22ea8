"""Flags and settings every command shares: one definition, one behaviour, one text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import psconfig.cli
from tests.cli.helpers import SIM_DIR, run, write_demo

CLI_DIR = Path(psconfig.cli.__file__).parent


def cli_sources() -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(CLI_DIR.glob("*.py"))}


@pytest.mark.parametrize(
    "needle",
    [
        r"def sim_dir\(",
        r"PSCONFIG_SIM_DIR\"",
        r"TLS certificate verification is off",
        r"\"--audit-log\"",
        r"\"--lock-timeout\"",
    ],
)
def test_each_shared_setting_is_defined_once(needle: str) -> None:
    found = {
        name: len(re.findall(needle, text)) for name, text in cli_sources().items()
    }
    assert sum(found.values()) == 1, {k: v for k, v in found.items() if v}


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "demo.yaml"],
        ["drift", "demo.yaml"],
        ["import", "--server", "sim://demo"],
        ["doctor", "--server", "sim://demo"],
    ],
    ids=lambda a: a[0],
)
def test_every_command_finds_sim_state_in_psconfig_sim_dir(
    args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_demo()
    monkeypatch.setenv("PSCONFIG_SIM_DIR", "elsewhere")
    result = run(*args, "--insecure")
    assert result.exit_code in (0, 2), result.output
    assert Path("elsewhere/demo.json").exists()
    assert not SIM_DIR.exists()
    warnings = [line for line in result.stderr.splitlines() if "TLS" in line]
    assert warnings == ["warning: TLS certificate verification is off (--insecure)"]


@pytest.mark.parametrize("command", ["plan", "drift", "apply", "validate"])
def test_help_says_directories_contribute_yaml_files_only(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "every *.yaml file under them (*.yml files only when named)" in text


def test_a_directory_contributes_only_its_yaml_files() -> None:
    write_demo("specs/a.yaml")
    write_demo("specs/b.yml", url="sim://b")
    result = run("validate", "specs")
    assert result.exit_code == 0, result.output
    assert "1 file checked" in result.stderr
    named = run("validate", "specs/b.yml")
    assert named.exit_code == 0, named.output


@pytest.mark.parametrize("command", ["plan", "drift"])
def test_no_toggle_read_is_offered_by_plan_and_drift(command: str) -> None:
    text = " ".join(run(command, "--help").stdout.split())
    assert "--no-toggle-read" in text
