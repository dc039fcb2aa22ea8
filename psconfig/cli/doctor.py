"""``psconfig doctor`` and ``psconfig import``: check a server's pages, export it.

Credentials never come from flags. For ``sim://`` servers they default to the
simulator's demo administrator; otherwise the username comes from ``--username`` or
``$PS_ADMIN_USER`` and the password from ``$PS_ADMIN_PASSWORD`` (or the variable
named by ``--password-env``).
"""

from __future__ import annotations

import enum
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlsplit

import typer

from psconfig.cli.common import (
    checked_out,
    checked_url,
    err,
    handle_errors,
    sim_dir_for,
    stdout_is_tty,
    warn_insecure,
)
from psconfig.errors import PsconfigError

if TYPE_CHECKING:
    from pydantic import SecretStr

    from psconfig.drivers.portal.learning.doctor import DoctorReport
    from psconfig.model import ServerInfo, SignInScheme, State

USER_ENV = "PS_ADMIN_USER"
PASSWORD_ENV = "PS_ADMIN_PASSWORD"


class FlavorChoice(enum.StrEnum):
    auto = "auto"
    legacy = "legacy"
    modern = "modern"

    @property
    def literal(self) -> Literal["auto", "legacy", "modern"]:
        return _LITERALS[self]


_LITERALS: dict[FlavorChoice, Literal["auto", "legacy", "modern"]] = {
    FlavorChoice.auto: "auto",
    FlavorChoice.legacy: "legacy",
    FlavorChoice.modern: "modern",
}


class SignInChoice(enum.StrEnum):
    auto = "auto"
    pcas = "pcas"
    plain = "plain"

    @property
    def literal(self) -> SignInScheme:
        return _SCHEMES[self]


_SCHEMES: dict[SignInChoice, SignInScheme] = {
    SignInChoice.auto: "auto",
    SignInChoice.pcas: "pcas",
    SignInChoice.plain: "plain",
}


Server = Annotated[
    str,
    typer.Option("--server", help="https://HOST, http://127.0.0.1:PORT or sim://NAME."),
]
Username = Annotated[
    str | None,
    typer.Option("--username", help=f"Admin username (default ${USER_ENV})."),
]
PasswordEnv = Annotated[
    str | None,
    typer.Option(
        "--password-env",
        metavar="NAME",
        help=f"Environment variable holding the password (default {PASSWORD_ENV}).",
    ),
]
FlavorOpt = Annotated[
    FlavorChoice,
    typer.Option("--flavor", help="Form map to use; auto detects it."),
]
SignInOpt = Annotated[
    SignInChoice,
    typer.Option(
        "--sign-in",
        help="How the sign-in page takes the password (as server.sign_in); auto "
        "reads it from the page and refuses an unclear page before posting.",
    ),
]
Insecure = Annotated[
    bool,
    typer.Option(
        "--insecure", help="Skip TLS certificate verification (test servers)."
    ),
]


def register(app: typer.Typer) -> None:
    """Attach ``doctor`` and ``import`` to ``app``."""
    app.command("doctor")(doctor)
    app.command("import")(import_)


def doctor(
    server: Annotated[
        str | None,
        typer.Option(
            "--server", help="https://HOST, http://127.0.0.1:PORT or sim://NAME."
        ),
    ] = None,
    username: Username = None,
    password_env: PasswordEnv = None,
    flavor: FlavorOpt = FlavorChoice.auto,
    sign_in: SignInOpt = SignInChoice.auto,
    capture: Annotated[
        Path | None,
        typer.Option(
            "--capture",
            metavar="DIR",
            help="Save the visited pages, redacted, to DIR (for fixing a form map).",
        ),
    ] = None,
    learn: Annotated[
        bool,
        typer.Option(
            "--learn",
            help="Bind every field by its label and report each as bound, pinned, "
            "ambiguous or missing (GETs only).",
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="FILE",
            help="With --learn or --replay: write the pins as a site map "
            "(name it in the spec as server.map).",
        ),
    ] = None,
    toggle: Annotated[
        bool,
        typer.Option(
            "--toggle",
            help="With --learn: turn the page-permission toggle on to reach the "
            "page editor, and off again (otherwise it is never touched).",
        ),
    ] = False,
    replay: Annotated[
        Path | None,
        typer.Option(
            "--replay",
            metavar="DIR",
            help="Bind the pages of a --capture DIR again, offline (no server).",
        ),
    ] = None,
    problems_only: Annotated[
        bool,
        typer.Option(
            "--problems-only",
            help="List only the checks that failed or warned (the verdict line "
            "still counts them all).",
        ),
    ] = False,
    insecure: Insecure = False,
) -> None:
    """Check that a server's pages match psconfig's form map (exit 1 if not).

    The verdict is the first line; the table of checks follows.
    """
    import asyncio

    from psconfig.drivers.portal.learning.doctor import replay_capture, run_doctor

    with handle_errors():
        if (out is not None or toggle) and not (learn or replay):
            raise PsconfigError("--out and --toggle go with --learn (or --replay)")
        if replay is not None:
            report = replay_capture(replay)
        elif server is None:
            raise PsconfigError("doctor needs --server URL (or --replay DIR)")
        else:
            server = checked_url(server)
            user, password = _sign_in(server, username, password_env, insecure)
            report = asyncio.run(
                run_doctor(
                    server,
                    user,
                    password,
                    flavor=flavor.literal,
                    sign_in=sign_in.literal,
                    insecure=insecure,
                    sim_dir=sim_dir_for(server),
                    capture=capture,
                    learn=learn,
                    toggle=toggle,
                )
            )
        _print_report(report, capture, problems_only=problems_only)
        if out is not None and report.site_map is not None:
            from psconfig.drivers.portal.pagemap.site_map import write_site_map

            write_site_map(out, report.site_map)
            pins = sum(len(p.fields) for p in report.site_map.pages.values())
            err(f"wrote {out}: {pins} pins on {len(report.site_map.pages)} pages")
    raise typer.Exit(0 if report.ok else 1)


def import_(
    server: Server,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the spec here (default: stdout)."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="The spec's name (default: from the server)."),
    ] = None,
    username: Username = None,
    password_env: PasswordEnv = None,
    flavor: FlavorOpt = FlavorChoice.auto,
    sign_in: SignInOpt = SignInChoice.auto,
    insecure: Insecure = False,
) -> None:
    """Write a spec of the server's live integration setup (plans empty against it)."""
    import asyncio

    from psconfig.spec import dump_spec

    with handle_errors():
        server = checked_url(server)
        out = checked_out(out)
        user, password = _sign_in(server, username, password_env, insecure)
        state, info = asyncio.run(
            _read_for_import(
                server, user, password, flavor, insecure, sign_in=sign_in.literal
            )
        )
        text = dump_spec(
            state, name=name or default_name(server), url=server, flavor=info.flavor
        )
        if out is None:
            typer.echo(text, nl=False)
        else:
            from psconfig.cli.common import write_atomic

            write_atomic(out, text)
            err(f"wrote {out}")


async def _read_for_import(
    server: str,
    user: str,
    password: SecretStr,
    flavor: FlavorChoice,
    insecure: bool,
    *,
    sign_in: SignInScheme,
) -> tuple[State, ServerInfo]:
    from psconfig.drivers.portal import open_portal
    from psconfig.drivers.portal.pages.importer import import_scope, integration_state

    async with open_portal(
        server,
        user,
        password,
        flavor=flavor.literal,
        sign_in=sign_in,
        insecure=insecure,
        sim_dir=sim_dir_for(server),
    ) as drv:
        state = await drv.read(import_scope(drv.dde_pages))
        return integration_state(state, drv.map.builtin_groups), drv.info


def credentials(
    server: str, username: str | None, password_env: str | None
) -> tuple[str, SecretStr]:
    """The sign-in for ``server``; never from a flag, never printed."""
    from pydantic import SecretStr

    variable = password_env or PASSWORD_ENV
    if server.startswith("sim://"):
        from psconfig.sim import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME

        secret = os.environ.get(variable) if password_env else None
        return username or DEMO_ADMIN_USERNAME, SecretStr(secret or DEMO_ADMIN_PASSWORD)
    user = username or os.environ.get(USER_ENV)
    if not user:
        raise PsconfigError(f"no admin username: pass --username or set ${USER_ENV}")
    secret = os.environ.get(variable)
    if not secret:
        raise PsconfigError(
            f"no admin password: set ${variable} (passwords are never taken as flags)"
        )
    return user, SecretStr(secret)


def _sign_in(
    server: str, username: str | None, password_env: str | None, insecure: bool
) -> tuple[str, SecretStr]:
    """``credentials``, then the ``--insecure`` warning both commands print."""
    found = credentials(server, username, password_env)
    if insecure:
        warn_insecure()
    return found


def default_name(server: str) -> str:
    """A spec name from the URL: the sim name or the host name."""
    parts = urlsplit(server)
    return (parts.hostname or parts.netloc or "powerschool").split("?")[0]


_STYLES = {"ok": "green", "fail": "bold red", "warn": "yellow", "skipped": "dim"}


def doctor_verdict(report: DoctorReport) -> str:
    """One line: whether every check passed, and the warnings, flavor and version."""
    total = len(report.checks)
    failed = sum(1 for c in report.checks if c.status == "fail")
    warned = sum(1 for c in report.checks if c.status == "warn")
    verdict = "all checks passed" if report.ok else f"{failed} of {total} checks failed"
    if warned:
        verdict += f", {warned} warned"
    return f"doctor: {verdict} (flavor {report.flavor}, PowerSchool {report.version})"


def _print_report(
    report: DoctorReport, capture: Path | None, *, problems_only: bool
) -> None:
    from rich.console import Console
    from rich.table import Table

    # The verdict first: a hundred-row table must not hide it.
    typer.echo(doctor_verdict(report))
    rows = [
        row
        for row in report.checks
        if not problems_only or row.status in ("fail", "warn")
    ]
    if rows:
        table = Table(title=f"psconfig doctor: {report.url}", title_justify="left")
        for column in ("check", "page", "field", "status"):
            table.add_column(column, overflow="fold")
        table.add_column("detail", overflow="fold", ratio=1)
        for row in rows:
            status = f"[{_STYLES[row.status]}]{row.status}[/]"
            table.add_row(row.check, row.page, row.field, status, row.detail)
        # CI logs are not terminals: give the table room, not rich's 80 columns.
        console = Console(highlight=False, width=None if stdout_is_tty() else 160)
        console.print(table)
    elif problems_only:
        typer.echo("no check failed or warned")
    if capture is not None and report.captured:
        typer.echo(
            f"captured {len(report.captured)} files in {capture} "
            "(redacted; review before sharing)"
        )
