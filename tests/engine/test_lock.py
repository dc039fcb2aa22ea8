"""The per-target apply lock."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from psconfig.engine.applying.lock import lock_key, target_lock
from psconfig.errors import LockHeldError


def test_second_holder_waits_then_gives_up(tmp_path: Path) -> None:
    with target_lock("https://ps.example.org", tmp_path, timeout=1):
        started = time.monotonic()
        with (
            pytest.raises(
                LockHeldError,
                match=r"another psconfig run \(apply, plan or drift\) holds the lock",
            ),
            target_lock("https://PS.example.org/", tmp_path, timeout=0.2),
        ):
            pass
        assert time.monotonic() - started >= 0.2


def test_other_targets_do_not_contend(tmp_path: Path) -> None:
    with (
        target_lock("sim://a", tmp_path, timeout=0.1),
        target_lock("sim://b", tmp_path, timeout=0.1),
    ):
        pass


def test_lock_is_released_after_use(tmp_path: Path) -> None:
    with target_lock("sim://a", tmp_path, timeout=0.1) as path:
        assert path.parent == tmp_path / "locks"
    with target_lock("sim://a", tmp_path, timeout=0.1):
        pass


def test_key_normalizes_case_slash_and_query() -> None:
    assert lock_key("HTTPS://PS.Example.org/") == lock_key("https://ps.example.org")
    assert lock_key("sim://demo?flavor=legacy") == lock_key("sim://demo")
    assert lock_key("sim://demo") != lock_key("sim://other")
