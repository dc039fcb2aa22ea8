"""``psconfig drift --via api`` (not built yet)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from psconfig.errors import PsconfigError

if TYPE_CHECKING:
    from psconfig.cli.target import RunSettings
    from psconfig.engine.fleet import FleetResult


def api_drift_paths(paths: list[Path], settings: RunSettings) -> FleetResult:
    """Check drift of each spec's sync account through the plugin API."""
    raise PsconfigError("drift --via api is not available yet")
