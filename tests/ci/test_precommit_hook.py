"""The pre-commit hook manifest (.pre-commit-hooks.yaml) and the command it runs.

pre-commit installs this package into its own environment (``language: python``)
and runs ``entry`` with the changed files appended, from the repository root. So
the entry must be a console script this package installs, accept several specs at
once, exit 0 when all are valid and 1 otherwise, and need no secrets or network.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.ci.conftest import REPO_ROOT

HOOKS = REPO_ROOT / ".pre-commit-hooks.yaml"
VALID_SPEC = REPO_ROOT / "specs" / "clever-dde-sync.yaml"
INVALID_SPEC = """\
psconfig: 1
name: springfield-usd
server:
  url: sim://springfield
security_groups:
  - number: twelve
    not_a_field: true
"""
# Keys pre-commit's hook manifest schema knows (pre-commit/clientlib.py).
MANIFEST_KEYS = {
    "id", "name", "entry", "language", "alias", "files", "exclude", "types",
    "types_or", "exclude_types", "additional_dependencies", "args",
    "always_run", "fail_fast", "pass_filenames", "description",
    "language_version", "log_file", "require_serial", "stages", "verbose",
    "minimum_pre_commit_version",
}  # fmt: skip
SECRET_NAMES = {"PS_ADMIN_USER", "PS_ADMIN_PASSWORD", "CLEVER_SYNC_PASSWORD"}


def hook() -> dict[str, Any]:
    manifest = YAML(typ="safe").load(HOOKS.read_text(encoding="utf-8"))
    assert isinstance(manifest, list)
    [only] = manifest
    assert isinstance(only, dict)
    return only


def run_entry(*files: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the hook's entry the way pre-commit does, offline and without secrets."""
    program, *args = shlex.split(hook()["entry"])
    executable = Path(sys.executable).parent / program
    env = {k: v for k, v in os.environ.items() if k not in SECRET_NAMES}
    return subprocess.run(
        [str(executable), *args, *files],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_manifest_declares_the_validate_hook() -> None:
    entry = hook()
    assert {"id", "name", "entry", "language"} <= set(entry)
    assert set(entry) <= MANIFEST_KEYS
    assert entry["id"] == "psconfig-validate"
    assert entry["entry"] == "psconfig validate"
    assert entry["language"] == "python"
    assert entry.get("pass_filenames", True) is True


@pytest.mark.parametrize(
    ("path", "selected"),
    [
        ("specs/springfield.yaml", True),
        ("district.yml", True),
        ("specs/psconfig-v1.schema.json", False),
        ("notes/yaml.md", False),
    ],
)
def test_files_pattern_selects_yaml(path: str, selected: bool) -> None:
    # pre-commit applies `files` with re.search.
    assert bool(re.search(hook()["files"], path)) is selected


def test_entry_is_a_console_script_of_this_package() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text("utf-8"))
    program = shlex.split(hook()["entry"])[0]
    assert program in pyproject["project"]["scripts"]
    assert (Path(sys.executable).parent / program).exists()


@pytest.fixture
def spec_repo(tmp_path: Path) -> Path:
    """A spec repository holding the full Clever spec and a broken one."""
    assert VALID_SPEC.is_file(), "specs/clever-dde-sync.yaml (the full spec) is missing"
    specs = tmp_path / "specs"
    specs.mkdir()
    shutil.copy(VALID_SPEC, specs / "clever-dde-sync.yaml")
    (specs / "broken.yaml").write_text(INVALID_SPEC, encoding="utf-8")
    return tmp_path


def test_entry_accepts_a_valid_spec(spec_repo: Path) -> None:
    result = run_entry("specs/clever-dde-sync.yaml", cwd=spec_repo)

    assert result.returncode == 0, result.stdout + result.stderr


def test_entry_rejects_an_invalid_spec_naming_the_place(spec_repo: Path) -> None:
    result = run_entry("specs/broken.yaml", cwd=spec_repo)

    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"specs/broken\.yaml:\d+:\d+", result.stdout + result.stderr)
    assert "Traceback" not in result.stderr


def test_entry_fails_a_batch_with_one_invalid_spec(spec_repo: Path) -> None:
    # pre-commit passes every changed file in one call.
    result = run_entry("specs/clever-dde-sync.yaml", "specs/broken.yaml", cwd=spec_repo)

    assert result.returncode == 1, result.stdout + result.stderr
