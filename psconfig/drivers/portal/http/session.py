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

The portal's rules on top (sign-in, redirects, re-login on expiry) are in
``portal_session``.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import logging
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import stamina

from psconfig import __version__
from psconfig.drivers.portal.http.response import Response
from psconfig.errors import ConnectError, DriverError, ServerError
from psconfig.model import Frozen

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


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Building a verifying context loads the whole CA bundle (15-20 ms); a fleet
    # opens hundreds of drivers, so they share one, built on first use.
    return httpx.create_ssl_context()


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
_UNPROCESSED = frozenset({429, 503})
"""Statuses that say the server did not process the request, so it may be resent."""
_NO_TIME_LEFT = 1e-9
"""A budget already spent (stamina reads a timeout of 0 as a mistake and warns)."""


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


def _gave_up(path: str, exc: _Retryable, attempts: int) -> DriverError:
    """The error for a GET that failed on its last attempt."""
    tries = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
    if exc.status is None:
        return ConnectError(f"{path}: {exc.detail} ({tries})")
    return ServerError(
        f"{path}: server answered HTTP {exc.status} ({tries})", status=exc.status
    )


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
        # Posts sent (any outcome): a page read before a post may be stale after it.
        self.post_count = 0
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
            verify=_tls_context() if self.verify else False,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=max_connections),
            follow_redirects=False,
            headers={"User-Agent": f"psconfig/{__version__}"},
        )
        base = self._client.base_url  # its path ends in "/" (httpx sees to it)
        self._base = f"{base.scheme}://{base.netloc.decode()}{base.raw_path.decode()}"

    @property
    def is_tls(self) -> bool:
        return self.url.startswith("https://")

    def cookie_values(self) -> list[str]:
        """Current cookie values, so captures can scrub them."""
        return [c.value for c in self._client.cookies.jar if c.value]

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(
        self, path: str, *, retry: bool = True, headers: dict[str, str] | None = None
    ) -> Response:
        """GET ``path`` (no redirects followed), retried per the policy unless not.

        ``headers`` are added to this request only (the plugin API's bearer token).
        """
        started = time.monotonic()
        try:
            return await self._get_once(path, headers)
        except _Retryable as exc:
            if not retry:
                raise ConnectError(f"{path}: {exc.detail}") from None
            failed: _Retryable | None = exc
        # Most GETs answer at once; the retry loop is set up for one that did not,
        # starting from that failure (stamina counts it and waits before the next).
        attempts = 1
        try:
            async for attempt in self._attempts(time.monotonic() - started):
                with attempt:
                    if failed is not None:
                        replayed, failed = failed, None
                        raise replayed
                    attempts += 1
                    return await self._get_once(path, headers)
        except _Retryable as exc:
            raise _gave_up(path, exc, attempts) from None
        raise AssertionError("unreachable: stamina either returns or raises")

    async def post(
        self,
        path: str,
        pairs: list[tuple[str, str]],
        *,
        referer: str,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """POST a form once; a transport failure is an ``UncertainWriteError``."""
        self.request_count += 1
        self.post_count += 1
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": str(self._client.base_url.join(referer)),
            **(headers or {}),
        }
        try:
            async with self._slots:
                answer = await self._client.post(
                    self._absolute(path),
                    content=urlencode(pairs).encode("utf-8"),
                    headers=headers,
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
        started = time.monotonic()
        first = await send()
        if first.status not in _UNPROCESSED:
            return first
        # As for a GET: the retry loop starts from the unprocessed answer.
        pending: Response | None = first
        try:
            async for attempt in self._attempts(time.monotonic() - started):
                with attempt:
                    answer = pending if pending is not None else await send()
                    pending = None
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

    def _attempts(self, spent: float) -> AsyncIterator[stamina.Attempt]:
        """The retry loop, entered after a first attempt that took ``spent`` s.

        The policy's time budget counts from that first attempt; when it is
        spent, the loop stops after the failure it starts from.
        """
        return stamina.retry_context(
            on=self._backoff,
            attempts=self.policy.attempts,
            timeout=max(self.policy.timeout - spent, _NO_TIME_LEFT),
            wait_initial=self.policy.wait_initial,
            wait_max=self.policy.wait_max,
            wait_jitter=self.policy.wait_jitter,
        )

    def _backoff(self, exc: Exception) -> bool | float:
        if not isinstance(exc, _Retryable):
            return False
        return exc.retry_after if exc.retry_after is not None else True

    async def _get_once(
        self, path: str, headers: dict[str, str] | None = None
    ) -> Response:
        self.request_count += 1
        try:
            async with self._slots:
                answer = await self._client.get(self._absolute(path), headers=headers)
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

    def _absolute(self, path: str) -> str:
        """``path``'s URL: what httpx's base URL merge gives, as one string.

        httpx parses a relative path and then the merged URL; an absolute one is
        parsed once. Anything but a plain ``/``-path goes to httpx as it is.
        """
        if path.startswith("/") and not path.startswith("//"):
            return self._base + path[1:]
        return path

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
