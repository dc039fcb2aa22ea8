"""A real webhook receiver on loopback: what Apprise's json:// delivers lands here."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    """The requests received, and the status to answer them with."""

    port: int = 0
    status: int = 200
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def url(self, path: str = "/hook") -> str:
        """The Apprise URL that posts JSON here."""
        return f"json://127.0.0.1:{self.port}{path}"


@contextmanager
def receiving(status: int = 200) -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 until the block ends."""
    receiver = Receiver(status=status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            receiver.received.append((self.path, body))
            self.send_response(receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
