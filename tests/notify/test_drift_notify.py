"""``drift --notify``: the summary reaches a real webhook on loopback, and nothing
about notifying can cost the drift result or its exit code.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from psconfig.cli import _register_all, app
from psconfig.notify import compose, run_link
from psconfig.sim import load_state, save_state, state_path_for
from tests.fleet.helpers import SPEC
from tests.fleet.test_render import district, fleet
from tests.notify.receiver import receiving

TOKEN = "T0KEN-in-the-webhook-url"
GITHUB = {
    "GITHUB_SERVER_URL": "https://github.example",
    "GITHUB_REPOSITORY": "district/psconfig-specs",
    "GITHUB_RUN_ID": "4242",
}


def run(*args: str, **env: str) -> Result:
    _register_all()
    env.setdefault("CLEVER_SYNC_PASSWORD", "notify-test-Cl3ver-sync")
    return CliRunner().invoke(app, list(args), env=env)


def specs(*names: str) -> list[str]:
    for name in names:
        Path(f"{name}.yaml").write_text(SPEC.format(name=name, url=f"sim://{name}"))
    return [f"{name}.yaml" for name in names]


def critical_lines(doc: dict[str, Any]) -> list[str]:
    """What the summary must list as CRITICAL, from the drift's own JSON."""
    return [
        f"- {d['name']}: {c['address']}: {f['message']}"
        for d in doc["districts"]
        for c in d["plan"]["changes"]
        for f in c["findings"]
        if f["effect"] == "escalation"
    ]


def widen_by_hand(name: str) -> None:
    """An administrator gives the export group View & Modify behind psconfig's back."""
    path = state_path_for(f"sim://{name}", Path(".psconfig") / "sim")
    state = load_state(path)
    [group] = [g for g in state.groups if g.number == 12]
    group.access_level = "view_and_modify"
    save_state(state, path)


def test_a_drifted_fleet_is_summarized_critical_first() -> None:
    names = specs("springfield", "lincoln")
    for name in names:
        assert run("apply", name, "--auto-approve").exit_code == 0
    widen_by_hand("springfield")
    with receiving() as hook:
        result = run(
            "drift",
            *names,
            "--format",
            "json",
            "--notify",
            "${env:DRIFT_HOOK}",
            DRIFT_HOOK=hook.url(f"/hooks/{TOKEN}"),
            **GITHUB,
        )
    assert result.exit_code == 2, result.output
    doc = json.loads(result.stdout)  # the drift result is whole
    assert [d["result"] for d in doc["districts"]] == ["drift", "clean"]
    [(path, body)] = hook.received
    assert path == f"/hooks/{TOKEN}"
    assert body["title"] == (
        f"psconfig drift: 1 of 2 districts drifted, {len(critical_lines(doc))} CRITICAL"
    )
    assert body["type"] == "failure"
    lines = body["message"].splitlines()
    expected = critical_lines(doc)
    assert expected and lines[: 1 + len(expected)] == [
        "CRITICAL: privilege escalations:",
        *expected,
    ]
    assert (
        "- springfield (springfield.yaml): 1 object, 1 critical"
        in lines[len(expected) + 3]
    )
    assert lines[-2:] == [
        "2 districts: 1 clean, 1 drifted.",
        "Run: https://github.example/district/psconfig-specs/actions/runs/4242",
    ]
    assert TOKEN not in result.output


def test_a_clean_run_sends_nothing_unless_always() -> None:
    [spec] = specs("lincoln")
    assert run("apply", spec, "--auto-approve").exit_code == 0
    with receiving() as hook:
        quiet = run("drift", spec, "--notify", "${env:HOOK}", HOOK=hook.url())
        assert (quiet.exit_code, hook.received) == (0, [])
        always = run(
            "drift", spec, "--notify", "${env:HOOK}", "--notify-always", HOOK=hook.url()
        )
    assert always.exit_code == 0
    [(_, body)] = hook.received
    assert body["title"] == "psconfig drift: no drift in 1 district"
    assert body["type"] == "success"
    assert "Run:" not in body["message"]  # not in CI


def test_every_url_is_tried_and_a_failure_is_only_a_warning() -> None:
    [spec] = specs("springfield")
    with receiving(status=500) as broken, receiving() as working:
        result = run(
            "drift",
            spec,
            "--notify",
            "${env:BROKEN}",
            "--notify",
            "${env:WORKING}",
            BROKEN=broken.url(f"/{TOKEN}"),
            WORKING=working.url(),
        )
    assert result.exit_code == 2  # drift found, as without --notify
    assert "Drift: 4 objects differ from the spec." in result.stdout
    assert len(broken.received) == 1 and len(working.received) == 1
    assert result.stderr.splitlines()[-1] == (
        "warning: the notification to ${env:BROKEN} failed; the drift result "
        "above stands"
    )
    assert TOKEN not in result.output


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("env", "warning"),
    [
        (
            {"HOOK": f"json://127.0.0.1:{closed_port()}/{TOKEN}"},
            "warning: the notification to ${env:HOOK} failed",
        ),
        (
            {"HOOK": f"nosuchservice://{TOKEN}"},
            "warning: not notifying ${env:HOOK}: not a notification URL Apprise knows",
        ),
        ({}, "warning: not notifying: --notify: ${env:HOOK}: environment variable"),
    ],
    ids=["unreachable", "unknown-service", "secret-not-set"],
)
def test_a_notification_that_cannot_go_keeps_the_drift_result(
    env: dict[str, str], warning: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOOK", raising=False)
    [spec] = specs("springfield")
    result = run("drift", spec, "--notify", "${env:HOOK}", **env)
    assert result.exit_code == 2
    assert "Drift: 4 objects differ from the spec." in result.stdout
    assert any(line.startswith(warning) for line in result.stderr.splitlines())
    assert TOKEN not in result.output and "Traceback" not in result.output


def test_a_literal_url_is_refused_before_anything_runs() -> None:
    [spec] = specs("springfield")
    result = run("drift", spec, "--notify", f"json://127.0.0.1:9/{TOKEN}")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: --notify takes a secret reference")
    assert TOKEN not in result.output


def test_the_run_link_needs_all_three_variables() -> None:
    assert run_link(GITHUB) == (
        "https://github.example/district/psconfig-specs/actions/runs/4242"
    )
    for missing in GITHUB:
        partial = {k: v for k, v in GITHUB.items() if k != missing}
        assert run_link(partial) is None


def test_a_long_list_is_cut_short() -> None:
    many = [
        district(f"d{n:02d}", result="error", error=f"boom {n}\nsecond line", plan=None)
        for n in range(25)
    ]
    notice = compose(fleet(*many, command="drift"))
    lines = notice.body.splitlines()
    assert lines[:3] == [
        "Failed:",
        "- d00 (specs/d00.yaml): boom 0",
        "- d01 (specs/d01.yaml): boom 1",
    ]
    assert "- ... and 5 more" in lines
    assert notice.title == "psconfig drift: 0 of 25 districts drifted, 25 failed"
    assert notice.level == "failure"


def test_a_file_reference_is_read_from_the_working_directory() -> None:
    [spec] = specs("springfield")
    with receiving() as hook:
        Path("hook-url").write_text(hook.url(f"/{TOKEN}") + "\n")
        result = run("drift", spec, "--notify", "${file:hook-url}")
    assert result.exit_code == 2
    assert [path for path, _ in hook.received] == [f"/{TOKEN}"]
    assert "notif" not in result.stderr  # no warning about it
