"""The plugin REST API of the simulated PowerSchool (OAuth, ``/ws/schema/table``).

Written from PowerSchool's public API documentation and clients (research notes
§5), not from psconfig's driver:

- ``POST /oauth/access_token`` (also with a trailing ``/``): client credentials in
  ``Authorization: Basic base64(id:secret)``, body ``grant_type=client_credentials``.
  Answers ``{"access_token", "token_type": "Bearer", "expires_in": "<seconds>"}``
  (``expires_in`` a string, as PowerSchool sends it); 401 ``invalid_client`` for
  unknown credentials or a disabled plugin, 400 ``unsupported_grant_type``.
- ``GET /ws/v1/metadata``: ``powerschool_version`` and the paging limit
  ``schema_table_query_max_page_size``.
- ``GET /ws/schema/table/{table}`` and ``.../{table}/count`` with ``q`` (FIQL
  ``field==value`` joined by ``;``), ``projection`` (comma-separated or ``*``),
  ``page`` (1-based) and ``pagesize`` (capped at the plugin's maximum). Rows come
  as ``{"record": [{"id", "name", "tables": {table: {field: "text"}}}]}``.
  A table the plugin was not granted, or a projected or queried column outside its
  grant, is **403**; a missing, unknown or expired token **401**.

The plugin is installed beside the state file (``NAME.plugin.json``, see
``install_plugin``): its client ID, a hash of its secret, the columns its
``plugin.xml`` requests, and the tokens issued (hashes and expiry times). Tables are
read from the simulator's state directly: USERS from each staff member, SCHOOLSTAFF
from each affiliation (the home school's row carries the member's status).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl
from xml.etree import ElementTree as ET

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from psconfig.sim.state import SimStaff, SimState, SimStateError

PLUGIN_NS = "{http://plugin.powerschool.pearson.com}"
DEFAULT_TOKEN_SECONDS = 2_504_956
"""A token's lifetime when not set: about 29 days, as real servers answer."""

Clock = Callable[[SimState], datetime]
Table = Callable[[SimState], Iterator[tuple[int, dict[str, str]]]]


class SimPlugin(BaseModel):
    """An installed, enabled plugin with OAuth (``NAME.plugin.json``)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    client_id: str
    client_secret_sha256: str
    enabled: bool = True
    access: dict[str, list[str]]
    """Table -> the columns granted (lower case), from ``access_request``."""
    max_page_size: Annotated[int, Field(ge=1)] = 100
    token_seconds: Annotated[int, Field(ge=1)] = DEFAULT_TOKEN_SECONDS
    tokens: dict[str, datetime] = {}
    """sha256 of each issued token -> when it expires (simulator local time)."""


def plugin_path(state_path: Path) -> Path:
    """Where the plugin installed on the simulator at ``state_path`` is kept."""
    return state_path.with_name(f"{state_path.stem}.plugin.json")


def new_token() -> str:
    """A fresh bearer token (a module function, so tests can plant a canary)."""
    return secrets.token_hex(16)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def install_plugin(
    state_path: Path,
    plugin_xml: str,
    *,
    client_id: str,
    client_secret: str,
    max_page_size: int = 100,
    token_seconds: int = DEFAULT_TOKEN_SECONDS,
) -> SimPlugin:
    """Install and enable a plugin from its ``plugin.xml`` (replacing any other).

    Raises:
        SimStateError: the XML is not a plugin with ``<oauth/>``.

    """
    try:
        root = ET.fromstring(plugin_xml)
    except ET.ParseError as exc:
        raise SimStateError(f"plugin.xml: not XML: {exc}") from None
    if root.tag != f"{PLUGIN_NS}plugin" or root.find(f"{PLUGIN_NS}oauth") is None:
        raise SimStateError("plugin.xml: not a PowerSchool plugin with <oauth/>")
    access: dict[str, list[str]] = {}
    for field in root.iter(f"{PLUGIN_NS}field"):
        table = field.get("table", "").lower()
        access.setdefault(table, []).append(field.get("field", "").lower())
    plugin = SimPlugin(
        name=root.get("name", ""),
        client_id=client_id,
        client_secret_sha256=_sha256(client_secret),
        access=access,
        max_page_size=max_page_size,
        token_seconds=token_seconds,
    )
    _save(state_path, plugin)
    return plugin


def _load(state_path: Path) -> SimPlugin | None:
    path = plugin_path(state_path)
    if not path.exists():
        return None
    try:
        return SimPlugin.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        raise SimStateError(f"{path}: unusable plugin file: {exc}") from None


def _save(state_path: Path, plugin: SimPlugin) -> None:
    path = plugin_path(state_path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(plugin.model_dump_json(indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


# ---------------------------------------------------------------------------
# Tables


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _users(state: SimState) -> Iterator[tuple[int, dict[str, str]]]:
    for s in state.staff:
        yield (
            s.dcid,
            {
                "dcid": str(s.dcid),
                "teachernumber": s.teachernumber,
                "last_name": s.last_name,
                "first_name": s.first_name,
                "middle_name": s.middle_name,
                "email_addr": s.email_addr,
                "title": s.title,
                "homeschoolid": str(s.home_school),
                "psaccess": _flag(s.psaccess),
                "loginid": s.loginid,
                "adminldapenabled": _flag(s.adminldapenabled),
                "groupvalue": "" if s.groupvalue is None else str(s.groupvalue),
                "allowloginstart": s.allow_login_start or "",
                "allowloginend": s.allow_login_end or "",
                "ipaddrrestrict": ";".join(s.ipaddrrestrict),
                "ptaccess": _flag(s.ptaccess),
                "teacherloginid": "",
                "password": "(hash)" if s.password else "",
            },
        )


def _schoolstaff(state: SimState) -> Iterator[tuple[int, dict[str, str]]]:
    for s in state.staff:
        for a in s.affiliations:
            dcid = s.dcid * 1000 + a.school
            yield (
                dcid,
                {
                    "dcid": str(dcid),
                    "users_dcid": str(s.dcid),
                    "schoolid": str(a.school),
                    "status": str(_row_status(s, a.school, a.active)),
                    "staffstatus": str(a.staff_type),
                },
            )


def _row_status(staff: SimStaff, school: int, active: bool) -> int:
    """1 Current, 2 No longer here: the member's status at home, else the row's."""
    if school == staff.home_school:
        return staff.status
    return 1 if active else 2


TABLES: dict[str, Table] = {"users": _users, "schoolstaff": _schoolstaff}


# ---------------------------------------------------------------------------
# Requests


def _error(status: int, message: str, **extra: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        {"message": message, **extra}, status_code=status, headers=headers
    )


class _Api:
    """The endpoints of one simulator app (its state file and clock)."""

    def __init__(
        self, state_path: Path, current: Callable[[], SimState], now: Clock
    ) -> None:
        self.state_path = state_path
        self.current = current
        self.now = now

    async def token(self, request: Request) -> Response:
        state = self.current()
        plugin = _load(self.state_path)
        client = _basic(request.headers.get("Authorization", ""))
        if plugin is None or not plugin.enabled or client is None:
            return _error(401, "invalid client", error="invalid_client")
        client_id, secret = client
        id_ok = hmac.compare_digest(client_id, plugin.client_id)
        secret_ok = hmac.compare_digest(_sha256(secret), plugin.client_secret_sha256)
        if not (id_ok and secret_ok):
            return _error(401, "invalid client", error="invalid_client")
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        if form.get("grant_type") != "client_credentials":
            return _error(400, "unsupported grant", error="unsupported_grant_type")
        token = new_token()
        now = self.now(state)
        expires = now + timedelta(seconds=plugin.token_seconds)
        live = {h: t for h, t in plugin.tokens.items() if t > now}
        plugin.tokens = {**live, _sha256(token): expires}
        _save(self.state_path, plugin)
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": str(plugin.token_seconds),
            }
        )

    def _authorized(self, request: Request) -> tuple[SimState, SimPlugin] | Response:
        state = self.current()
        plugin = _load(self.state_path)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if plugin is None or not plugin.enabled or scheme.lower() != "bearer":
            return _error(401, "Authentication required")
        expires = plugin.tokens.get(_sha256(token.strip()))
        if expires is None or expires <= self.now(state):
            return _error(401, "Invalid or expired access token")
        return state, plugin

    async def metadata(self, request: Request) -> Response:
        checked = self._authorized(request)
        if isinstance(checked, Response):
            return checked
        state, plugin = checked
        return JSONResponse(
            {
                "metadata": {
                    "powerschool_version": state.version,
                    "plugin_id": 1,
                    "schema_table_query_max_page_size": plugin.max_page_size,
                }
            }
        )

    async def table(self, request: Request) -> Response:
        checked = self._authorized(request)
        if isinstance(checked, Response):
            return checked
        state, plugin = checked
        name = request.path_params["table"].lower()
        reader = TABLES.get(name)
        granted = plugin.access.get(name)
        if reader is None or not granted:
            return _error(403, f"The plugin has no access to table {name}")
        query = _query(request.query_params.get("q", ""))
        if query is None:
            return _error(400, "Invalid query (expected field==value;...)")
        projection = _projection(request.query_params.get("projection", "*"), granted)
        denied = sorted((set(projection) | set(query)) - set(granted))
        if denied:
            return _error(403, f"No access to {name}: {', '.join(denied)}")
        rows = [
            (dcid, row)
            for dcid, row in reader(state)
            if all(row.get(k, "").lower() == v.lower() for k, v in query.items())
        ]
        if request.url.path.endswith("/count"):
            return JSONResponse({"count": len(rows)})
        page, size = _paging(request, plugin.max_page_size)
        if page is None:
            return _error(400, "Invalid page or pagesize")
        chosen = rows[(page - 1) * size : page * size]
        records = [
            {
                "id": dcid,
                "name": name,
                "tables": {name: {k: row[k] for k in projection if k in row}},
            }
            for dcid, row in chosen
        ]
        return JSONResponse({"name": name, "record": records})


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


def _query(text: str) -> dict[str, str] | None:
    """``field==value;field==value`` -> a mapping; None when malformed."""
    out: dict[str, str] = {}
    for part in filter(None, text.split(";")):
        field, sep, value = part.partition("==")
        if not sep or not field.strip():
            return None
        out[field.strip().lower()] = value
    return out


def _projection(text: str, granted: list[str]) -> list[str]:
    if text.strip() in ("", "*"):
        return list(granted)
    return [f.strip().lower() for f in text.split(",") if f.strip()]


def _paging(request: Request, maximum: int) -> tuple[int | None, int]:
    try:
        page = int(request.query_params.get("page", "1"))
        size = int(request.query_params.get("pagesize", str(maximum)))
    except ValueError:
        return None, 0
    if page < 1 or size < 1:
        return None, 0
    return page, min(size, maximum)


def routes(
    state_path: Path, current: Callable[[], SimState], now: Clock
) -> list[Route]:
    """The plugin API's Starlette routes for the app serving ``state_path``."""
    api = _Api(state_path, current, now)
    return [
        Route("/oauth/access_token", api.token, methods=["POST"]),
        Route("/oauth/access_token/", api.token, methods=["POST"]),
        Route("/ws/v1/metadata", api.metadata, methods=["GET"]),
        Route("/ws/schema/table/{table}", api.table, methods=["GET"]),
        Route("/ws/schema/table/{table}/count", api.table, methods=["GET"]),
    ]
