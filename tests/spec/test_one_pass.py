"""Validation in one pass: shape, secret and policy problems reported together."""

from __future__ import annotations

import json

import pytest

from psconfig.errors import SpecError
from psconfig.spec import load_spec
from tests.spec.conftest import Invoke, WriteSpec


def test_schema_secret_and_policy_problems_come_in_one_run(
    write_spec: WriteSpec,
) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(_text()))
    got = [(p.line, p.rule) for p in caught.value.problems]
    assert got == [(5, "PS006"), (7, ""), (10, "PS010")]


def _text() -> str:
    return (
        "psconfig: 1\n"
        "name: district\n"
        'server: {url: "https://ps.example.org", username: admin, '
        'password: "${env:PS_PW}"}\n'
        "security_groups:\n"
        "  - {number: 12, language_translator: true}\n"
        "  - number: 30\n"
        "    can_modify_schedules: sometimes\n"
        "preset:\n"
        "  clever-dde-sync:\n"
        "    password: hunter2hunter2\n"
        "    allowed_ips: [192.0.2.10]\n"
    )


def test_validate_text_reports_all_three(cli: Invoke, write_spec: WriteSpec) -> None:
    path = write_spec(_text())
    result = cli("validate", str(path))
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if line]
    assert [line.split(":")[1] for line in lines] == ["5", "7", "10"]
    assert "[PS006]" in lines[0] and "can_modify_schedules" in lines[1]
    assert "[PS010]" in lines[2]
    assert "hunter2" not in result.output


def test_validate_json_reports_all_three(cli: Invoke, write_spec: WriteSpec) -> None:
    result = cli("validate", "--format", "json", str(write_spec(_text())))
    problems = json.loads(result.stdout)["files"][0]["problems"]
    assert [(p["line"], p["rule"]) for p in problems] == [
        (5, "PS006"),
        (7, None),
        (10, "PS010"),
    ]


def test_validate_github_reports_all_three(cli: Invoke, write_spec: WriteSpec) -> None:
    result = cli("validate", "--format", "github", str(write_spec(_text())))
    lines = result.stdout.splitlines()
    assert [line.split(",")[1] for line in lines] == ["line=5", "line=7", "line=10"]
    assert all(line.startswith("::error ") for line in lines)


def test_an_item_with_a_shape_error_gets_no_consequent_findings(
    write_spec: WriteSpec,
) -> None:
    # The broken export group is checked for its shape only: the policy rules
    # about the values that were removed would report consequences, not problems.
    text = _text().replace(
        "  - {number: 12, language_translator: true}\n",
        "  - {number: 12, language_translator: maybe}\n",
    )
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(text))
    got = [(p.line, p.rule) for p in caught.value.problems]
    assert got == [(5, ""), (7, ""), (10, "PS010")]


def test_a_yaml_syntax_error_stops_the_rest(cli: Invoke, write_spec: WriteSpec) -> None:
    path = write_spec(_text() + "staff: [\n")
    result = cli("validate", str(path))
    assert result.exit_code == 1
    assert "YAML syntax error" in result.stdout
    assert "PS010" not in result.stdout


def test_an_error_at_the_top_stops_the_rest(write_spec: WriteSpec) -> None:
    text = _text().replace("name: district\n", "")
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(text))
    problems = caught.value.problems
    assert "name: missing required key" in [p.message for p in problems]
    assert not any(p.rule for p in problems)
