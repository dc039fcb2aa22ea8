"""Sharding a fleet (``--shard I/N``) across machines that never coordinate.

Each spec belongs to shard ``sha256(key) mod N + 1``, its key being its path
relative to the deepest directory holding every spec given (POSIX separators). The
same command on every machine therefore sees the same keys, and shards ``1/N`` to
``N/N`` cover every spec exactly once. A spec keeps its shard as the fleet grows,
as long as that common directory stays the same.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

from psconfig.errors import PsconfigError
from psconfig.model import Frozen


class Shard(Frozen):
    """Shard ``index`` of ``count`` (both 1-based, ``1 <= index <= count``)."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


def parse_shard(text: str) -> Shard:
    """``"2/3"`` -> ``Shard(index=2, count=3)``; ``PsconfigError`` when malformed."""
    match = _SHARD.fullmatch(text)
    index, count = (int(match[1]), int(match[2])) if match else (0, 0)
    if not 1 <= index <= count:
        raise PsconfigError(
            f"--shard {text!r}: expected I/N with 1 <= I <= N, such as 2/3"
        )
    return Shard(index=index, count=count)


def shard_keys(paths: Sequence[Path]) -> list[str]:
    """Each path relative to the deepest directory holding them all, POSIX-style.

    Absolute locations differ from machine to machine (a CI runner's checkout, a
    pod's volume); these keys do not, as long as every machine is given the same
    specs.
    """
    if not paths:
        return []
    absolute = [Path(os.path.normpath(path.absolute())) for path in paths]
    root = os.path.commonpath([path.parent for path in absolute])
    return [path.relative_to(root).as_posix() for path in absolute]


def shard_of(key: str, count: int) -> int:
    """The shard (1..count) a key belongs to: sha256 of the key, modulo ``count``."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def select_shard(paths: Sequence[Path], shard: Shard | None) -> list[Path]:
    """The paths in ``shard`` (all of them for ``None``), in their given order."""
    if shard is None:
        return list(paths)
    keys = shard_keys(paths)
    return [
        p
        for p, k in zip(paths, keys, strict=True)
        if shard_of(k, shard.count) == shard.index
    ]
