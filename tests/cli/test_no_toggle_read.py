"""``--no-toggle-read``: plan and drift never write, even to read page permissions."""

from __future__ import annotations

import pytest

from tests.cli.helpers import error_lines, log_requests, run, write_demo, writes

TOGGLE_PAGE = "/admin/security/changepageaccesspriv.html"


@pytest.fixture(autouse=True)
def _demo() -> None:
    write_demo()
    assert run("plan", "demo.yaml").exit_code == 2  # seeds sim://demo


@pytest.mark.parametrize("command", ["plan", "drift"])
def test_without_the_flag_a_read_brackets_the_toggle(command: str) -> None:
    log_requests(toggle=False)
    assert run(command, "demo.yaml").exit_code == 2
    assert writes() == [TOGGLE_PAGE, TOGGLE_PAGE]


@pytest.mark.parametrize("command", ["plan", "drift"])
def test_with_the_toggle_off_it_stops_without_writing(command: str) -> None:
    log_requests(toggle=False)
    result = run(command, "demo.yaml", "--no-toggle-read")
    assert result.exit_code == 1, result.output
    [line] = error_lines(result)
    assert line.startswith("error: page permissions cannot be read while the ")
    assert writes() == []


@pytest.mark.parametrize("command", ["plan", "drift"])
def test_with_the_toggle_on_it_reads_everything_without_writing(
    command: str,
) -> None:
    log_requests(toggle=True)
    result = run(command, "demo.yaml", "--no-toggle-read")
    assert result.exit_code == 2, result.output
    assert 'page_permissions["/admin/tech/dde/exportrecords.html"]' in result.stdout
    assert "turned the page-permission toggle on" not in result.stdout
    assert writes() == []
