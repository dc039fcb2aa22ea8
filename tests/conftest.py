"""Suite-wide fixtures and the ``--slow`` profile switch."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

_LOCAL_NAMES = {"localhost", "localhost.", "ip6-localhost"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--slow",
        action="store_true",
        default=False,
        help="run the slow profile: many more hypothesis examples, slow tests",
    )


def pytest_configure(config: pytest.Config) -> None:
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "ci",
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile(
        "slow",
        max_examples=250,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.load_profile("slow" if config.getoption("--slow") else "ci")


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow profile only (use --slow)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _isolated_workdir(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run every test in its own directory with its own psconfig state home.

    ``$PSCONFIG_HOME`` (locks, the audit log, ``sim://`` state) is ``.psconfig``
    in that directory, so state never leaks between tests nor into the real home.
    """
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    monkeypatch.setenv("PSCONFIG_HOME", str(tmp_path / ".psconfig"))  # type: ignore[operator]
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.delenv("PSCONFIG_SIM_DIR", raising=False)


def _is_loopback(host: object) -> bool:
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return str(host).lower() in _LOCAL_NAMES


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse, inside this process, any connection or name lookup off loopback.

    The project may talk to loopback only. A regression that let a test reach for a
    real address fails here, before a packet leaves the machine.
    """
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guard(address: Any, family: int) -> None:
        inet = family in (socket.AF_INET, socket.AF_INET6)
        if inet and not _is_loopback(address[0]):
            raise OSError(f"test network guard: {address[0]} is not loopback")

    def connect(self: socket.socket, address: Any) -> None:
        guard(address, self.family)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        guard(address, self.family)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_loopback(host):
            raise socket.gaierror(f"test network guard: {host} is not loopback")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
