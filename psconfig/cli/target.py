"""Running specs against the PowerSchools they name: loading, drivers, fleet runs.

CLI-side on purpose: it reads the environment (``PSCONFIG_SIM_DIR``), prints spec
warnings, and knows the concrete driver, none of which the engine may do. Every
spec-taking command runs through ``plan_paths`` or ``apply_paths``, one spec or
many (``psconfig.engine.fleet.runner``); a fleet run reports each finished district on
stderr (``psconfig.cli.progress``).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from psconfig.cli.common import err, sim_dir_for, state_home, warn_insecure
from psconfig.cli.progress import OnDone, progress

if TYPE_CHECKING:
    from psconfig.drivers.base import Driver
    from psconfig.engine.applying.plan_and_apply import ApplyOptions
    from psconfig.engine.fleet.runner import (
        DistrictResult,
        FleetOptions,
        FleetResult,
        Shard,
    )
    from psconfig.engine.planning.plan import Mode
    from psconfig.spec import LoadedSpec


def server_url(spec: LoadedSpec, override: str | None) -> str:
    """The URL to talk to: ``--server`` when given, else the spec's."""
    return override or spec.server.url


def open_target(
    spec: LoadedSpec,
    *,
    url: str,
    insecure: bool,
    warn: bool = True,
    toggle_read: bool = True,
) -> AbstractAsyncContextManager[Driver]:
    """A driver for ``url`` signed in with the spec's server credentials.

    With ``insecure`` and ``warn`` it says on stderr that TLS is not verified.
    ``toggle_read=False`` (``--no-toggle-read``): the driver may not turn the
    page-permission toggle on to read page permissions.
    """
    from psconfig.drivers.portal import open_portal

    if insecure and warn:
        warn_insecure()
    username, password = spec.credentials()
    return open_portal(
        url,
        username,
        password,
        flavor=spec.server.flavor,
        sign_in=spec.server.sign_in,
        site_map=site_map_of(spec),
        insecure=insecure,
        sim_dir=sim_dir_for(url),
        allow_toggle_for_read=toggle_read,
    )


def site_map_of(spec: LoadedSpec) -> Path | None:
    """The spec's ``server.map`` (a learned site map), relative to the spec file."""
    name = spec.model.server.map
    return spec.path.parent / name if name else None


def load_spec_warning(path: Path) -> LoadedSpec:
    """Load a spec, printing its warnings (policy findings) to stderr."""
    from psconfig.spec import load_spec

    spec = load_spec(path)
    for warning in spec.warnings:
        err(str(warning))
    return spec


@dataclass(frozen=True)
class RunFlags:
    """The run flags every spec-taking command shares (``server`` already checked)."""

    server: str | None = None
    insecure: bool = False
    parallelism: int = 8
    shard: str | None = None
    toggle_read: bool = True
    lock_timeout: float = 10.0
    workers: int | None = None

    def settings_for(self, paths: list[Path], *, prompts: bool = False) -> RunSettings:
        """How to run ``paths``: a fleet run when there are several, or a shard.

        ``prompts``: the run asks questions, so districts go one at a time.
        """
        from psconfig.engine.fleet.runner import parse_shard

        shard = parse_shard(self.shard) if self.shard is not None else None
        return RunSettings(
            server=self.server,
            insecure=self.insecure,
            parallelism=min(self.parallelism, 1) if prompts else self.parallelism,
            shard=shard,
            fleet=len(paths) > 1 or shard is not None,
            prompts=prompts,
            toggle_read=self.toggle_read,
            lock_timeout=self.lock_timeout,
            workers=1 if prompts else self.workers,
        )


@dataclass(frozen=True)
class RunSettings:
    """How specs are run: server override, TLS, fan-out and shard.

    ``fleet`` marks a fleet run (several specs, or ``--shard``): progress on
    stderr, a summary table, one document for the whole run. A single spec keeps
    the single-plan output. ``prompts``: an operator answers questions on this
    terminal, so progress comes as lines, never a live bar. ``toggle_read``: see
    ``open_target``. ``lock_timeout``: how long plan and drift wait for the
    server's lock.
    """

    server: str | None = None
    insecure: bool = False
    parallelism: int = 8
    shard: Shard | None = None
    fleet: bool = False
    prompts: bool = False
    toggle_read: bool = True
    lock_timeout: float = 10.0
    workers: int | None = None
    """Processes for a fleet plan or drift check; None: the machine's cores."""

    def progress(
        self, paths: list[Path], command: str
    ) -> AbstractContextManager[OnDone]:
        """``psconfig.cli.progress.progress`` for this run."""
        return progress(
            paths, command, fleet=self.fleet, shard=self.shard, prompts=self.prompts
        )


def fleet_options(
    settings: RunSettings, on_done: OnDone | None = None
) -> FleetOptions[LoadedSpec]:
    """The engine's fleet options for CLI specs: load with warnings, open drivers."""
    from psconfig.engine.fleet.runner import FleetOptions

    if settings.fleet and settings.insecure:
        warn_insecure()  # once for the run, not once per district
    warn = not settings.fleet
    return FleetOptions(
        load=load_spec_warning,
        open_driver=lambda spec: open_target(
            spec,
            url=server_url(spec, settings.server),
            insecure=settings.insecure,
            warn=warn,
            toggle_read=settings.toggle_read,
        ),
        target_url=lambda spec: server_url(spec, settings.server),
        parallelism=settings.parallelism,
        on_done=on_done,
    )


def plan_paths(paths: list[Path], mode: Mode, settings: RunSettings) -> FleetResult:
    """Plan (or check drift of) each spec under its server's lock; errors per district.

    The lock is the one apply takes (in the state home, ``state_home()``), so a
    plan never flips the page-permission toggle in the middle of an apply.
    """
    import asyncio

    from psconfig.engine.fleet.runner import ServerLocks, plan_fleet
    from psconfig.engine.fleet.workers import default_workers, plan_fleet_workers
    from psconfig.errors import PsconfigError

    workers = default_workers() if settings.workers is None else settings.workers
    if workers < 1:
        raise PsconfigError(f"--workers must be at least 1 (got {workers})")
    locks = ServerLocks(state_home(), settings.lock_timeout, say_waiting)
    with settings.progress(paths, mode) as on_done:
        fleet = fleet_options(settings, on_done)
        if workers > 1 and settings.fleet:
            return plan_fleet_workers(
                paths,
                fleet,
                mode=mode,
                shard=settings.shard,
                workers=workers,
                locks=locks,
            )
        return asyncio.run(
            plan_fleet(paths, fleet, mode=mode, shard=settings.shard, locks=locks)
        )


def say_waiting(url: str, lock_file: Path) -> None:
    """Tell the operator why nothing happens: another run holds the server's lock."""
    err(
        f"waiting for {url}: another psconfig run holds its lock ({lock_file}); "
        "runs of one server take turns"
    )


def apply_paths(
    paths: list[Path],
    settings: RunSettings,
    options_for: Callable[[LoadedSpec], ApplyOptions],
    *,
    lock_timeout: float,
    on_done: OnDone,
) -> FleetResult:
    """Apply each spec under its server's lock (in the state home's ``locks``).

    ``on_done`` hears of each district before the progress display does, so a
    district's own output comes before its progress line.
    """
    import asyncio

    from psconfig.engine.fleet.runner import apply_fleet

    with settings.progress(paths, "apply") as shown:

        def both(district: DistrictResult) -> None:
            on_done(district)
            shown(district)

        fleet = fleet_options(settings, both)
        return asyncio.run(
            apply_fleet(
                paths,
                fleet,
                options_for,
                lock_dir=state_home(),
                lock_timeout=lock_timeout,
                shard=settings.shard,
                on_wait=say_waiting,
            )
        )
