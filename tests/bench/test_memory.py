"""The bench's memory measure: PSS summed over a process and its forked children."""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection

import pytest

from tests.bench.memory import Sampler, available

pytestmark = pytest.mark.skipif(not available(), reason="no smaps_rollup (not Linux)")

MIB = 1024
OWN = 64 * MIB  # KiB a child writes to its own pages


def _child(ready: Connection, done: Connection, own_kib: int) -> None:
    block = bytearray(own_kib * 1024)  # zeroed, so every page is written: resident
    ready.send(len(block))
    done.recv()


def _with_child(own_kib: int) -> tuple[int, int]:
    """(PSS, RSS) summed over this process and one forked child holding ``own_kib``."""
    context = multiprocessing.get_context("fork")
    ready_get, ready_put = context.Pipe(duplex=False)
    done_get, done_put = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(ready_put, done_get, own_kib))
    child.start()
    try:
        ready_get.recv()  # the child holds its memory now
        memory = Sampler()
        memory.sample()
    finally:
        done_put.send(None)
        child.join()
    return memory.peak_pss_kib, memory.peak_rss_kib


def test_a_childs_own_memory_is_counted_and_shared_pages_only_once() -> None:
    alone = Sampler()
    alone.sample()
    pss, rss = _with_child(OWN)
    # The child's own block is counted in full...
    assert pss - alone.peak_pss_kib >= OWN * 0.9
    # ...and the pages it shares with this process are not counted twice, as
    # summed RSS counts them.
    assert rss - pss >= alone.peak_rss_kib * 0.3
