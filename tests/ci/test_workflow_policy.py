"""The promises our workflows make that no generic linter checks.

Pinning to full SHAs with the release named (zizmor's offline default accepts some
tag pins), no expressions expanded inside scripts, secrets only where needed, and
the shape the brief and the README describe for each workflow.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.ci import gha
from tests.ci.conftest import EXAMPLES, REPO_ROOT, WORKFLOWS

USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+?)@(\S+)(?:\s+#\s*(\S+))?\s*$")
SECRET = re.compile(r"\$\{\{\s*secrets\.(\w+)\s*\}\}")
ADMIN_SECRETS = {"PS_ADMIN_USER", "PS_ADMIN_PASSWORD"}
INSTALL = 'python -m pip install "psconfig==${PSCONFIG_VERSION}"'


def ids(paths: list[Path]) -> list[str]:
    return [p.relative_to(REPO_ROOT).as_posix() for p in paths]


def workflow(name: str) -> dict[str, Any]:
    return gha.load_workflow(EXAMPLES / name)


def steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in data["jobs"].values() for step in job["steps"]]


def uses_lines(path: Path) -> list[re.Match[str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [USES.match(line) for line in lines if "uses:" in line.split("#")[0]]
    assert all(found), f"unparsed uses: line in {path.name}"
    return [m for m in found if m]


@pytest.mark.parametrize("path", WORKFLOWS, ids=ids(WORKFLOWS))
def test_actions_are_pinned_to_a_full_sha_with_the_release_named(path: Path) -> None:
    for match in uses_lines(path):
        action, ref, release = match.groups()
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{action}@{ref} is not a SHA"
        assert release and re.fullmatch(r"v\d+(\.\d+)*", release), action


def test_each_action_is_pinned_to_the_same_sha_everywhere() -> None:
    pins: dict[str, set[str]] = {}
    for path in WORKFLOWS:
        for match in uses_lines(path):
            pins.setdefault(match[1], set()).add(match[2])
    assert {action: len(refs) for action, refs in pins.items()} == dict.fromkeys(
        pins, 1
    )


@pytest.mark.parametrize("path", WORKFLOWS, ids=ids(WORKFLOWS))
def test_workflow_hygiene(path: Path) -> None:
    data = gha.load_workflow(path)
    assert isinstance(data.get("permissions"), dict), "top-level permissions"
    assert data["defaults"]["run"]["shell"] == "bash", "bash gives -eo pipefail"
    assert not {"pull_request_target", "workflow_run"} & set(data["on"])
    for name, job in data["jobs"].items():
        assert "timeout-minutes" in job, name
        assert "permissions" in job or data["permissions"] == {"contents": "read"}
    for step in steps(data):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
        # Values reach scripts through env:, never by template expansion.
        assert "${{" not in str(step.get("run", "")), step.get("name")


@pytest.mark.parametrize("path", WORKFLOWS, ids=ids(WORKFLOWS))
def test_secrets_appear_only_in_step_env(path: Path) -> None:
    data = gha.load_workflow(path)
    in_step_env = [
        name
        for step in steps(data)
        for value in step.get("env", {}).values()
        for name in SECRET.findall(str(value))
    ]
    text = path.read_text(encoding="utf-8")
    assert sorted(SECRET.findall(text)) == sorted(in_step_env)


def test_ci_runs_the_readme_test_command_on_every_supported_python() -> None:
    data = gha.load_workflow(REPO_ROOT / ".github" / "workflows" / "ci.yml")
    assert {"push", "pull_request"} <= set(data["on"])
    assert data["permissions"] == {"contents": "read"}
    assert data["concurrency"]["cancel-in-progress"] == (
        "${{ github.event_name == 'pull_request' }}"
    )
    [job] = data["jobs"].values()
    versions = job["strategy"]["matrix"]["python"]
    assert versions == ["3.11", "3.12", "3.13"]
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text("utf-8"))
    assert pyproject["project"]["requires-python"] == f">={versions[0]}"
    assert [s["run"] for s in job["steps"] if "run" in s] == ["make test"]


def test_plan_runs_on_pull_request_and_only_with_secrets_from_this_repo() -> None:
    data = workflow("plan.yml")
    assert set(data["on"]) == {"pull_request"}
    assert data["permissions"] == {}
    validate, plan = data["jobs"]["validate"], data["jobs"]["plan"]
    assert validate["permissions"] == {"contents": "read"}
    assert "secrets." not in str(validate)
    assert plan["needs"] == "validate"
    assert plan["if"] == (
        "github.event.pull_request.head.repo.full_name == github.repository"
        " && github.event.pull_request.user.login != 'dependabot[bot]'"
    )
    assert plan["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert set(SECRET.findall(str(plan))) == ADMIN_SECRETS


def test_apply_is_protected_serialised_and_keeps_its_audit_log() -> None:
    data = workflow("apply.yml")
    assert data["on"]["push"]["branches"] == ["main"]
    assert data["concurrency"] == {
        "group": "psconfig-apply",
        "cancel-in-progress": False,
    }
    job = data["jobs"]["apply"]
    assert job["environment"] == "powerschool-production"
    assert job["permissions"] == {"contents": "read"}
    assert job["if"] == "github.ref == 'refs/heads/main'"
    assert set(SECRET.findall(str(job))) == ADMIN_SECRETS | {"CLEVER_SYNC_PASSWORD"}
    [upload] = [s for s in job["steps"] if "upload-artifact" in s.get("uses", "")]
    assert upload["if"] == "always()"


def test_drift_runs_nightly_and_may_only_write_issues() -> None:
    data = workflow("drift.yml")
    assert set(data["on"]) == {"schedule", "workflow_dispatch"}
    [schedule] = data["on"]["schedule"]
    minute, hour, *every_day = schedule["cron"].split()
    assert every_day == ["*", "*", "*"] and minute.isdigit() and hour.isdigit()
    assert data["env"]["DRIFT_LABEL"] == "psconfig-drift"
    job = data["jobs"]["drift"]
    assert job["permissions"] == {"contents": "read", "issues": "write"}
    assert set(SECRET.findall(str(job))) == ADMIN_SECRETS


@pytest.mark.parametrize("name", ["plan.yml", "apply.yml", "drift.yml"])
def test_examples_install_the_pinned_psconfig_release(name: str) -> None:
    data = workflow(name)
    version = data["env"]["PSCONFIG_VERSION"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert version == workflow("plan.yml")["env"]["PSCONFIG_VERSION"]
    installs = [s["run"] for s in steps(data) if s.get("id") == "install"]
    assert installs and set(installs) == {INSTALL}


def test_every_secret_used_is_documented_for_districts() -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    used = {s for p in EXAMPLES.glob("*.yml") for s in SECRET.findall(p.read_text())}
    assert used == ADMIN_SECRETS | {"CLEVER_SYNC_PASSWORD"}
    for name in [*used, "powerschool-production", "psconfig-drift", "PSCONFIG_VERSION"]:
        assert f"`{name}`" in readme, name
