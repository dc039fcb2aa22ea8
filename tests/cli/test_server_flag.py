"""``--server`` passes the spec's URL rules on every command, before any traffic."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.cli.helpers import SIM_DIR, error_lines, run, write_demo

PASSWORD = "S3cretPW"
# Loopback and a documentation address. Were a check to regress, the suite's
# loopback-only network guard (tests/conftest.py) stops the connection attempt
# before any packet leaves this machine.
WITH_CREDENTIALS = f"https://admin:{PASSWORD}@127.0.0.1:1"
REMOTE_HTTP = "http://192.0.2.1:1/"

# Every command that takes --server, with what else it needs to get that far.
COMMANDS = [
    ["plan", "demo.yaml"],
    ["drift", "demo.yaml"],
    ["apply", "demo.yaml", "--auto-approve"],
    ["verify", "demo.yaml"],
    ["rotate-password", "demo.yaml", "--out", "new.txt"],
    ["doctor"],
    ["import"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_credentials_in_the_url_are_refused_without_echoing_them(
    command: list[str],
) -> None:
    write_demo()
    started = time.monotonic()
    result = run(*command, "--server", WITH_CREDENTIALS)
    assert result.exit_code == 1, result.output
    assert error_lines(result) == [
        "error: --server: put credentials under server.username/password, not the URL"
    ]
    assert PASSWORD not in result.output + result.stderr
    assert time.monotonic() - started < 5  # refused, not tried
    for path in Path.cwd().rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_plain_http_to_a_remote_host_is_refused(command: list[str]) -> None:
    write_demo()
    result = run(*command, "--server", REMOTE_HTTP)
    assert result.exit_code == 1, result.output
    [line] = error_lines(result)
    assert line.startswith(
        "error: --server: plain http:// is allowed only for loopback"
    )


def test_the_server_is_normalized_like_a_spec_url() -> None:
    write_demo()
    result = run(
        "plan", "demo.yaml", "--server", "sim://elsewhere/", "--format", "json"
    )
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout)["target"]["url"] == "sim://elsewhere"
    assert (SIM_DIR / "elsewhere.json").exists()
