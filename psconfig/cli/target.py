"""Loading specs and opening the PowerSchool each names: specs meet the driver here.

CLI-side on purpose: it reads the environment (``PSCONFIG_SIM_DIR``), prints spec
warnings and knows the concrete driver, none of which the engine may do.
"""

from __future__ import annotations

import os
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from psconfig.cli.common import err

if TYPE_CHECKING:
    from psconfig.drivers.base import Driver
    from psconfig.engine.run import PlanResult
    from psconfig.spec import LoadedSpec

DEFAULT_SIM_DIR = Path(".psconfig") / "sim"


def sim_dir() -> Path:
    """Where ``sim://`` state lives: ``$PSCONFIG_SIM_DIR`` or ``./.psconfig/sim``."""
    return Path(os.environ.get("PSCONFIG_SIM_DIR") or DEFAULT_SIM_DIR)


def server_url(spec: LoadedSpec, override: str | None) -> str:
    """The URL to talk to: ``--server`` when given, else the spec's."""
    return override or spec.server.url


def open_target(
    spec: LoadedSpec, *, url: str, insecure: bool
) -> AbstractAsyncContextManager[Driver]:
    """A driver for ``url`` signed in with the spec's server credentials."""
    from psconfig.drivers.portal import open_portal

    if insecure:
        err("warning: TLS certificate verification is off (--insecure)")
    username, password = spec.credentials()
    flavor = spec.server.flavor
    return open_portal(
        url,
        username,
        password,
        flavor=flavor,
        insecure=insecure,
        sim_dir=sim_dir() if url.startswith("sim://") else None,
    )


def load_spec_warning(path: Path) -> LoadedSpec:
    """Load a spec, printing its warnings (policy findings) to stderr."""
    from psconfig.spec import load_spec

    spec = load_spec(path)
    for warning in spec.warnings:
        err(str(warning))
    return spec


def plan_specs(
    paths: list[Path], mode: str, *, server: str | None, insecure: bool
) -> list[PlanResult]:
    """Plan (or check drift of) each spec in turn; errors come back per spec."""
    import asyncio

    from psconfig.engine.run import PlanOptions, plan_one

    opts = PlanOptions(
        load=load_spec_warning,
        open_driver=lambda spec: open_target(
            spec, url=server_url(spec, server), insecure=insecure
        ),
        mode="drift" if mode == "drift" else "plan",
    )

    async def run_all() -> list[PlanResult]:
        return [await plan_one(path, opts) for path in paths]

    return asyncio.run(run_all())
