from __future__ import annotations

from typer.testing import CliRunner

from psconfig import __version__
from psconfig.cli import _register_all, app


def test_version_flag_prints_version() -> None:
    _register_all()
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"psconfig {__version__}"
