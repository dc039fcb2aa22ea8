"""``psconfig sim serve`` listens before it prints its URL (issue 13, item 8).

A client that connects the moment it reads the URL must be served, not refused:
the printed line is the readiness signal, so nothing may wait a fixed time.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

from tests.sim.serving import sim_serve

URL = re.compile(r"at http://127\.0\.0\.1:(\d+) ")


def test_a_client_connecting_as_soon_as_the_url_is_printed_is_served(
    tmp_path: Path,
) -> None:
    with sim_serve("--state", str(tmp_path / "served.json")) as (line, _):
        found = URL.search(line)
        assert found, f"sim serve said: {line!r}"
        # At once, no retry: a refused connection here is the defect.
        with socket.create_connection(("127.0.0.1", int(found[1])), timeout=60) as s:
            s.sendall(b"GET /admin/pw.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            status = s.makefile("rb").readline()
        assert status.startswith(b"HTTP/1.1 200"), status
