"""One district on an in-process simulator: write it, plan it, apply it, count writes.

A ``District`` is a directory holding the simulator's state file, a spec whose
``clever-dde-sync`` preset targets it and the sync password file the spec refers to
(``${file:sync.pw}``, so no environment is touched). Every run opens a fresh
``PortalDriver`` on the caller's ``SimApp`` through the public engine use cases
(``plan_spec``, ``apply_spec``): the same code path as ``psconfig apply``, minus the
subprocess.

Writes are counted from the simulator's own request record: every POST except the
sign-in form's (``/admin/home.html`` in both flavors).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from psconfig.drivers.portal import AsgiApp, PortalDriver, RetryPolicy, open_portal
from psconfig.engine.applying.plan_and_apply import (
    ApplyOptions,
    ApplyResult,
    apply_spec,
    plan_spec,
)
from psconfig.engine.planning.plan import Plan
from psconfig.engine.planning.safety import NO_INTENTS, Intents
from psconfig.model import Frozen
from psconfig.sim import (
    DEMO_ADMIN_PASSWORD,
    DEMO_ADMIN_USERNAME,
    RequestRecord,
    SimState,
    save_state,
)
from psconfig.spec import load_spec

SIGN_IN_POST = "/admin/home.html"
"""Where the sign-in form posts (both flavors); not a configuration write."""

TOGGLE_PAGE = "/admin/security/changepageaccesspriv.html"
"""The page-permission toggle form (PAGES.md)."""

DDE_PAGES = ("/admin/tech/dde/home.html", "/admin/tech/dde/exportrecords.html")
ADMIN_GROUP = 9
"""The seeded administrator's default group: psconfig never changes it."""
SYNC_PASSWORD = "Sync-Canary-Unused-7f3a"
SYNC_ID = "99999"

FAST = RetryPolicy(
    attempts=6,
    timeout=20.0,
    wait_initial=0.001,
    wait_max=0.01,
    wait_jitter=0.0,
    retry_after_cap=0.05,
)
"""Retries without real waiting, so fault runs stay fast (Retry-After capped)."""


class SpecParams(Frozen):
    """The knobs of a generated spec: the preset's parameters and the toggle mode."""

    group_number: int = 12
    group_name: str = "Read-Only Export"
    allowed_ips: tuple[str, ...] = ("192.0.2.10",)
    window: tuple[str, str] | None = None
    toggle: str = "during_apply"

    def text(self, name: str = "district") -> str:
        """The spec file's YAML (values are plain or double-quoted JSON-safe)."""
        ips = ", ".join(self.allowed_ips)
        window = (
            "any_time"
            if self.window is None
            else f"{{from: '{self.window[0]}', to: '{self.window[1]}'}}"
        )
        return (
            "psconfig: 1\n"
            f"name: {name}\n"
            f"server: {{url: 'sim://{name}'}}\n"
            "preset:\n"
            "  clever-dde-sync:\n"
            f"    group_number: {self.group_number}\n"
            f'    group_name: "{self.group_name}"\n'
            "    password: ${file:sync.pw}\n"
            f"    allowed_ips: [{ips}]\n"
            f"    sign_in_window: {window}\n"
            "page_permissions:\n"
            f"  toggle: {self.toggle}\n"
        )


@dataclass(frozen=True)
class District:
    """A district's files: the simulator state, the spec and the password file."""

    root: Path
    params: SpecParams

    @property
    def state_path(self) -> Path:
        return self.root / "sim.json"

    @property
    def spec_path(self) -> Path:
        return self.root / "spec.yaml"


def write_district(root: Path, state: SimState, params: SpecParams) -> District:
    """Write (or overwrite) a district's files under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    district = District(root, params)
    save_state(state, district.state_path)
    district.spec_path.write_text(params.text(), encoding="utf-8")
    (root / "sync.pw").write_text(SYNC_PASSWORD + "\n", encoding="utf-8")
    return district


def _approve(plan: Plan) -> bool:
    return True


Target = AsgiApp | str
"""An in-process simulator (or a wrapper around one), or a served one's URL."""


def _portal(
    target: Target,
    name: str,
    *,
    retry: RetryPolicy,
    timeout: float,
    password: str = DEMO_ADMIN_PASSWORD,
) -> PortalDriver:
    secret = SecretStr(password)
    if isinstance(target, str):
        return open_portal(
            target, DEMO_ADMIN_USERNAME, secret, retry=retry, timeout=timeout
        )
    return open_portal(
        f"sim://{name}",
        DEMO_ADMIN_USERNAME,
        secret,
        app=target,
        retry=retry,
        timeout=timeout,
    )


async def plan_district(
    district: District,
    target: Target,
    *,
    retry: RetryPolicy = FAST,
    timeout: float = 30.0,
) -> Plan:
    """Sign in to ``target``, read and plan the district's spec."""
    spec = load_spec(district.spec_path)
    async with _portal(target, spec.name, retry=retry, timeout=timeout) as driver:
        return await plan_spec(spec, driver)


async def apply_district(
    district: District,
    target: Target,
    *,
    retry: RetryPolicy = FAST,
    timeout: float = 30.0,
    intents: Intents = NO_INTENTS,
    password: str = DEMO_ADMIN_PASSWORD,
) -> ApplyResult:
    """Sign in to ``target`` and apply the district's spec (approved, no audit).

    ``intents`` are apply's intent flags;
    ``password`` is the administrator's (the simulator's demo one by default).
    """
    spec = load_spec(district.spec_path)
    options = ApplyOptions(review=_approve, intents=intents)
    portal = _portal(target, spec.name, retry=retry, timeout=timeout, password=password)
    async with portal as driver:
        return await apply_spec(spec, driver, options)


def writes(records: Sequence[RequestRecord]) -> list[str]:
    """The configuration writes among ``records``: POSTs other than the sign-in."""
    return [r.path for r in records if r.is_write and r.path != SIGN_IN_POST]


def sign_ins(records: Sequence[RequestRecord]) -> int:
    """How many sign-in posts ``records`` hold."""
    return sum(1 for r in records if r.is_write and r.path == SIGN_IN_POST)


def normalized(state: SimState) -> dict[str, Any]:
    """``state`` as JSON data, explicit ``group_default`` entries dropped.

    An explicit ``group_default`` is no override at all (the editor drops it when
    it saves the page), so it is not a difference.
    """
    data = state.model_dump(mode="json")
    data["page_permissions"] = {
        page: {g: level for g, level in levels.items() if level != "group_default"}
        for page, levels in data["page_permissions"].items()
    }
    data["page_permissions"] = {p: v for p, v in data["page_permissions"].items() if v}
    return data


def unmanaged(state: SimState, params: SpecParams, groups: int) -> dict[str, Any]:
    """Everything in ``state`` that applying ``params`` must leave as it was.

    That is all of it but the export group, the two DDE pages (a page the spec
    lists is managed whole: unlisted groups go back to their group default), the
    sync account and the toggle (every toggle mode manages it: ``on`` rests on,
    ``off`` and ``during_apply`` rest off). ``groups`` is how many groups the
    starting state had: groups "Add Groups" creates to reach the export group's
    number are new, not changed, so they are left out too.
    """
    data = normalized(state)
    number = params.group_number
    data["groups"] = [
        g for g in data["groups"] if g["number"] != number and g["number"] <= groups
    ]
    data["staff"] = [s for s in data["staff"] if s["teachernumber"] != SYNC_ID]
    for page in DDE_PAGES:
        data["page_permissions"].pop(page, None)
    data.pop("page_toggle")
    return data
