"""``--snapshot-out`` and ``plan --live``: saving live state, and planning from it.

``--snapshot-out PATH`` (drift and plan) wraps each district's driver in a
``RecordingDriver`` and, once its plan is computed, writes the snapshot: to PATH
for one spec, or to ``PATH/NAME.json`` (the spec's name) for several or when PATH
is a directory. ``plan --live PATH`` reads the same layout back and plans through
a ``SnapshotDriver``: the spec's secret references are never resolved and nothing
is opened but the snapshot file.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from psconfig.errors import PsconfigError

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from psconfig.cli.target import RunSettings
    from psconfig.drivers.base import Driver
    from psconfig.engine.fleet.runner import FleetResult
    from psconfig.engine.planning.plan import Mode
    from psconfig.spec import LoadedSpec


@dataclass(frozen=True)
class Offline:
    """``plan --live``: where the snapshots are and how old they may be."""

    live: Path
    max_age: timedelta | None = None
    warn_age: timedelta | None = None


def checked_duration(value: str | None, flag: str) -> timedelta | None:
    """A ``--max-age``/``--warn-age`` value, or the one-line error naming ``flag``."""
    from psconfig.engine.sources.snapshot import parse_duration

    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise PsconfigError(f"{flag}: {exc}") from None


def snapshot_file(base: Path, spec: LoadedSpec, *, fleet: bool) -> Path:
    """The snapshot of ``spec`` under ``base``: a file, or ``base/NAME.json``."""
    if fleet or base.is_dir():
        return base / f"{spec.name}.json"
    return base


def record_paths(
    paths: list[Path], mode: Mode, settings: RunSettings, out: Path
) -> FleetResult:
    """Plan (or check drift of) each spec and save what was read as a snapshot."""
    import asyncio

    from psconfig.cli.target import fleet_options
    from psconfig.engine.fleet.runner import plan_fleet

    if settings.fleet and out.exists() and not out.is_dir():
        raise PsconfigError(
            f"--snapshot-out: {out} is a file; several specs need a directory"
        )
    with settings.progress(paths, mode) as on_done:
        fleet = fleet_options(settings, on_done)
        opened = fleet.open_driver
        fleet = replace(
            fleet,
            open_driver=lambda spec: _recording(
                spec, opened(spec), snapshot_file(out, spec, fleet=settings.fleet)
            ),
        )
        return asyncio.run(plan_fleet(paths, fleet, mode=mode, shard=settings.shard))


@contextlib.asynccontextmanager
async def _recording(
    spec: LoadedSpec, opened: AbstractAsyncContextManager[Driver], path: Path
) -> AsyncIterator[Driver]:
    from psconfig.cli.common import write_atomic
    from psconfig.engine.applying.audit import iso, utc_now
    from psconfig.engine.sources.snapshot import (
        RecordingDriver,
        broad_scope,
        snapshot_to_json,
    )

    started = iso(utc_now())
    async with opened as driver:
        recorder = RecordingDriver(driver)
        yield recorder
        pages = frozenset(spec.desired(resolve_secrets=False).page_permissions)
        await recorder.read(broad_scope(pages))
        snapshot = recorder.snapshot(spec_name=spec.name, read_at=started)
    write_atomic(path, snapshot_to_json(snapshot))


def offline_paths(
    paths: list[Path], settings: RunSettings, offline: Offline
) -> FleetResult:
    """Plan each spec against its snapshot, with no credentials and no network."""
    import asyncio

    from psconfig.cli.target import load_spec_warning, server_url
    from psconfig.engine.applying.audit import utc_now
    from psconfig.engine.fleet.runner import FleetOptions
    from psconfig.engine.sources.snapshot import DEFAULT_WARN_AGE, plan_offline_fleet

    if settings.fleet and not offline.live.is_dir():
        raise PsconfigError(
            f"--live: {offline.live} is not a directory; several specs need a "
            "directory of snapshots (NAME.json each)"
        )
    now = utc_now()
    with settings.progress(paths, "plan") as on_done:
        fleet = FleetOptions(
            load=load_spec_warning,
            open_driver=lambda spec: _snapshot_driver(
                spec,
                snapshot_file(offline.live, spec, fleet=settings.fleet),
                url=server_url(spec, settings.server),
                now=now,
                max_age=offline.max_age,
            ),
            target_url=lambda spec: server_url(spec, settings.server),
            parallelism=settings.parallelism,
            on_done=on_done,
        )
        warn_age = offline.warn_age or DEFAULT_WARN_AGE
        return asyncio.run(
            plan_offline_fleet(paths, fleet, warn_age=warn_age, shard=settings.shard)
        )


def _snapshot_driver(
    spec: LoadedSpec,
    path: Path,
    *,
    url: str,
    now: datetime,
    max_age: timedelta | None,
) -> AbstractAsyncContextManager[Driver]:
    from psconfig.engine.sources.snapshot import (
        SnapshotDriver,
        SnapshotError,
        check_snapshot,
        snapshot_from_json,
    )

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SnapshotError(
            f"{path}: cannot read the snapshot of {spec.name}: {exc.strerror}"
        ) from None
    snapshot = snapshot_from_json(text, source=str(path))
    check_snapshot(snapshot, source=str(path), url=url, now=now, max_age=max_age)
    return SnapshotDriver(snapshot, source=str(path), now=now)
