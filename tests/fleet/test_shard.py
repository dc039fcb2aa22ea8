"""Sharding: shards 1/N..N/N cover every spec exactly once, the same on any machine."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psconfig.engine.fleet.runner import (
    Shard,
    parse_shard,
    select_shard,
    shard_keys,
    shard_of,
)
from psconfig.errors import PsconfigError
from tests.engine.builders import CANARY
from tests.fleet.helpers import json_doc, run, write_fleet

segment = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-_"),
    min_size=1,
    max_size=8,
)
relative_paths = st.lists(
    st.lists(segment, min_size=1, max_size=3).map(
        lambda parts: str(PurePosixPath(*parts).with_suffix(".yaml"))
    ),
    min_size=1,
    max_size=40,
    unique=True,
)
prefixes = st.sampled_from(["", "/srv/checkout", "/github/workspace/x", "sub/dir"])


@given(relative_paths, st.integers(min_value=1, max_value=12), prefixes)
def test_shards_partition_any_fleet(names: list[str], count: int, prefix: str) -> None:
    paths = [Path(prefix, name) for name in names]
    shards = [
        select_shard(paths, Shard(index=i, count=count)) for i in range(1, count + 1)
    ]
    chosen = [path for shard in shards for path in shard]
    assert sorted(chosen) == sorted(paths)  # every spec once, none twice
    for shard in shards:  # each keeps the given order
        assert shard == [p for p in paths if p in shard]


@given(relative_paths, st.integers(min_value=1, max_value=12), prefixes, prefixes)
def test_a_spec_lands_in_the_same_shard_wherever_the_fleet_is_checked_out(
    names: list[str], count: int, here: str, there: str
) -> None:
    local = [Path(here, "fleet", name) for name in names]
    remote = [Path(there, "fleet", name) for name in reversed(names)]
    assert shard_keys(local) == list(reversed(shard_keys(remote)))
    for index in range(1, count + 1):
        shard = Shard(index=index, count=count)
        mine = {p.relative_to(Path(here, "fleet")) for p in select_shard(local, shard)}
        theirs = {
            p.relative_to(Path(there, "fleet")) for p in select_shard(remote, shard)
        }
        assert mine == theirs


@given(relative_paths, segment, st.integers(min_value=1, max_value=12))
def test_a_new_district_moves_no_other(
    names: list[str], extra: str, count: int
) -> None:
    # Two folders pin the common root at specs/, as in a fleet sorted by region.
    anchors = [Path("specs/east/anchor.yaml"), Path("specs/west/anchor.yaml")]
    before = [*anchors, *(Path("specs", name) for name in names)]
    after = [*before, Path("specs", f"{extra}-new.yml")]
    for old, new in zip(shard_keys(before), shard_keys(after), strict=False):
        assert old == new
        assert shard_of(old, count) == shard_of(new, count)


def test_keys_are_relative_posix_paths() -> None:
    paths = [Path("specs/east/a.yaml"), Path("specs/west/b.yaml")]
    assert shard_keys(paths) == ["east/a.yaml", "west/b.yaml"]
    assert shard_keys([Path("one.yaml")]) == ["one.yaml"]
    assert shard_keys([]) == []
    assert shard_of("east/a.yaml", 1) == 1


@pytest.mark.parametrize(
    ("text", "expected"), [("1/3", (1, 3)), (" 3 / 3 ", (3, 3)), ("1/1", (1, 1))]
)
def test_parse_shard(text: str, expected: tuple[int, int]) -> None:
    shard = parse_shard(text)
    assert (shard.index, shard.count) == expected
    assert str(shard) == f"{expected[0]}/{expected[1]}"


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "1/0", "-1/3", "1/3/5"])
def test_a_malformed_shard_is_refused(text: str) -> None:
    with pytest.raises(PsconfigError, match="expected I/N with 1 <= I <= N"):
        parse_shard(text)


def test_three_ci_jobs_plan_every_district_exactly_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLEVER_SYNC_PASSWORD", CANARY)
    write_fleet(Path("specs"), {"east": range(12), "west": range(12, 24)})
    seen: list[str] = []
    for index in (1, 2, 3):
        result = run("plan", "specs", "--shard", f"{index}/3", "--format", "json")
        assert result.exit_code == 2, result.stderr
        doc = json_doc(result)
        assert doc["shard"] == f"{index}/3"
        assert doc["summary"]["specs_given"] == 24
        assert doc["summary"]["districts"] == len(doc["districts"]) >= 1
        seen.extend(d["path"] for d in doc["districts"])
        assert f"Shard {index}/3 of 24 specs." in result.stderr
    assert sorted(seen) == sorted(str(p) for p in Path("specs").rglob("*.yaml"))
    assert len(set(seen)) == 24


def test_an_empty_shard_passes_with_an_empty_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLEVER_SYNC_PASSWORD", CANARY)
    write_fleet(Path("specs"), {"all": range(2)})
    paths = sorted(Path("specs").rglob("*.yaml"))
    count = 8
    taken = {shard_of(key, count) for key in shard_keys(paths)}
    empty = min(set(range(1, count + 1)) - taken)
    result = run("drift", "specs", "--shard", f"{empty}/{count}", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json_doc(result)
    assert doc["districts"] == [] and doc["exit_code"] == 0
    text = run("drift", "specs", "--shard", f"{empty}/{count}")
    assert text.exit_code == 0
    assert f"0 districts. Shard {empty}/{count} of 2 specs." in text.stdout
