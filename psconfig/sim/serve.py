"""Serve a simulator over real HTTP with uvicorn, on loopback only.

``listen`` binds the socket and starts listening (port 0 picks a free port), so
the caller can print the real URL before ``run`` blocks serving it until Ctrl-C: a
client that connects as soon as it reads the URL waits in the kernel's backlog
until uvicorn accepts it, instead of being refused. The simulator is
a development tool with well-known demo credentials: it refuses any address that
is not loopback.
"""

from __future__ import annotations

import ipaddress
import socket

import uvicorn

from psconfig.errors import PsconfigError
from psconfig.sim.app import SimApp


class SimServeError(PsconfigError):
    """The simulator cannot listen where it was asked to."""


def _loopback(host: str) -> str:
    """The loopback address for ``host``; refuses anything else."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise SimServeError(
            f"--host {host}: not an IP address (use 127.0.0.1 or ::1)"
        ) from None
    if not address.is_loopback:
        raise SimServeError(
            f"--host {host}: the simulator only listens on loopback "
            "(127.0.0.1 or ::1); it has public demo credentials"
        )
    return str(address)


LISTEN_BACKLOG = 128
"""Connections the kernel queues before uvicorn accepts them."""


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on a loopback ``host`` (``port`` 0: any free port)."""
    address = _loopback(host)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns Nagle off only on sockets it knows are TCP,
    # and with Nagle on every answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
        sock.listen(LISTEN_BACKLOG)
    except OSError as exc:
        sock.close()
        raise SimServeError(
            f"cannot listen on {address}:{port}: {exc.strerror}"
        ) from None
    # Listen now, not when uvicorn starts: a client that read the printed URL may
    # connect while uvicorn is still starting, and must wait in the backlog rather
    # than be refused.
    sock.listen(128)
    return sock


def url_of(sock: socket.socket) -> str:
    """``http://HOST:PORT`` of a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def run(app: SimApp, sock: socket.socket) -> None:
    """Serve ``app`` on ``sock`` until interrupted (uvicorn handles Ctrl-C)."""
    config = uvicorn.Config(app, lifespan="off", access_log=False, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])
