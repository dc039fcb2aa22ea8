"""The server a spec targets: URL, flavor, sign-in scheme and credentials.

``https://`` and loopback ``http://`` servers need ``server.username`` and
``server.password``, the password as a secret reference. ``sim://NAME`` (the
embedded simulator) needs neither: they default to the simulator's documented demo
administrator, ``admin`` / ``psconfig-demo``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

from psconfig.errors import Problem
from psconfig.spec.document import Document
from psconfig.spec.models import Server
from psconfig.spec.secrets import SecretRef

SIM_USERNAME = "admin"
"""The simulator's documented demo administrator."""
SIM_PASSWORD = "psconfig-demo"
"""Its password: public by design, used only for ``sim://`` servers."""


@dataclass(frozen=True)
class ServerTarget:
    """The server a spec targets and how to sign in to it.

    ``flavor`` is the effective flavor (``sim://NAME?flavor=legacy`` sets it).
    ``sign_in`` pins the sign-in scheme (``pcas``/``plain``) or reads it (``auto``).
    ``password`` is a reference, a hidden literal (sim:// only), or None (sim://
    default).
    """

    url: str
    flavor: Literal["auto", "legacy", "modern"]
    sign_in: Literal["auto", "pcas", "plain"]
    username: str | SecretRef
    password: SecretRef | SecretStr | None

    @property
    def is_sim(self) -> bool:
        """True for the embedded simulator (``sim://NAME``)."""
        return self.url.startswith("sim://")


def server_target(server: Server) -> ServerTarget:
    """The target a validated ``server`` section describes."""
    flavor = server.flavor
    _, _, query = server.url.partition("?flavor=")
    if query in ("legacy", "modern"):
        flavor = "legacy" if query == "legacy" else "modern"
    return ServerTarget(
        url=server.url,
        flavor=flavor,
        sign_in=server.sign_in,
        username=server.username or SIM_USERNAME,
        password=server.password,
    )


def server_problems(server: Server, doc: Document) -> list[Problem]:
    """Credentials a real server needs, and a flavor that agrees with the URL."""
    where = ("server",)
    if server.url.startswith("sim://"):
        _, _, query = server.url.partition("?flavor=")
        if query and server.flavor not in ("auto", query):
            message = f"the URL asks for flavor {query!r}; they differ"
            return [doc.problem((*where, "flavor"), message)]
        return []
    problems: list[Problem] = []
    for name in ("username", "password"):
        if getattr(server, name) is None:
            message = (
                f"server.{name} is required for https:// and http:// servers "
                f"(e.g. ${{env:PS_ADMIN_{name.upper()}}})"
            )
            problems.append(doc.problem((*where, name), message, key=True))
    if isinstance(server.password, SecretStr):
        message = (
            "server.password must be a reference such as ${env:PS_ADMIN_PASSWORD}; "
            "a literal password is allowed only for sim:// servers"
        )
        problems.append(doc.problem((*where, "password"), message))
    return problems
