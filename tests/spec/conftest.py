"""Helpers for the spec tests: the CLI runner, spec files in the test's directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from psconfig.cli import _register_all, app

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"

PRESET_SPEC = """\
psconfig: 1
name: district
server: {url: sim://district}
preset:
  clever-dde-sync:
    password: ${env:CLEVER_SYNC_PASSWORD}
    allowed_ips: [192.0.2.10]
"""
"""A valid preset spec (no warnings) to build variations on."""

Invoke = Callable[..., Result]
WriteSpec = Callable[..., Path]


@pytest.fixture(scope="session")
def cli() -> Invoke:
    """Run ``psconfig ARGS...`` in-process; stdout and stderr apart."""
    _register_all()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args))

    return invoke


@pytest.fixture
def write_spec(tmp_path: Path) -> WriteSpec:
    """Write spec text (or bytes) to a file in the test's directory."""

    def write(content: str | bytes, name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write
