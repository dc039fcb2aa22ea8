"""The promises our workflows make that no generic linter checks.

Pinning to full SHAs with the release named (zizmor's offline default accepts some
tag pins), no expressions expanded inside scripts, secrets only where needed (none
at all for pull requests), psconfig only through this repository's pinned action,
and the shape the brief and the README describe for each workflow.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.ci import gha
from tests.ci.conftest import ACTION_NAME, EXAMPLES, REPO_ROOT, WORKFLOWS

USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+?)@(\S+)(?:\s+#\s*(\S+))?\s*$")
LOCAL_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*\./\s*(#.*)?$")
SECRET = re.compile(r"\$\{\{\s*secrets\.(\w+)\s*\}\}")
ADMIN_SECRETS = {"PS_ADMIN_USER", "PS_ADMIN_PASSWORD"}
ALL_SECRETS = ADMIN_SECRETS | {"CLEVER_SYNC_PASSWORD"}
PIP_INSTALL = re.compile(r"\b(?:pip3?|pipx|uv pip|uv tool)\s+install\b(.*)")
BARE_NAME = re.compile(r"^psconfig(?:\[[^\]]*\])?(?:[=<>~!].*)?$")


def ids(paths: list[Path]) -> list[str]:
    return [p.relative_to(REPO_ROOT).as_posix() for p in paths]


def workflow(name: str) -> dict[str, Any]:
    return gha.load_workflow(EXAMPLES / name)


def steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in data["jobs"].values() for step in job["steps"]]


def uses_lines(path: Path) -> list[re.Match[str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    # `uses: ./` is this repository's own action in its own CI: pinned by checkout.
    used = [
        ln for ln in lines if "uses:" in ln.split("#")[0] and not LOCAL_USES.match(ln)
    ]
    found = [USES.match(line) for line in used]
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
    assert set(data["jobs"]) == {"test", "action"}
    job = data["jobs"]["test"]
    versions = job["strategy"]["matrix"]["python"]
    assert versions == ["3.11", "3.12", "3.13"]
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text("utf-8"))
    assert pyproject["project"]["requires-python"] == f">={versions[0]}"
    assert [s["run"] for s in job["steps"] if "run" in s] == ["make test"]
    # The action itself, from this commit, on a hosted runner.
    action = data["jobs"]["action"]
    [local] = [s for s in action["steps"] if s.get("uses") == "./"]
    assert local["with"]["command"] == "validate"


def test_plan_runs_on_pull_request_and_only_with_secrets_from_this_repo() -> None:
    data = workflow("plan.yml")
    assert set(data["on"]) == {"pull_request", "workflow_dispatch"}
    assert data["permissions"] == {}
    validate, plan = data["jobs"]["validate"], data["jobs"]["plan"]
    assert validate["permissions"] == {"contents": "read"}
    assert plan["needs"] == "validate"
    assert plan["if"] == (
        "github.event_name == 'workflow_dispatch'"
        " || (github.event.pull_request.head.repo.full_name == github.repository"
        " && github.event.pull_request.user.login != 'dependabot[bot]')"
    )
    assert plan["permissions"] == {
        "contents": "read",
        "actions": "read",
        "pull-requests": "write",
    }
    assert "environment" not in plan


def test_the_pull_request_plan_references_no_powerschool_secret() -> None:
    text = (EXAMPLES / "plan.yml").read_text(encoding="utf-8")
    assert SECRET.findall(text) == []
    assert "secrets." not in text
    for name in ALL_SECRETS:
        assert name not in text, name
    # It plans offline, from the drift workflow's snapshot.
    data = workflow("plan.yml")
    planned = [s for s in steps(data) if s.get("with", {}).get("command") == "plan"]
    assert len(planned) == 2
    for step in planned:
        assert step["with"]["live"] == "${{ steps.snapshot.outputs.path }}"
        assert step["with"]["max-age"] == "${{ env.SNAPSHOT_MAX_AGE }}"


def test_apply_is_protected_serialised_and_keeps_its_audit_log() -> None:
    data = workflow("apply.yml")
    assert data["on"]["push"]["branches"] == ["main"]
    assert data["concurrency"] == {
        "group": "psconfig-apply",
        "cancel-in-progress": False,
    }
    job = data["jobs"]["apply"]
    assert job["environment"] == "powerschool-production"
    assert job["permissions"] == {
        "contents": "read",
        "actions": "read",
        "pull-requests": "write",
    }
    assert job["if"] == "github.ref == 'refs/heads/main'"
    # The admin secrets reach the action's apply step, and no other step.
    holders = [s for s in job["steps"] if SECRET.findall(str(s))]
    assert [s.get("id") for s in holders] == ["apply"]
    assert set(SECRET.findall(str(holders[0]["env"]))) == ALL_SECRETS
    assert holders[0]["with"]["reviewed-plan"] == "${{ steps.reviewed.outputs.plan }}"
    [upload] = [s for s in job["steps"] if "upload-artifact" in s.get("uses", "")]
    assert upload["if"] == "always()"


def test_intents_come_from_labels_never_from_the_pull_request_text() -> None:
    text = (EXAMPLES / "apply.yml").read_text(encoding="utf-8")
    for untrusted in ("pull_request.title", "pull_request.body", "head_commit"):
        assert untrusted not in text
    [apply] = [s for s in steps(workflow("apply.yml")) if s.get("id") == "apply"]
    for intent in ("allow-lower-access", "allow-remove-staff"):
        assert apply["with"][intent] == f"${{{{ steps.reviewed.outputs.{intent} }}}}"
    assert "allow-delete" not in apply["with"]
    assert apply["with"]["allow-add-groups"] == (
        "${{ steps.reviewed.outputs.allow-add-groups }}"
    )


def test_drift_runs_nightly_in_its_environment_and_may_only_write_issues() -> None:
    data = workflow("drift.yml")
    assert set(data["on"]) == {"schedule", "workflow_dispatch"}
    [schedule] = data["on"]["schedule"]
    minute, hour, *every_day = schedule["cron"].split()
    assert every_day == ["*", "*", "*"] and minute.isdigit() and hour.isdigit()
    assert data["env"]["DRIFT_LABEL"] == "psconfig-drift"
    job = data["jobs"]["drift"]
    assert job["environment"] == "powerschool-read"
    assert job["permissions"] == {"contents": "read", "issues": "write"}
    assert set(SECRET.findall(str(job))) == ADMIN_SECRETS


@pytest.mark.parametrize("name", ["plan.yml", "apply.yml", "drift.yml"])
def test_examples_run_psconfig_only_through_the_pinned_action(name: str) -> None:
    data = workflow(name)
    actions = [s["uses"] for s in steps(data) if "psconfig" in str(s.get("uses"))]
    assert actions, name
    assert {ref.split("@")[0] for ref in actions} == {ACTION_NAME}
    assert len(set(actions)) == 1
    # No script runs a psconfig of its own (messages may name it).
    for step in steps(data):
        for line in str(step.get("run", "")).splitlines():
            assert not re.search(r"(^\s*|\$\(|[;&|]\s*)psconfig\s", line), line


def shipped_text_files() -> list[Path]:
    """Every tracked workflow, doc, script and build file outside the tests."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    kinds = {".md", ".yml", ".yaml", ".sh", ".toml", ".txt", ".lock", ""}
    return [
        REPO_ROOT / name
        for name in tracked
        if name and Path(name).suffix in kinds and not name.startswith("tests/")
    ]


def test_nothing_installs_psconfig_by_bare_name_from_a_package_index() -> None:
    names = {p.relative_to(REPO_ROOT).as_posix() for p in shipped_text_files()}
    assert {"README.md", "Dockerfile", "Makefile", "examples/github/plan.yml"} <= names
    offenders = []
    for path in shipped_text_files():
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            match = PIP_INSTALL.search(line)
            tokens = (
                match[1].replace('"', " ").replace("'", " ").split() if match else []
            )
            if any(BARE_NAME.match(token) for token in tokens):
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line}")
    assert offenders == []


def test_the_bare_name_check_catches_an_index_install() -> None:
    for line in (
        'python -m pip install "psconfig==0.1.0"',
        "pipx install psconfig",
        "pip install psconfig[dev]",
    ):
        match = PIP_INSTALL.search(line)
        assert match and any(
            BARE_NAME.match(t) for t in match[1].replace('"', " ").split()
        )
    ok = "pipx install git+https://github.com/OWNER/psconfig@v0.1.0"
    match = PIP_INSTALL.search(ok)
    assert match and not any(BARE_NAME.match(t) for t in match[1].split())


def test_every_secret_used_is_documented_for_districts() -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    used = {s for p in EXAMPLES.glob("*.yml") for s in SECRET.findall(p.read_text())}
    assert used == ALL_SECRETS
    names = [
        *used,
        "powerschool-production",
        "powerschool-read",
        "psconfig-drift",
        "psconfig:allow-lower-access",
        "psconfig:allow-remove-staff",
        "psconfig:allow-add-groups",
        "psconfig-live-snapshot",
        "psconfig-plan",
    ]
    for name in names:
        assert f"`{name}`" in readme, name
