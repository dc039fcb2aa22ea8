"""examples/demo.sh: the `make demo` script passes, and fails on a wrong exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.sh"


def run_demo(path_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{path_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PSCONFIG_SIM_DIR", None)
    return subprocess.run(
        ["sh", str(DEMO)], capture_output=True, text=True, env=env, timeout=120
    )


def test_demo_plans_applies_and_plans_empty(tmp_path: Path) -> None:
    result = run_demo(Path(sys.executable).parent)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.count("(exit 2, as expected)") == 1
    assert out.count("(exit 0, as expected)") == 2
    assert "Apply complete: 1 created, 3 changed, 0 removed." in out
    assert "No changes. PowerSchool matches the spec." in out
    assert "demo-only-Cl3ver-sync" not in out + result.stderr


def test_demo_fails_when_a_step_exits_unexpectedly(tmp_path: Path) -> None:
    fake = tmp_path / "psconfig"
    fake.write_text('#!/bin/sh\necho "fake psconfig $*"\nexit 0\n')
    fake.chmod(0o755)
    result = run_demo(tmp_path)
    assert result.returncode == 1
    assert "exited 0, expected 2" in result.stderr
    assert "fake psconfig apply" not in result.stdout
