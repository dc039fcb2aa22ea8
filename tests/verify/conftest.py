"""Every verify test: the sync password in the environment, no stray settings."""

from __future__ import annotations

import pytest

from tests.verify.helpers import OLD


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLEVER_SYNC_PASSWORD", OLD)
    monkeypatch.delenv("PSCONFIG_AUDIT_LOG", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
