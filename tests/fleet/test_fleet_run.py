"""A fleet of 50 sim:// districts in one command: clean, drifted, never applied and
one unreachable; aggregated exit codes, the summary table and the JSON document.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import stamina

from tests.engine.builders import CANARY
from tests.fleet.helpers import (
    SPEC_WITH_LOGIN,
    closed_port,
    edit_sim,
    grant_health_logs,
    json_doc,
    rename_group,
    run,
    table_rows,
    write_fleet,
)

# 49 simulated districts in three folders, and one that cannot be reached.
REGIONS = {"north": range(0, 17), "south": range(17, 34), "west": range(34, 49)}
ESCALATED = ("d03", "d20")  # someone granted health logs by hand
RENAMED = ("d05", "d30")  # someone renamed the group
APPLIED = [f"d{n:02d}" for n in (*REGIONS["north"], *REGIONS["south"])]
NEVER_APPLIED = [f"d{n:02d}" for n in REGIONS["west"]]


def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLEVER_SYNC_PASSWORD", CANARY)
    monkeypatch.setenv("PS_ADMIN_USER", "admin")
    monkeypatch.setenv("PS_ADMIN_PASSWORD", "admin-password")
    monkeypatch.delenv("PSCONFIG_AUDIT_LOG", raising=False)
    monkeypatch.delenv("PSCONFIG_SIM_DIR", raising=False)


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    _environment(monkeypatch)
    with stamina.set_testing(True, attempts=2):  # no backoff waits when unreachable
        yield


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fleet, built once: 34 districts applied, then 4 of them changed by hand."""
    where = tmp_path_factory.mktemp("fleet")
    with pytest.MonkeyPatch.context() as patch:
        _environment(patch)
        patch.chdir(where)
        patch.setenv("PSCONFIG_HOME", str(where / ".psconfig"))
        root = Path("specs")
        write_fleet(root, REGIONS)
        url = f"http://127.0.0.1:{closed_port()}"
        (root / "west" / "unreachable.yaml").write_text(
            SPEC_WITH_LOGIN.format(name="unreachable", url=url)
        )
        applied = run("apply", "specs/north", "specs/south", "--auto-approve")
        assert applied.exit_code == 0, applied.output
        assert "34 districts: 34 applied." in applied.stdout
        for name in ESCALATED:
            edit_sim(name, grant_health_logs)
        for name in RENAMED:
            edit_sim(name, rename_group)
    return where


@pytest.fixture
def fleet(prepared: Path) -> Path:
    """A private copy of the prepared fleet (specs and simulators) in the test's cwd."""
    shutil.copytree(prepared, Path.cwd(), dirs_exist_ok=True)
    return Path("specs")


def test_drift_over_50_districts_is_one_json_document(fleet: Path) -> None:
    result = run("drift", str(fleet), "--format", "json")
    assert result.exit_code == 1, result.stderr  # an unreachable district is an error
    doc = json_doc(result)
    assert doc["format_version"] == "1.0"
    assert doc["command"] == "drift"
    assert doc["exit_code"] == 1
    districts = {d["name"]: d for d in doc["districts"]}
    assert len(doc["districts"]) == len(districts) == 50

    drifted = {*ESCALATED, *RENAMED, *NEVER_APPLIED}
    for name in APPLIED:
        expected = "drift" if name in drifted else "clean"
        assert districts[name]["result"] == expected, name
    for name in NEVER_APPLIED:
        assert districts[name]["result"] == "drift", name
        assert districts[name]["plan"]["target"]["url"] == f"sim://{name}"
    for name in ESCALATED:
        assert districts[name]["escalations"] == 1
        [change] = districts[name]["plan"]["changes"]
        assert change["address"] == "group.12"
        assert change["severity"] == "escalation"
    for name in RENAMED:
        assert (districts[name]["changes"], districts[name]["escalations"]) == (1, 0)
        assert districts[name]["exit_code"] == 2

    down = districts["unreachable"]
    assert down["result"] == "error" and down["exit_code"] == 1
    assert down["plan"] is None
    assert "cannot reach http://127.0.0.1:" in down["error"]
    assert down["path"] == "specs/west/unreachable.yaml"

    assert doc["summary"] == {
        "districts": 50,
        "specs_given": 50,
        "clean": 30,
        "changes": 0,
        "drift": 19,
        "applied": 0,
        "refused": 0,
        "error": 1,
        "changed_objects": sum(d["changes"] for d in doc["districts"]),
        "escalations": sum(d["escalations"] for d in doc["districts"]),
        "duration_s": doc["summary"]["duration_s"],
    }
    # The table goes to stderr, so stdout stays one document; no secret anywhere.
    assert "50 districts: 30 clean, 19 drifted, 1 failed." in result.stderr
    assert CANARY not in result.stdout + result.stderr


def test_plan_over_50_districts_prints_every_plan_and_a_summary(fleet: Path) -> None:
    result = run("plan", str(fleet))
    assert result.exit_code == 1, result.stderr
    rows = table_rows(result.stdout)
    assert set(rows) == {*APPLIED, *NEVER_APPLIED, "unreachable"}
    for name in NEVER_APPLIED:
        assert rows[name][1:5] == [f"specs/west/{name}.yaml", "changes", "4", "3"]
    for name in ESCALATED:
        assert rows[name][2:5] == ["changes", "1", "0"]  # the plan reduces access
    assert rows["unreachable"][2] == "error"
    assert rows["d00"][2:5] == ["clean", "0", "0"]
    assert "50 districts: 30 clean, 19 with changes, 1 failed." in result.stdout
    # The table comes first, then the full plan of each district with changes,
    # in path order; clean districts are in the table only.
    assert result.stdout.count("psconfig plan: d") == 19
    assert "psconfig plan: d00" not in result.stdout
    assert result.stdout.startswith("District ")
    assert result.stdout.index("psconfig plan: d03") < result.stdout.index(
        "psconfig plan: d48"
    )
    # Progress: one plain line per district on stderr (not a terminal), and the
    # unreachable district's one-line error.
    progress = [
        line for line in result.stderr.splitlines() if line.startswith("plan [")
    ]
    assert len(progress) == 50
    assert progress[-1].startswith("plan [50/50] ")
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert errors[0].startswith("error: specs/west/unreachable.yaml: ")
    assert "Traceback" not in result.output


def test_exit_codes_aggregate_over_the_subsets(fleet: Path) -> None:
    clean = [f"specs/north/d{n:02d}.yaml" for n in (0, 1, 2, 4)]
    assert run("plan", *clean).exit_code == 0
    assert run("drift", *clean).exit_code == 0
    assert run("plan", *clean, "specs/north/d03.yaml").exit_code == 2
    assert run("drift", "specs/north").exit_code == 2

    # Apply converges everything that can be reached; the unreachable district
    # fails without stopping the others.
    applied = run("apply", "specs", "--auto-approve", "--parallelism", "16")
    assert applied.exit_code == 1, applied.output
    assert "50 districts: 30 clean, 19 applied, 1 failed." in applied.stdout
    assert (
        run("drift", "specs/north", "specs/south", "specs/west/d40.yaml").exit_code == 0
    )
