from __future__ import annotations

from typer.testing import CliRunner

from psconfig import __version__
from psconfig.cli import _register_all, app


def test_version_flag_prints_version() -> None:
    _register_all()
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"psconfig {__version__}"


def test_usage_errors_exit_1_not_2_which_means_changes_pending() -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "psconfig", "plan", "--no-such-flag"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "No such option" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_help_and_version_exit_0_through_the_console_entry_point() -> None:
    import subprocess
    import sys

    for args in (["--version"], ["--help"], ["plan", "--help"]):
        proc = subprocess.run(
            [sys.executable, "-m", "psconfig", *args],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, (args, proc.stderr)


def test_the_suite_cannot_reach_off_loopback() -> None:
    import socket

    import pytest

    probe = socket.socket()
    with pytest.raises(OSError, match="network guard"):
        probe.connect(("192.0.2.1", 1))
    probe.close()
    with pytest.raises(OSError, match="network guard"):
        socket.getaddrinfo("ps.example.org", 443)
