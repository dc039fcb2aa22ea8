"""Tiny ASGI wrappers around the simulator: a changed page, deterministic faults.

The simulator stays untouched; these stand between it and the driver the way a
different PowerSchool release or a flaky network would.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from psconfig.drivers.portal import AsgiApp

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def _respond(send: Send, status: int, headers: list[tuple[bytes, bytes]]) -> None:
    body = b"simulated failure"
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Rewrite:
    """Serve every HTML page with ``old`` replaced by ``new`` (a renamed field)."""

    def __init__(self, app: AsgiApp, old: str, new: str) -> None:
        self.app, self.old, self.new = app, old.encode(), new.encode()

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        start: Message = {}
        chunks: list[bytes] = []

        async def rewrite(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks).replace(self.old, self.new)
            headers = [
                (k, v) for k, v in start["headers"] if k.lower() != b"content-length"
            ]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, rewrite)


class ConfirmOnly:
    """Pass ``method path`` to the app, but answer it with a bare confirmation.

    The change lands; the answer is not the form again, so it cannot serve as
    the post's read-back (as a PowerSchool page that only says "Changes Recorded").
    """

    def __init__(self, app: AsgiApp, *, method: str, path: str) -> None:
        self.app, self.method, self.path = app, method, path

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope.get("method") != self.method or scope.get("path") != self.path:
            await self.app(scope, receive, send)
            return

        async def swallow(message: Message) -> None:
            return None

        await self.app(scope, receive, swallow)
        body = b'<html><body><div class="feedback-confirm">Changes Recorded.</div>'
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class Flaky:
    """Answer the next requests matching ``method`` and ``path`` with ``statuses``.

    ``forward`` lets a failing POST reach the simulator first (it lands, but the
    client sees the error), as when a proxy times out after the server saved.
    """

    def __init__(
        self,
        app: AsgiApp,
        *,
        method: str,
        path: str,
        statuses: list[int],
        retry_after: str | None = None,
        forward: bool = False,
    ) -> None:
        self.app, self.method, self.path = app, method, path
        self.statuses = list(statuses)
        self.retry_after, self.forward = retry_after, forward
        self.failed = 0

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        hit = scope.get("method") == self.method and scope.get("path") == self.path
        if not (hit and self.statuses):
            await self.app(scope, receive, send)
            return
        status = self.statuses.pop(0)
        self.failed += 1
        if self.forward:

            async def swallow(message: Message) -> None:
                return None

            await self.app(scope, receive, swallow)
        headers = (
            [(b"retry-after", self.retry_after.encode())] if self.retry_after else []
        )
        await _respond(send, status, headers)


class CookieSpy:
    """Record every cookie value the server sets."""

    def __init__(self, app: AsgiApp) -> None:
        self.app = app
        self.values: set[str] = set()

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        async def spy(message: Message) -> None:
            if message["type"] == "http.response.start":
                for key, value in message.get("headers", []):
                    if key.lower() == b"set-cookie":
                        cookie = value.decode().split(";", 1)[0]
                        cookie_value = cookie.split("=", 1)[1].strip('"')
                        if cookie_value:  # deletions set an empty value
                            self.values.add(cookie_value)
            await send(message)

        await self.app(scope, receive, spy)


class Peak:
    """Count requests in flight at once (the simulator's latency keeps them open)."""

    def __init__(self, app: AsgiApp) -> None:
        self.app = app
        self.now = self.peak = 0

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


class DiesAfter:
    """Pass requests through until one ``method path`` went by, then answer 500."""

    def __init__(self, app: AsgiApp, *, method: str, path: str) -> None:
        self.app, self.method, self.path = app, method, path
        self.dead = False

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if self.dead:
            await _respond(send, 500, [])
            return
        await self.app(scope, receive, send)
        if scope.get("method") == self.method and scope.get("path") == self.path:
            self.dead = True


class PostSpy:
    """Record the body of every form post, as the server received it."""

    def __init__(self, app: AsgiApp) -> None:
        self.app = app
        self.bodies: list[str] = []

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        parts: list[bytes] = []

        async def spy() -> Message:
            message = await receive()
            parts.append(message.get("body", b""))
            if not message.get("more_body"):
                self.bodies.append(b"".join(parts).decode())
            return message

        await self.app(scope, spy, send)
