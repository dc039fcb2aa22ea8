"""The simulated PowerSchool admin portal (``sim://NAME`` and ``psconfig sim serve``).

A faithful, stateful stand-in for PowerSchool's admin portal, written from the Clever
guide and the research notes, never from the driver (this package must not import
``psconfig.drivers``). Its pages, forms and rules are specified in ``PAGES.md`` beside
this file; its state lives in one JSON file (``SimState``), re-read when it changes
and written atomically after every change.

Public API:

- ``DEMO_ADMIN_USERNAME`` / ``DEMO_ADMIN_PASSWORD``: the seeded administrator
  (staff ID "1", default group 9 Administrator, District Office role);
- ``seed_state(flavor=, version=)``: a fresh PowerSchool;
- ``SimState`` (the state-file schema), ``load_state``, ``save_state`` (atomic);
- ``state_path_for(url, sim_dir)``: ``sim://NAME`` -> ``sim_dir/NAME.json``;
- ``app_for_url(url, sim_dir)``: the app for a ``sim://`` URL, seeding when missing;
- ``create_app(state_path)``: an app on an existing state file;
- ``SimApp`` (ASGI callable with ``requests``, ``reset_requests()``, ``state``),
  ``RequestRecord``, ``request_log_path(state_path)``;
- ``SimStateError``: an unusable state file or ``sim://`` URL.
"""

from psconfig.sim.app import RequestRecord, SimApp, app_for_url, create_app
from psconfig.sim.seed import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME, seed_state
from psconfig.sim.state import SimFaults, SimSettings, SimState, SimStateError
from psconfig.sim.store import load_state, request_log_path, save_state, state_path_for

__all__ = [
    "DEMO_ADMIN_PASSWORD",
    "DEMO_ADMIN_USERNAME",
    "RequestRecord",
    "SimApp",
    "SimFaults",
    "SimSettings",
    "SimState",
    "SimStateError",
    "app_for_url",
    "create_app",
    "load_state",
    "request_log_path",
    "save_state",
    "seed_state",
    "state_path_for",
]
