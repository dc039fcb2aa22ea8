"""An OAuth client of PowerSchool's plugin API: token, JSON reads, paged tables.

HTTP goes through the portal driver's ``Http`` (the one module that speaks httpx:
TLS, timeouts, retries of GETs, ``sim://`` in process). On top:

- the token: ``POST /oauth/access_token`` with ``Authorization: Basic
  base64(id:secret)`` and ``grant_type=client_credentials``; kept until shortly
  before its ``expires_in``, and fetched again once when a read answers 401 (the
  token expired or was revoked). A second 401, or a refused token request, is a
  ``LoginError`` that names no credential;
- 403 on a table is an ``AccessDeniedError`` naming the table: the plugin was not
  granted it (an older package, or someone edited its grants);
- paging: ``pagesize`` is the server's ``schema_table_query_max_page_size``
  (from ``/ws/v1/metadata``); pages are read until one comes back short, at most
  ``MAX_PAGES``.

Secrets never leave this module: the client ID and secret go into one header,
the token into others, and no error or log line carries any of them.
"""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import urlencode

from pydantic import SecretStr

from psconfig.drivers.portal.http.response import Response
from psconfig.drivers.portal.http.session import Http
from psconfig.errors import AccessDeniedError, LoginError, ServerError

TOKEN_PATH = "/oauth/access_token"
METADATA_PATH = "/ws/v1/metadata"
TABLE_PATH = "/ws/schema/table/"
MAX_PAGES = 1000
"""A bound on one table read: a server that never returns a short page is a bug."""
EXPIRY_MARGIN_S = 60.0
"""Fetch a new token this long before the old one's stated expiry."""

Row = dict[str, str]


class ApiClient:
    """One plugin's OAuth session against one PowerSchool."""

    def __init__(
        self, http: Http, client_id: SecretStr, client_secret: SecretStr
    ) -> None:
        self.http = http
        self._id = client_id
        self._secret = client_secret
        self._token: SecretStr | None = None
        self._expires = 0.0
        self.token_requests = 0

    async def token(self) -> SecretStr:
        """A valid bearer token, fetched when there is none or it is about to end."""
        if self._token is None or time.monotonic() >= self._expires:
            await self._fetch_token()
        assert self._token is not None
        return self._token

    async def _fetch_token(self) -> None:
        pair = f"{self._id.get_secret_value()}:{self._secret.get_secret_value()}"
        basic = base64.b64encode(pair.encode("utf-8")).decode("ascii")
        self.token_requests += 1
        answer = await self.http.post(
            TOKEN_PATH,
            [("grant_type", "client_credentials")],
            referer=TOKEN_PATH,
            headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
        )
        if answer.status in (400, 401, 403):
            raise LoginError(
                f"{TOKEN_PATH}: PowerSchool refused the plugin's client ID and secret "
                f"(HTTP {answer.status}); check server.api and that the plugin is "
                "installed and enabled"
            )
        data = _json(answer)
        token = data.get("access_token")
        if answer.status != 200 or not isinstance(token, str) or not token:
            raise ServerError(
                f"{TOKEN_PATH}: no access token in the answer (HTTP {answer.status})",
                status=answer.status,
            )
        self._token = SecretStr(token)
        self._expires = time.monotonic() + _seconds(data.get("expires_in"))

    async def get_json(self, path: str) -> dict[str, object]:
        """GET ``path`` with the token; once more with a new token after a 401."""
        answer = await self._get(path)
        if answer.status == 401:
            await self._fetch_token()
            answer = await self._get(path)
            if answer.status == 401:
                raise LoginError(
                    f"{_where(path)}: PowerSchool refused a fresh plugin token "
                    "(HTTP 401); check that the plugin is enabled"
                )
        if answer.status == 403:
            raise AccessDeniedError(
                f"{_where(path)}: the plugin may not read this (HTTP 403); install "
                "the package psconfig plugin writes, which requests exactly the "
                "columns psconfig reads"
            )
        if answer.status != 200:
            raise ServerError(
                f"{_where(path)}: HTTP {answer.status}", status=answer.status
            )
        return _json(answer)

    async def _get(self, path: str) -> Response:
        token = await self.token()
        headers = {
            "Authorization": f"Bearer {token.get_secret_value()}",
            "Accept": "application/json",
        }
        return await self.http.get(path, headers=headers)

    async def page_size(self) -> tuple[str, int]:
        """PowerSchool's version and its largest page of table rows."""
        data = await self.get_json(METADATA_PATH)
        meta = data.get("metadata")
        if not isinstance(meta, dict):
            raise ServerError(f"{METADATA_PATH}: no metadata in the answer")
        size = meta.get("schema_table_query_max_page_size")
        version = meta.get("powerschool_version")
        if not isinstance(size, int) or size < 1 or not isinstance(version, str):
            raise ServerError(f"{METADATA_PATH}: no version or page size")
        return version, size

    async def rows(
        self, table: str, query: dict[str, str], fields: tuple[str, ...], size: int
    ) -> list[Row]:
        """Every row of ``table`` matching ``query`` (``field==value``; AND)."""
        q = ";".join(f"{k}=={v}" for k, v in query.items())
        out: list[Row] = []
        for page in range(1, MAX_PAGES + 1):
            params = {
                "q": q,
                "projection": ",".join(fields),
                "page": str(page),
                "pagesize": str(size),
            }
            data = await self.get_json(f"{TABLE_PATH}{table}?{urlencode(params)}")
            found = _records(data, table)
            out.extend(found)
            if len(found) < size:
                return out
        raise ServerError(f"{TABLE_PATH}{table}: more than {MAX_PAGES} pages")


def _where(path: str) -> str:
    """``path`` without its query (which holds no secret, but is long)."""
    return path.split("?", 1)[0]


def _json(answer: Response) -> dict[str, object]:
    try:
        data = json.loads(answer.text)
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise ServerError(
            f"{_where(answer.path)}: not a JSON object (HTTP {answer.status})",
            status=answer.status,
        )
    return data


def _seconds(value: object) -> float:
    """``expires_in`` (a string on real servers), less a safety margin."""
    try:
        seconds = float(str(value))
    except ValueError:
        seconds = 0.0
    return max(seconds - EXPIRY_MARGIN_S, 0.0)


def _records(data: dict[str, object], table: str) -> list[Row]:
    """The column values of each record, as text."""
    records = data.get("record", [])
    if not isinstance(records, list):
        raise ServerError(f"{TABLE_PATH}{table}: 'record' is not a list")
    out: list[Row] = []
    for record in records:
        tables = record.get("tables") if isinstance(record, dict) else None
        row = tables.get(table) if isinstance(tables, dict) else None
        if not isinstance(row, dict):
            raise ServerError(f"{TABLE_PATH}{table}: a record without its columns")
        out.append(
            {str(k).lower(): "" if v is None else str(v) for k, v in row.items()}
        )
    return out
