"""Snapshots answer exactly what was read, refuse the rest, and survive a file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psconfig.engine.sources.snapshot import (
    RecordingDriver,
    SnapshotDriver,
    SnapshotError,
    StaleSnapshotError,
    check_snapshot,
    human_age,
    parse_duration,
    snapshot_from_json,
    snapshot_to_json,
)
from psconfig.errors import RefusedError
from psconfig.model import DDE_PAGES, Scope, SetPageToggle, State
from tests.engine.builders import clever_staff
from tests.engine.fakes import FakeDriver, fresh_state

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
PAGES = (*DDE_PAGES, "/admin/other.html")
STAFF_IDS = ("1", "99999", "555", "777")


def live_state() -> State:
    base = fresh_state()
    clerk = clever_staff(staff_id="555").model_copy(
        update={
            "admin_access": clever_staff().admin_access.model_copy(
                update={"enabled": False, "username": "clerk"}
            )
        }
    )
    return base.model_copy(
        update={
            "staff": {**base.staff, "99999": clever_staff(), "555": clerk},
            "page_permissions": {DDE_PAGES[0]: {12: "full"}, DDE_PAGES[1]: {}},
            "page_toggle": True,
        }
    )


scopes = st.builds(
    Scope,
    groups=st.none() | st.frozensets(st.integers(1, 15), max_size=4),
    pages=st.frozensets(st.sampled_from(PAGES), max_size=3),
    staff_ids=st.none() | st.frozensets(st.sampled_from(STAFF_IDS), max_size=3),
)


def reloaded(recorder: RecordingDriver) -> SnapshotDriver:
    snapshot = recorder.snapshot(spec_name="demo", read_at="2026-03-02T11:00:00Z")
    text = snapshot_to_json(snapshot)
    return SnapshotDriver(
        snapshot_from_json(text, source="s.json"), source="s.json", now=NOW
    )


@given(recorded=st.lists(scopes, min_size=1, max_size=4), asked=st.lists(scopes))
def test_a_snapshot_answers_like_the_server_or_says_it_cannot(
    recorded: list[Scope], asked: list[Scope]
) -> None:
    async def check() -> None:
        server = FakeDriver(live_state())
        recorder = RecordingDriver(server)
        for scope in recorded:
            await recorder.read(scope)
        offline = reloaded(recorder)
        for scope in recorded:  # every read it holds, exactly as the server said
            assert await offline.read(scope) == await server.read(scope)
        for scope in asked:  # anything else: the server's answer, or a refusal
            try:
                answer = await offline.read(scope)
            except SnapshotError:
                continue
            assert answer == await server.read(scope)

    asyncio.run(check())


def test_a_repeated_read_is_answered_from_memory() -> None:
    async def check() -> None:
        server = FakeDriver(live_state())
        recorder = RecordingDriver(server)
        everything = Scope(groups=None, pages=frozenset(DDE_PAGES), staff_ids=None)
        await recorder.read(everything)
        await recorder.read(Scope(groups=frozenset({12}), staff_ids=None))
        assert server.reads == [everything]
        with pytest.raises(RefusedError):
            await recorder.apply(SetPageToggle(on=False))

    asyncio.run(check())


def snapshot_at(read_at: str) -> SnapshotDriver:
    recorder = RecordingDriver(FakeDriver(live_state()))
    asyncio.run(recorder.read(Scope()))
    snapshot = recorder.snapshot(spec_name="demo", read_at=read_at)
    return SnapshotDriver(snapshot, source="s.json", now=NOW)


def test_the_target_the_age_and_the_clock_are_checked() -> None:
    driver = snapshot_at("2026-03-01T00:00:00Z")
    snapshot = driver.snapshot
    check_snapshot(snapshot, source="s", url="sim://fake", now=NOW, max_age=None)
    with pytest.raises(SnapshotError, match="is of sim://fake, but the spec"):
        check_snapshot(snapshot, source="s", url="sim://x", now=NOW, max_age=None)
    with pytest.raises(StaleSnapshotError, match="1 d 12 h old"):
        check_snapshot(
            snapshot, source="s", url="sim://fake", now=NOW, max_age=timedelta(days=1)
        )
    future = snapshot_at("2026-03-02T13:00:00Z").snapshot
    with pytest.raises(SnapshotError, match="in the future"):
        check_snapshot(future, source="s", url="sim://fake", now=NOW, max_age=None)


def test_a_snapshot_holds_no_write_and_a_refused_apply() -> None:
    driver = snapshot_at("2026-03-02T11:00:00Z")
    with pytest.raises(RefusedError, match="cannot be changed"):
        asyncio.run(driver.apply(SetPageToggle(on=True)))
    assert driver.info.url == "sim://fake" and driver.info.username == "admin"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("36h", 129600), ("2d", 172800), ("90m", 5400), ("1h30m", 5400), ("45s", 45)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "soon", "36", "h", "1x", "1h soon"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (40, "40 s"),
        (720, "12 min"),
        (3600, "1 h"),
        (18180, "5 h 3 min"),
        (86400, "1 d"),
        (187200, "2 d 4 h"),
        (-5, "0 s"),
    ],
)
def test_ages_read_in_two_units_at_most(seconds: int, shown: str) -> None:
    assert human_age(timedelta(seconds=seconds)) == shown


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(read_at="2026-03-02T02:00:00"), "invalid snapshot read_at"),
        (lambda d: d.update(read_at="yesterday"), "invalid snapshot read_at"),
        (lambda d: d.update(extra=1), "invalid snapshot at extra"),
        (lambda d: d.update(format_version="2.0"), "format_version '2.0'"),
        (lambda d: d.update(format="other"), "not a psconfig snapshot"),
        (lambda d: d["state"].update(page_toggle=False), "modified after it was taken"),
    ],
)
def test_a_damaged_snapshot_is_refused_in_one_line(
    edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    driver = snapshot_at("2026-03-02T11:00:00Z")
    data = json.loads(snapshot_to_json(driver.snapshot))
    assert data["state"]["page_toggle"] is True
    snapshot_from_json(json.dumps(data), source="s.json")  # as written: accepted
    edit(data)
    with pytest.raises(SnapshotError, match=message) as refused:
        snapshot_from_json(json.dumps(data), source="s.json")
    assert "\n" not in str(refused.value)
