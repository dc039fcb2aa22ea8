"""``--workers N``: a fleet plan over several processes reports as one process does."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.engine.builders import CANARY
from tests.fleet.helpers import (
    closed_port,
    edit_sim,
    json_doc,
    run,
    write_fleet,
    write_spec,
)

_TIMING = re.compile(r"\b\d+(\.\d+)?\s?(ms|s)\b")
_COUNTER = re.compile(r"\[\d+/")


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLEVER_SYNC_PASSWORD", CANARY)
    monkeypatch.delenv("PSCONFIG_AUDIT_LOG", raising=False)


def _without_times(value: Any) -> Any:
    """The document with every time of day and duration left out."""
    if isinstance(value, dict):
        return {
            k: _without_times(v)
            for k, v in value.items()
            if "duration" not in k and "timestamp" not in k and not k.endswith("_at")
        }
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def _lines(text: str) -> list[str]:
    """Progress and table lines, times and finishing order masked, sorted."""
    return sorted(
        _COUNTER.sub("[n/", _TIMING.sub("T", line)) for line in text.splitlines()
    )


def _mixed_fleet() -> None:
    """Clean, changed, escalated, shared-server and unreachable districts."""
    write_fleet(Path("specs"), {"east": range(3), "west": range(3, 6)})
    write_spec(Path("specs/west/shared1.yaml"), "shared1", "sim://d03")
    write_spec(
        Path("specs/west/gone.yaml"), "gone", f"http://127.0.0.1:{closed_port()}"
    )
    assert run("apply", "specs/east/d00.yaml", "--auto-approve").exit_code == 0
    assert run("apply", "specs/east/d01.yaml", "--auto-approve").exit_code == 0
    edit_sim("d01", lambda data: data["groups"][11]["log_types"].append("health"))


@pytest.mark.parametrize("mode", ["plan", "drift"])
def test_two_workers_report_what_one_process_does(mode: str) -> None:
    _mixed_fleet()
    one = run(mode, "specs", "--format", "json", "--workers", "1")
    two = run(mode, "specs", "--format", "json", "--workers", "2")
    assert one.exit_code == two.exit_code == 1, one.output  # the unreachable one
    doc = json_doc(one)
    assert len(doc["districts"]) == 8
    assert _without_times(json_doc(two)) == _without_times(doc)
    assert _lines(two.stderr) == _lines(one.stderr)


def test_text_report_and_exit_code_match_across_workers() -> None:
    write_fleet(Path("specs"), {"all": range(4)})
    one = run("plan", "specs", "--workers", "1")
    many = run("plan", "specs", "--workers", "3")
    assert one.exit_code == many.exit_code == 2, many.output
    assert _lines(many.stdout) == _lines(one.stdout)
    assert "4 districts: 4 with changes." in many.stdout


def test_workers_must_be_positive() -> None:
    write_fleet(Path("specs"), {"all": range(2)})
    result = run("plan", "specs", "--workers", "0")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: --workers must be at least 1 (got 0)"
    ]
