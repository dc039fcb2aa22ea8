"""The simulator over real loopback HTTP, with some responses held past a timeout.

An in-process ``httpx.ASGITransport`` never times out, so timeouts need a real
socket: ``serve(app)`` runs uvicorn in a thread on ``127.0.0.1`` (port 0, through
``psconfig.sim.serve.listen``, which refuses anything but loopback) and yields its
URL. ``HoldSome`` wraps the app and holds a seeded fraction of responses for
``hold`` seconds *after* the simulator handled the request: the client times out
although the server did the work, as when a proxy or a slow network loses the
answer to a form post that PowerSchool saved.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from psconfig.drivers.portal import AsgiApp
from psconfig.sim.serve import listen, url_of
from tests.driver.asgi import Message, Receive, Send


class HoldSome:
    """Hold ``fraction`` of responses (seeded draws) for ``hold`` seconds.

    ``method`` and ``path`` restrict the draws to matching requests (``path``
    without the query string); ``limit`` stops after that many holds.
    """

    def __init__(
        self,
        app: AsgiApp,
        *,
        fraction: float,
        hold: float,
        seed: int = 0,
        method: str | None = None,
        path: str | None = None,
        limit: int | None = None,
    ) -> None:
        self.app, self.fraction, self.hold = app, fraction, hold
        self.method, self.path, self.limit = method, path, limit
        self._rng = random.Random(seed)
        self.held: list[tuple[str, str]] = []
        self.in_flight = 0

    async def idle(self) -> None:
        """Wait until every held answer went out (so the simulator recorded it)."""
        deadline = time.monotonic() + 10 * self.hold + 5
        while self.in_flight:
            assert time.monotonic() < deadline, "held answers never went out"
            await asyncio.sleep(0.01)

    def _picks(self, scope: Message) -> bool:
        if scope["type"] != "http":
            return False
        if self.limit is not None and len(self.held) >= self.limit:
            return False
        if self.method is not None and scope["method"] != self.method:
            return False
        if self.path is not None and scope["path"] != self.path:
            return False
        return self._rng.random() < self.fraction

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if not self._picks(scope):
            await self.app(scope, receive, send)
            return
        self.held.append((scope["method"], scope["path"]))

        async def late(message: Message) -> None:
            if message["type"] == "http.response.start":
                await asyncio.sleep(self.hold)
            await send(message)

        self.in_flight += 1
        try:
            await self.app(scope, receive, late)
        finally:
            self.in_flight -= 1


@contextmanager
def serve(app: AsgiApp) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yields its URL."""
    sock = listen("127.0.0.1", 0)
    config = uvicorn.Config(app, lifespan="off", access_log=False, log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "no server"
            time.sleep(0.01)
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
