"""The PowerSchool admin-portal driver: ``open_portal`` gives a signed-in ``Driver``.

See ``driver.PortalDriver`` for behaviour. The parts sit in folders that show the
flow, each importing only those before it: ``pagemap`` (the per-flavor form maps),
``forms`` (documents, controls, binding by label), ``http`` (HTTP, sign-in, the
portal session), ``pages`` (reading and writing pages) and ``learning`` (the checks
behind ``psconfig doctor``, ``--learn`` and ``--capture``).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Literal

from pydantic import SecretStr

from psconfig.drivers.portal.driver import DEFAULT_DDE_FIELDS, PortalDriver
from psconfig.drivers.portal.http.portal_session import PortalSession
from psconfig.drivers.portal.http.session import AsgiApp, Http, RetryPolicy
from psconfig.drivers.portal.pagemap.site_map import apply_site_map, load_site_map
from psconfig.model import SignInScheme

__all__ = [
    "DEFAULT_DDE_FIELDS",
    "AsgiApp",
    "PortalDriver",
    "RetryPolicy",
    "open_portal",
]

FlavorChoice = Literal["auto", "legacy", "modern"]


def open_portal(
    url: str,
    username: str,
    password: SecretStr,
    *,
    flavor: FlavorChoice = "auto",
    sign_in: SignInScheme = "auto",
    insecure: bool = False,
    sim_dir: Path | None = None,
    timeout: float = 30.0,
    max_connections: int = 8,
    client_ip: str = "127.0.0.1",
    allow_toggle_for_read: bool = True,
    retry: RetryPolicy | None = None,
    app: AsgiApp | None = None,
    site_map: Path | None = None,
) -> PortalDriver:
    """A driver for the portal at ``url``; it signs in on ``async with``.

    ``url`` is ``https://HOST``, ``http://127.0.0.1:PORT`` (``psconfig sim serve``) or
    ``sim://NAME`` (the in-process simulator, its state under ``sim_dir``).
    ``sign_in`` pins the sign-in scheme (``pcas`` or ``plain``); ``auto`` reads it
    from the sign-in page and refuses, posting nothing, when the page is unclear.
    ``insecure`` turns TLS verification off (test servers only). ``client_ip`` is the
    address the simulator sees (its lockout is per IP). ``app`` routes every request
    into that ASGI application instead (tests, embedding); ``retry`` tunes GET retries.
    ``site_map`` is a district's learned map (``doctor --learn``): its pins are laid
    over the bundled map, and a pinned control that changed fails closed. It is
    read now (a bad file fails before any request); no other I/O happens until the
    driver is entered.
    """
    http = Http(
        url,
        insecure=insecure,
        sim_dir=sim_dir,
        timeout=timeout,
        max_connections=max_connections,
        client_ip=client_ip,
        policy=retry,
        app=app,
    )
    session = PortalSession(
        http, username, password, None if flavor == "auto" else flavor, sign_in
    )
    if site_map is not None:
        learned, source = load_site_map(site_map), str(site_map)
        session.site_map = partial(apply_site_map, site_map=learned, source=source)
    return PortalDriver(
        http,
        session,
        max_connections=max_connections,
        allow_toggle_for_read=allow_toggle_for_read,
    )
