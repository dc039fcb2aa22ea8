"""``psconfig drift --via api``: the sync account, read through the plugin API.

No administrator credential is resolved or sent: each spec's ``server.api``
client ID and secret get a token, and the driver reads USERS and SCHOOLSTAFF.
The reports say what this cannot check (``psconfig.engine.sources.api_drift``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from psconfig.cli.common import sim_dir_for, warn_insecure

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from psconfig.cli.target import RunSettings
    from psconfig.drivers.base import Driver
    from psconfig.engine.fleet.runner import FleetResult
    from psconfig.spec import LoadedSpec


def api_drift_paths(paths: list[Path], settings: RunSettings) -> FleetResult:
    """Check drift of each spec's staff through the plugin API."""
    import asyncio

    from psconfig.cli.target import load_spec_warning, server_url
    from psconfig.engine.fleet.runner import FleetOptions
    from psconfig.engine.sources.api_drift import api_drift_fleet

    if settings.insecure:
        warn_insecure()
    with settings.progress(paths, "drift") as on_done:
        fleet = FleetOptions(
            load=load_spec_warning,
            open_driver=lambda spec: _open(spec, settings),
            target_url=lambda spec: server_url(spec, settings.server),
            parallelism=settings.parallelism,
            on_done=on_done,
        )
        return asyncio.run(api_drift_fleet(paths, fleet, shard=settings.shard))


def _open(
    spec: LoadedSpec, settings: RunSettings
) -> AbstractAsyncContextManager[Driver]:
    from psconfig.cli.target import server_url
    from psconfig.drivers.api import open_api

    url = server_url(spec, settings.server)
    client_id, client_secret = spec.api_credentials()
    flavor = None if spec.server.flavor == "auto" else spec.server.flavor
    return open_api(
        url,
        client_id,
        client_secret,
        flavor=flavor,
        insecure=settings.insecure,
        sim_dir=sim_dir_for(url),
    )
