"""Opening the PowerSchool a spec names: the glue between specs and the driver.

CLI-side on purpose: it reads the environment (``PSCONFIG_SIM_DIR``) and knows the
concrete driver, which the engine must not.
"""

from __future__ import annotations

import os
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from psconfig.cli.common import err

if TYPE_CHECKING:
    from psconfig.drivers.base import Driver
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
