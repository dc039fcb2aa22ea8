"""``apply --plan`` signs in only where the spec (or the same ``--server``) points."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.cli.helpers import (
    SIM_DIR,
    audit_events,
    error_lines,
    run,
    state_file,
    write_demo,
)


def saved_plan(*extra: str) -> dict[str, object]:
    write_demo()
    planned = run("plan", "demo.yaml", "--out", "plan.json", *extra)
    assert planned.exit_code == 2, planned.output
    data: dict[str, object] = json.loads(Path("plan.json").read_text())
    return data


def retarget(url: str) -> None:
    data = json.loads(Path("plan.json").read_text())
    data["target"]["url"] = url
    Path("plan.json").write_text(json.dumps(data))


def test_a_plan_pointing_elsewhere_is_refused_before_signing_in() -> None:
    saved_plan()
    retarget("sim://other")
    result = run("apply", "--plan", "plan.json", "--auto-approve")
    assert result.exit_code == 3, result.output
    assert error_lines(result) == [
        "error: stale plan: plan.json was made for sim://other, but the server.url "
        "of demo.yaml is sim://demo; if it was made with --server, pass --server "
        "sim://other"
    ]
    assert not state_file("other").exists()  # never opened
    [record] = audit_events()
    assert record["event"] == "refused"
    assert record["target"]["url"] == "sim://other"


def test_a_plan_url_with_credentials_is_refused_without_echoing_them() -> None:
    saved_plan()
    retarget("https://admin:S3cretPW@127.0.0.1:1")
    result = run("apply", "--plan", "plan.json", "--auto-approve")
    assert result.exit_code == 3, result.output
    assert error_lines(result) == [
        "error: plan.json: refusing the plan's server URL: put credentials under "
        "server.username/password, not the URL"
    ]
    assert "S3cretPW" not in result.output + result.stderr
    [record] = audit_events()
    assert record["target"]["url"] == "(refused URL)"
    for path in Path.cwd().rglob("*"):
        if path.is_file() and path.name != "plan.json":
            assert b"S3cretPW" not in path.read_bytes(), path


def test_a_plan_made_with_server_needs_the_same_server() -> None:
    saved_plan("--server", "sim://elsewhere")
    without = run("apply", "--plan", "plan.json", "--auto-approve")
    assert without.exit_code == 3, without.output
    assert "pass --server sim://elsewhere" in without.stderr
    other = run(
        "apply", "--plan", "plan.json", "--auto-approve", "--server", "sim://third"
    )
    assert other.exit_code == 3, other.output
    assert "was made for sim://elsewhere, but --server is sim://third" in other.stderr
    assert not state_file("third").exists()
    same = run(
        "apply", "--plan", "plan.json", "--auto-approve", "--server", "sim://elsewhere"
    )
    assert same.exit_code == 0, same.output
    assert "Apply complete: 1 created" in same.stdout
    assert run("plan", "demo.yaml", "--server", "sim://elsewhere").exit_code == 0


def test_an_edited_spec_is_refused_before_signing_in() -> None:
    saved_plan()
    shutil.rmtree(SIM_DIR)  # signing in to sim://demo would create it again
    Path("demo.yaml").write_text(Path("demo.yaml").read_text() + "# edited\n")
    result = run("apply", "--plan", "plan.json", "--auto-approve")
    assert result.exit_code == 3, result.output
    assert "stale plan: the spec demo.yaml changed" in result.stderr
    assert not state_file("demo").exists()
    assert [e["event"] for e in audit_events()] == ["refused"]
