"""The HTTP session with one admin portal. The only httpx and stamina importer.

``Http`` owns the ``httpx.AsyncClient``: base URL (``https://``, loopback ``http://``
or ``sim://NAME`` through ``httpx.ASGITransport``), TLS verification, timeouts,
connection limits, cookies, and the retry policy. Only GETs are retried, with
exponential backoff, on connection errors, timeouts, 5xx and 429 (honouring
``Retry-After`` up to a cap), within a bounded number of attempts and total time.
A POST is sent once: if the transport fails it raises ``UncertainWriteError`` so the
caller reads back to learn whether it landed. ``until_processed`` sends a form again
(with the same budget) only while the server answers 503 or 429, which say it did not
process the request.

``PortalSession`` adds the portal's rules on top: flavor detection and sign-in (see
``login``), following redirects, and signing in again ONCE when a protected page
answers with the sign-in page (session expired); a second expiry in a row is a
``SessionExpiredError``. A failed sign-in is never retried.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import stamina
from pydantic import SecretStr

from psconfig import __version__
from psconfig.drivers.portal import login
from psconfig.drivers.portal.forms import Document, Form
from psconfig.drivers.portal.maps import PortalMap
from psconfig.drivers.portal.response import Response
from psconfig.errors import (
    AccessDeniedError,
    ConnectError,
    DriverError,
    FormMapError,
    ServerError,
    SessionExpiredError,
)
from psconfig.model import Flavor, Frozen

AsgiApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[MutableMapping[str, Any]]],
        Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ],
    Awaitable[None],
]
"""An ASGI application (the simulator, or a test wrapping it)."""

log = logging.getLogger(__name__)


def _log_retry(details: stamina.instrumentation.RetryDetails) -> None:
    # stamina's default hook logs a bare "stamina.retry_scheduled" warning, which
    # reaches the terminal through logging's last-resort handler; say it our way.
    log.info(
        "retry %d of %s in %.1fs after %s",
        details.retry_num,
        details.name,
        details.wait_for,
        type(details.caused_by).__name__,
    )


stamina.instrumentation.set_on_retry_hooks([_log_retry])

SIM_SCHEME = "sim://"
DEFAULT_SIM_DIR = Path(".psconfig/sim")
"""Where ``sim://`` state lives when no ``sim_dir`` is given (the CLI passes one)."""
_MAX_HOPS = 5
_UNPROCESSED = frozenset({429, 503})
"""Statuses that say the server did not process the request, so it may be resent."""


class RetryPolicy(Frozen):
    """How idempotent GETs are retried. Seconds throughout."""

    attempts: int = 5
    timeout: float = 60.0
    wait_initial: float = 0.5
    wait_max: float = 8.0
    wait_jitter: float = 0.5
    retry_after_cap: float = 30.0


class UncertainWriteError(ConnectError):
    """A POST failed in transit or with 5xx/429: it may or may not have been saved."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class PageDeniedError(AccessDeniedError):
    """A page answered 403; ``doc`` is what it said (some 403s explain why)."""

    def __init__(self, message: str, doc: Document) -> None:
        super().__init__(message)
        self.doc = doc


class _Retryable(Exception):
    def __init__(
        self,
        detail: str,
        status: int | None = None,
        retry_after: float | None = None,
        answer: Response | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail, self.status, self.retry_after = detail, status, retry_after
        self.answer = answer


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _retry_after(value: str | None, cap: float) -> float | None:
    """Seconds from a Retry-After header (delta or HTTP date), capped."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, min(seconds, cap))


def _tls_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


class Http:
    """An ``httpx.AsyncClient`` for one portal, with retries and a request count."""

    def __init__(
        self,
        url: str,
        *,
        insecure: bool = False,
        sim_dir: Path | None = None,
        timeout: float = 30.0,
        max_connections: int = 8,
        client_ip: str = "127.0.0.1",
        policy: RetryPolicy | None = None,
        app: AsgiApp | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.verify = not insecure
        self.request_count = 0
        # One bound for the whole session: nested concurrent reads share it.
        self._slots = asyncio.Semaphore(max_connections)
        transport: httpx.AsyncBaseTransport | None = None
        base_url = self.url
        if app is None and self.url.startswith(SIM_SCHEME):
            from psconfig.sim import app_for_url  # only sim:// pulls in the simulator

            app = app_for_url(self.url, sim_dir or DEFAULT_SIM_DIR)
        if app is not None:
            transport = httpx.ASGITransport(
                app=app, raise_app_exceptions=False, client=(client_ip, 50000)
            )
            base_url = "http://psconfig-sim.test"
        elif urlsplit(self.url).scheme not in ("http", "https"):
            raise ConnectError(
                f"{url}: unsupported server URL (https://, http://, sim://)"
            )
        self._client = httpx.AsyncClient(
            base_url=base_url,
            transport=transport,
            verify=self.verify,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=max_connections),
            follow_redirects=False,
            headers={"User-Agent": f"psconfig/{__version__}"},
        )

    @property
    def is_tls(self) -> bool:
        return self.url.startswith("https://")

    def cookie_values(self) -> list[str]:
        """Current cookie values, so captures can scrub them."""
        return [c.value for c in self._client.cookies.jar if c.value]

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(self, path: str, *, retry: bool = True) -> Response:
        """GET ``path`` (no redirects followed), retried per the policy unless not."""
        if not retry:
            try:
                return await self._get_once(path)
            except _Retryable as exc:
                raise ConnectError(f"{path}: {exc.detail}") from None
        attempts = 0
        try:
            async for attempt in self._attempts():
                with attempt:
                    attempts += 1
                    return await self._get_once(path)
        except _Retryable as exc:
            tries = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
            if exc.status is None:
                raise ConnectError(f"{path}: {exc.detail} ({tries})") from None
            raise ServerError(
                f"{path}: server answered HTTP {exc.status} ({tries})",
                status=exc.status,
            ) from None
        raise AssertionError("unreachable: stamina either returns or raises")

    async def post(
        self, path: str, pairs: list[tuple[str, str]], *, referer: str
    ) -> Response:
        """POST a form once; a transport failure is an ``UncertainWriteError``."""
        self.request_count += 1
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": str(self._client.base_url.join(referer)),
        }
        try:
            async with self._slots:
                answer = await self._client.post(
                    path, content=urlencode(pairs).encode("utf-8"), headers=headers
                )
        except httpx.TransportError as exc:
            if _tls_failure(exc):
                raise self._tls_error(path) from None
            raise UncertainWriteError(
                f"{path}: the form post failed in transit ({type(exc).__name__}); "
                "it may or may not have been saved"
            ) from None
        return self._wrap(path, answer)

    async def until_processed(
        self, send: Callable[[], Awaitable[Response]]
    ) -> Response:
        """``send()``, and again while the server answers 503 or 429.

        Those two say the request was not processed, so resending a form post is
        safe; ``send`` should fetch a fresh form each time. Waits honour
        ``Retry-After`` within the GET retry policy's attempts and time. Any other
        answer is returned at once, and the last 503/429 when the budget runs out.
        """
        try:
            async for attempt in self._attempts():
                with attempt:
                    answer = await send()
                    if answer.status in _UNPROCESSED:
                        detail = f"HTTP {answer.status}"
                        raise _Retryable(
                            detail, answer.status, answer.retry_after, answer
                        )
                    return answer
        except _Retryable as exc:
            if exc.answer is None:
                raise  # pragma: no cover - send() raises no _Retryable of its own
            return exc.answer
        raise AssertionError("unreachable: stamina either returns or raises")

    def _attempts(self) -> AsyncIterator[stamina.Attempt]:
        return stamina.retry_context(
            on=self._backoff,
            attempts=self.policy.attempts,
            timeout=self.policy.timeout,
            wait_initial=self.policy.wait_initial,
            wait_max=self.policy.wait_max,
            wait_jitter=self.policy.wait_jitter,
        )

    def _backoff(self, exc: Exception) -> bool | float:
        if not isinstance(exc, _Retryable):
            return False
        return exc.retry_after if exc.retry_after is not None else True

    async def _get_once(self, path: str) -> Response:
        self.request_count += 1
        try:
            async with self._slots:
                answer = await self._client.get(path)
        except httpx.UnsupportedProtocol as exc:
            raise ConnectError(f"{path}: {exc}") from None
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            if _tls_failure(exc):
                raise self._tls_error(path) from None
            raise _Retryable(
                f"cannot reach {self.url} ({type(exc).__name__})"
            ) from None
        if answer.status_code == 429 or answer.status_code >= 500:
            wait = _retry_after(
                answer.headers.get("Retry-After"), self.policy.retry_after_cap
            )
            raise _Retryable(f"HTTP {answer.status_code}", answer.status_code, wait)
        return self._wrap(path, answer)

    def _tls_error(self, path: str) -> ConnectError:
        return ConnectError(
            f"{path}: TLS certificate verification failed for {self.url} "
            "(fix the certificate; --insecure is for test servers only)"
        )

    def _wrap(self, path: str, answer: httpx.Response) -> Response:
        location = answer.headers.get("Location")
        return Response(
            path=path,
            status=answer.status_code,
            text=answer.text,
            location=_path_of(location) if location else None,
            content_type=answer.headers.get("Content-Type", ""),
            retry_after=_retry_after(
                answer.headers.get("Retry-After"), self.policy.retry_after_cap
            ),
        )


class PortalSession:
    """A signed-in session: detection, sign-in, redirects and one re-login on expiry."""

    def __init__(
        self, http: Http, username: str, password: SecretStr, flavor: Flavor | None
    ) -> None:
        self.http = http
        self.username = username
        self._password = password
        self._flavor_choice = flavor
        self._relogin_lock = asyncio.Lock()
        self._generation = 0
        # The generation a re-login failed from, and why: requests that waited on
        # that re-login raise the same error instead of posting another sign-in.
        self._failed_relogin: tuple[int, DriverError] | None = None
        self.map: PortalMap | None = None
        self.version = "unknown"
        self.signin_page: Response | None = None
        self.secrets: set[str] = set()

    @property
    def portal_map(self) -> PortalMap:
        if self.map is None:
            raise AssertionError("PortalSession.open() has not run")
        return self.map

    async def detect(self, page: Response | None = None) -> PortalMap:
        """Pick the flavor's map from the sign-in page (fetched unless given)."""
        if page is None:
            page = await self.http.get(login.signin_path(self._flavor_choice))
        self.signin_page = page
        self.map = login.choose_map(page.text, self._flavor_choice, page=page.path)
        self.version = login.version_of(page.text, self.map)
        return self.map

    async def open(self) -> None:
        """Detect the flavor and sign in (never retried when refused)."""
        if self.map is None or self.signin_page is None:
            await self.detect()
        assert self.signin_page is not None
        await self._sign_in(self.signin_page)

    async def close(self) -> None:
        """Sign out (best effort) and close the client."""
        try:
            if self.map is not None and self._generation > 0:
                await self.http.get(self.map.home.logout_url, retry=False)
        except DriverError:
            pass  # leaving anyway (one attempt); the session times out on the server
        finally:
            await self.http.aclose()

    async def _sign_in(self, page: Response | None = None) -> None:
        portal_map = self.portal_map
        if page is None:
            page = await self.http.get(portal_map.signin.url)
        doc = Document(page.text, page=page.path, flavor=portal_map.flavor)
        form = doc.form(portal_map.signin.form)
        secret = self._password.get_secret_value()
        self.secrets |= login.fill_signin(
            form, doc, portal_map.signin, self.username, secret
        )
        answer = await self._post_signin(form, page.path)
        login.check_signin(answer, portal_map, self.username)
        self._generation += 1

    async def _post_signin(self, form: Form, referer: str) -> Response:
        try:
            return await self.http.post(form.action, form.pairs(), referer=referer)
        except ConnectError as exc:
            raise ConnectError(f"{exc} (sign-in is not retried)") from None

    def _expired(self, answer: Response) -> bool:
        return answer.redirects_to(self.portal_map.signin.url)

    async def _follow(self, path: str) -> Response:
        answer = await self.http.get(path)
        hops = 0
        while answer.is_redirect and not self._expired(answer) and hops < _MAX_HOPS:
            hops += 1
            answer = await self.http.get(answer.location or "/")
        return answer

    async def get(self, path: str) -> Response:
        """GET a protected page, signing in again once if the session expired."""
        return await self._signed_in(path, lambda: self._follow(path))

    async def _signed_in(
        self, path: str, send: Callable[[], Awaitable[Response]]
    ) -> Response:
        """``send()``; if it finds the session expired, sign in again and resend once.

        A request answered with the sign-in page was not processed, so resending
        it is safe. A second expiry in a row is a ``SessionExpiredError``.
        """
        generation = self._generation
        answer = await send()
        if not self._expired(answer):
            return answer
        await self.relogin(generation)
        answer = await send()
        if self._expired(answer):
            raise SessionExpiredError(
                f"{path}: the session ended again right after signing in again"
            )
        return answer

    async def relogin(self, seen_generation: int) -> None:
        """Sign in again unless a concurrent request already did since ``seen``.

        A failed sign-in is never retried: when the re-login from ``seen`` failed,
        every request that found the same session expired raises that error.
        """
        async with self._relogin_lock:
            if self._generation != seen_generation:
                return
            failed = self._failed_relogin
            if failed is not None and failed[0] == seen_generation:
                raise failed[1]
            try:
                await self._sign_in()
            except DriverError as exc:
                self._failed_relogin = (seen_generation, exc)
                raise

    async def document(self, path: str, *, ok: tuple[int, ...] = (200,)) -> Document:
        """GET ``path`` as a parsed page; a status outside ``ok`` is an error."""
        answer = await self.get(path)
        if answer.status == 403 and 403 not in ok:
            message = f"{path}: access denied to {self.username!r} (HTTP 403)"
            raise PageDeniedError(message, self.parse(answer))
        if answer.status not in ok:
            raise self.status_error(answer.path, answer.status)
        return self.parse(answer)

    def parse(self, answer: Response) -> Document:
        return Document(
            answer.text,
            page=answer.path,
            flavor=self.portal_map.flavor,
            status=answer.status,
        )

    async def submit(
        self,
        path: str,
        form_id: str,
        fill: Callable[[Form], None],
        *,
        button: str | None = None,
    ) -> Response:
        """GET the form on ``path``, ``fill`` it, POST it; return the answer.

        ``fill`` changes only the managed fields; everything else the server sent
        goes back as it came. The POST is repeated (GET, fill and POST again) only
        when the server says it did not process it: a 503 or 429 answer (within the
        retry policy, see ``Http.until_processed``), or the sign-in page because the
        session expired (once, after signing in again: the form's token belongs to
        the old session). Any other failure is for the caller to read back.
        """

        async def post() -> Response:
            form = (await self.document(path)).form(form_id)
            fill(form)
            return await self.http.post(form.action, form.pairs(button), referer=path)

        # A 503/429 answer was not processed: post a freshly read form again.
        return await self._signed_in(path, lambda: self.http.until_processed(post))

    def status_error(self, path: str, status: int) -> DriverError:
        """The error for an unexpected status on a page."""
        if status == 403:
            return AccessDeniedError(
                f"{path}: access denied to {self.username!r} (HTTP 403)"
            )
        if status == 404:
            return FormMapError(
                page=path,
                field="(page)",
                flavor=self.portal_map.flavor,
                detail="was not found (HTTP 404)",
            )
        return ServerError(f"{path}: unexpected HTTP {status}", status=status)
