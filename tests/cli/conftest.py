"""Every CLI test: a sync password in the environment, no inherited audit or colour."""

from __future__ import annotations

import pytest

from tests.engine.builders import CANARY


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLEVER_SYNC_PASSWORD", CANARY)
    for name in (
        "PSCONFIG_AUDIT_LOG",
        "NO_COLOR",
        "PS_ADMIN_USER",
        "PS_ADMIN_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)
