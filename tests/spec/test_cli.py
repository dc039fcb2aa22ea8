"""The validate and schema commands, their formats and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from psconfig.spec import json_schema
from psconfig.spec.loader import parse_document
from tests.spec.conftest import PRESET_SPEC, REPO, Invoke, WriteSpec

SCHEMA_FILE = REPO / "specs" / "psconfig-v1.schema.json"
MODELINE = "# yaml-language-server: $schema=../specs/psconfig-v1.schema.json\n"
SHIPPED = sorted((REPO / "examples").glob("*.yaml")) + sorted(
    (REPO / "specs").glob("*.yaml")
)
BROKEN = PRESET_SPEC + "security_groups:\n  - {number: 12, language_translator: true}\n"
WARNS = PRESET_SPEC.replace("    allowed_ips: [192.0.2.10]\n", "")


def test_shipped_specs_are_valid(cli: Invoke) -> None:
    assert len(SHIPPED) >= 6
    result = cli("validate", *map(str, SHIPPED))
    assert result.exit_code == 0, result.output
    assert "error" not in result.stdout


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_specs_start_with_the_schema_modeline(path: Path) -> None:
    assert path.read_text().startswith(MODELINE)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_specs_satisfy_the_json_schema(path: Path) -> None:
    data = parse_document(path.read_bytes(), str(path)).data
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator(schema).validate(_json_keys(data))


def _json_keys(data: Any) -> Any:
    """YAML allows number keys (group 12); JSON Schema sees them as text."""
    if isinstance(data, dict):
        return {str(k): _json_keys(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_json_keys(v) for v in data]
    return data


def test_the_committed_schema_is_current(cli: Invoke) -> None:
    result = cli("schema")
    assert result.exit_code == 0
    assert result.stdout == SCHEMA_FILE.read_text(), (
        "specs/psconfig-v1.schema.json is stale: run "
        "`psconfig schema > specs/psconfig-v1.schema.json`"
    )
    assert json.loads(result.stdout) == json_schema()
    jsonschema.Draft202012Validator.check_schema(json_schema())


def test_text_format_prints_every_problem_and_a_summary(
    cli: Invoke, write_spec: WriteSpec
) -> None:
    good = write_spec(WARNS, "good.yaml")
    bad = write_spec(BROKEN, "bad.yaml")
    result = cli("validate", str(good), str(bad))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{good}:5:3: warning: sync account 99999 may sign in from any IP address; "
        "list the sync service's addresses in allowed_ips [PS011]",
        f"{bad}:9:39: error: language_translator of export group 12 must be false "
        "(guide 2) [PS006]",
    ]
    assert result.stderr == "2 files checked, 1 invalid (1 error, 1 warning)\n"


def test_warnings_alone_exit_zero(cli: Invoke, write_spec: WriteSpec) -> None:
    result = cli("validate", str(write_spec(WARNS)))
    assert result.exit_code == 0
    assert "[PS011]" in result.stdout
    assert result.stderr == "1 file checked, all valid (0 errors, 1 warning)\n"


def test_github_format_annotates_files(cli: Invoke, write_spec: WriteSpec) -> None:
    bad = write_spec(BROKEN, "dir,1/bad.yaml")
    result = cli("validate", "--format", "github", str(bad))
    assert result.exit_code == 1
    escaped = str(bad).replace(",", "%2C")
    assert result.stdout == (
        f"::error file={escaped},line=9,col=39,title=psconfig PS006::"
        "language_translator of export group 12 must be false (guide 2)\n"
    )


def test_github_format_uses_warning_and_notice(
    cli: Invoke, write_spec: WriteSpec
) -> None:
    waived = WARNS + "policy:\n  waive:\n    - {rule: PS011, reason: 'a: b, 100%'}\n"
    result = cli(
        "validate", "--format", "github", str(write_spec(WARNS, "w.yaml")),
        str(write_spec(waived, "n.yaml")),
    )  # fmt: skip
    lines = result.stdout.splitlines()
    assert lines[0].startswith("::warning file=")
    assert lines[1].startswith("::notice file=")
    assert lines[1].endswith("(waived: a: b, 100%25)")


def test_json_format_is_one_document(cli: Invoke, write_spec: WriteSpec) -> None:
    good = write_spec(PRESET_SPEC, "good.yaml")
    bad = write_spec(BROKEN, "bad.yaml")
    result = cli("validate", "--format", "json", str(good), str(bad), "missing.yaml")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document == {
        "format_version": "1",
        "files": [
            {
                "path": "missing.yaml",
                "valid": False,
                "problems": [
                    {
                        "line": 1,
                        "col": 1,
                        "severity": "error",
                        "rule": None,
                        "message": "no such file or directory",
                    }
                ],
            },
            {"path": str(good), "valid": True, "problems": []},
            {
                "path": str(bad),
                "valid": False,
                "problems": [
                    {
                        "line": 9,
                        "col": 39,
                        "severity": "error",
                        "rule": "PS006",
                        "message": "language_translator of export group 12 must be "
                        "false (guide 2)",
                    }
                ],
            },
        ],
    }


def test_a_directory_is_searched(cli: Invoke, write_spec: WriteSpec) -> None:
    write_spec(PRESET_SPEC, "specs/a.yaml")
    write_spec(BROKEN, "specs/nested/b.yaml")
    write_spec(BROKEN, "specs/workflow.yml")
    result = cli("validate", "--format", "json", "specs")
    paths = [f["path"] for f in json.loads(result.stdout)["files"]]
    assert paths == [str(Path("specs/a.yaml")), str(Path("specs/nested/b.yaml"))]
    assert result.exit_code == 1


def test_expand_prints_the_full_spec_and_findings_apart(
    cli: Invoke, write_spec: WriteSpec
) -> None:
    result = cli("validate", "--expand", str(write_spec(WARNS)))
    assert result.exit_code == 0
    assert result.stdout.startswith("psconfig: 1\nname: district\n")
    assert "preset" not in result.stdout
    assert "password: ${env:CLEVER_SYNC_PASSWORD}" in result.stdout
    assert "[PS011]" in result.stderr and "[PS011]" not in result.stdout


def test_expand_separates_several_documents(cli: Invoke, write_spec: WriteSpec) -> None:
    first, second = write_spec(PRESET_SPEC, "a.yaml"), write_spec(PRESET_SPEC, "b.yaml")
    result = cli("validate", "--expand", str(first), str(second))
    assert result.stdout.count("--- # ") == 2
    assert f"--- # {second}\npsconfig: 1\n" in result.stdout


def test_expand_in_json_carries_the_yaml(cli: Invoke, write_spec: WriteSpec) -> None:
    result = cli(
        "validate", "--format", "json", "--expand", str(write_spec(PRESET_SPEC))
    )
    (entry,) = json.loads(result.stdout)["files"]
    assert entry["expanded"].startswith("psconfig: 1\n")


def test_secrets_never_reach_the_output(
    cli: Invoke, write_spec: WriteSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLEVER_SYNC_PASSWORD", "canary-env-value")
    literal = PRESET_SPEC.replace("${env:CLEVER_SYNC_PASSWORD}", "canary-literal")
    https = literal.replace(
        "server: {url: sim://district}",
        "server: {url: 'https://ps.example.org', username: u, password: canary-admin}",
    )
    outputs = []
    for text in (literal, https, PRESET_SPEC):
        for fmt in ("text", "json", "github"):
            path = write_spec(text)
            result = cli("validate", "--expand", "--format", fmt, str(path))
            outputs.append(result.stdout + result.stderr)
    joined = "\n".join(outputs)
    assert "canary" not in joined
    assert "<literal hidden>" in joined


def test_a_bad_format_is_a_usage_error(cli: Invoke) -> None:
    result = cli("validate", "--format", "xml", "x.yaml")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
