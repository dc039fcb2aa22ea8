"""Command ``init``: write a commented starter spec for a district.

The answers come from flags; on a terminal, what no flag gave is asked (with the
preset's defaults offered). Without a terminal a missing ``--server`` is an error
and everything else takes its default. With ``--from-server`` psconfig first signs
in to ``--server`` (as the spec will: the simulator's demo administrator, or the
admin references of ``--secrets``) and reads what ``import`` reads; an export group
and sync account already there become the defaults, so the spec plans few or no
changes. Every answer is checked before anything is written, an existing file is
never overwritten without ``--force``, and the file written is loaded as
``validate`` would load it (its warnings shown). Exit 0 written, 1 otherwise.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from psconfig.cli import common
from psconfig.cli.common import err, handle_errors, write_atomic

if TYPE_CHECKING:
    from pydantic import SecretStr

    from psconfig.spec.starter import Answers


class Secrets(enum.StrEnum):
    """Where the spec's secret references point."""

    env = "env"
    file = "file"


_FLAGS = {
    "name": "--name",
    "server": "--server",
    "group_number": "--group-number",
    "username": "--username",
    "allowed_ips": "--allowed-ip",
    "secrets": "--secrets",
}


def register(app: typer.Typer) -> None:
    """Attach init to ``app``."""
    app.command("init")(init)


def init(
    spec: Annotated[
        Path,
        typer.Argument(metavar="SPEC", help="The spec file to write."),
    ] = Path("psconfig.yaml"),
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            metavar="NAME",
            help="The district's name in reports (default: SPEC's).",
        ),
    ] = None,
    server: Annotated[
        str | None,
        typer.Option(
            "--server",
            metavar="URL",
            help="https://HOST of the PowerSchool, or sim://NAME to try it out.",
        ),
    ] = None,
    group_number: Annotated[
        int | None,
        typer.Option("--group-number", metavar="N", help="An unused group (12)."),
    ] = None,
    username: Annotated[
        str | None,
        typer.Option(
            "--username",
            metavar="NAME",
            help="The sync account's username (cleversync).",
        ),
    ] = None,
    allowed_ips: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-ip",
            metavar="IP",
            help="An address or CIDR the sync service connects from; repeatable.",
        ),
    ] = None,
    secrets: Annotated[
        Secrets | None,
        typer.Option(
            "--secrets",
            help="Where passwords come from: env (environment variables) or file.",
        ),
    ] = None,
    from_server: Annotated[
        bool,
        typer.Option(
            "--from-server",
            help="Sign in to --server and start from its export group and sync "
            "account, when it has them.",
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite SPEC if it exists.")
    ] = False,
) -> None:
    """Write a commented starter spec for a district (the clever-dde-sync preset)."""
    given: dict[str, object] = {
        "name": name,
        "server": server,
        "group_number": group_number,
        "username": username,
        "allowed_ips": allowed_ips,
        "secrets": None if secrets is None else secrets.value,
    }
    with handle_errors():
        _init(spec, given, force=force, from_server=from_server)


def _init(
    spec: Path, given: dict[str, object], *, force: bool, from_server: bool
) -> None:
    from psconfig.errors import PsconfigError
    from psconfig.spec.starter import starter_spec

    common.checked_out(spec, flag="SPEC")
    if spec.exists() and not force:
        raise PsconfigError(f"{spec} exists; pass --force to overwrite it")
    found: dict[str, object] = {}
    if from_server:
        found = _found_on_server(spec, given)
    answers = _answers(spec, given, found)
    write_atomic(spec, starter_spec(answers))
    for line in _warnings_of(spec):
        err(line)
    typer.echo(_next_steps(spec, answers))


def _found_on_server(spec: Path, given: dict[str, object]) -> dict[str, object]:
    """What the server given by ``--server`` already has (``init --from-server``)."""
    import asyncio

    from psconfig.drivers.portal import open_portal
    from psconfig.drivers.portal.pages.importer import import_scope
    from psconfig.errors import PsconfigError
    from psconfig.spec.starter import found_on_server

    if given["server"] is None:
        raise PsconfigError("--from-server reads the server given by --server URL")
    url = common.checked_url(str(given["server"]))
    user, password = _admin(url, str(given["secrets"] or "env"), spec.parent)

    async def read() -> dict[str, object]:
        sim = common.sim_dir_for(url)
        async with open_portal(url, user, password, sim_dir=sim) as driver:
            state = await driver.read(import_scope(driver.dde_pages))
            return found_on_server(state, driver.dde_pages)

    return asyncio.run(read())


def _admin(url: str, source: str, base_dir: Path) -> tuple[str, SecretStr]:
    """The sign-in the spec will use: the demo admin on sim://, else its references."""
    from pydantic import SecretStr

    from psconfig.errors import PsconfigError, SecretError
    from psconfig.spec import SIM_PASSWORD, SIM_USERNAME, resolve_reference
    from psconfig.spec.starter import references

    if url.startswith("sim://"):
        return SIM_USERNAME, SecretStr(SIM_PASSWORD)
    refs = references("file" if source == "file" else "env")
    try:
        user = resolve_reference(refs["admin_user"], base_dir, name="--from-server")
        password = resolve_reference(
            refs["admin_password"], base_dir, name="--from-server"
        )
    except SecretError as exc:
        raise PsconfigError(exc.problems[0].message) from None
    return user.get_secret_value(), password


def _answers(spec: Path, given: dict[str, object], found: dict[str, object]) -> Answers:
    from psconfig.errors import PsconfigError
    from psconfig.spec.starter import check_answers

    flags = {key: value for key, value in given.items() if value is not None}
    values = {**found, **flags}  # a flag wins over what the server has
    values.setdefault("name", spec.stem)
    if common.stdin_is_tty():
        values = _ask(values, given)
    elif "server" not in values:
        raise PsconfigError(
            "init needs --server URL (https://HOST, or sim://NAME to try it out); "
            "run it on a terminal to be asked"
        )
    try:
        return check_answers(values)
    except ValueError as exc:
        # handle_errors says "error: " before the first line; the others say it here.
        first, *rest = [_flagged(line) for line in str(exc).splitlines()]
        raise PsconfigError(
            "\n".join([first, *(f"error: {r}" for r in rest)])
        ) from None


def _flagged(line: str) -> str:
    field, _, message = line.partition(": ")
    return f"{_FLAGS.get(field, field)}: {message}"


def _ask(values: dict[str, object], given: dict[str, object]) -> dict[str, object]:
    """Ask for each answer no flag gave, offering the default."""
    asked = dict(values)
    if given["name"] is None:
        asked["name"] = typer.prompt("District name", default=values["name"])
    if given["server"] is None:
        asked["server"] = typer.prompt("PowerSchool URL (https://HOST or sim://NAME)")
    if given["group_number"] is None:
        asked["group_number"] = typer.prompt(
            "Unused security group number", 12, type=int
        )
    if given["username"] is None:
        asked["username"] = typer.prompt("Sync account username", "cleversync")
    if given["allowed_ips"] is None:
        ips = typer.prompt(
            "Addresses the sync service connects from (comma-separated, or blank)",
            default="",
            show_default=False,
        )
        asked["allowed_ips"] = [ip.strip() for ip in str(ips).split(",") if ip.strip()]
    if given["secrets"] is None:
        asked["secrets"] = typer.prompt(
            "Secrets from environment variables or files (env or file)", "env"
        )
    return asked


def _warnings_of(spec: Path) -> list[str]:
    """Load the file as ``validate`` does: its warnings (its problems: an error)."""
    from psconfig.spec import load_spec

    loaded = load_spec(spec)
    return [str(w) for w in loaded.warnings]


def _next_steps(spec: Path, answers: Answers) -> str:
    refs = answers.references()
    needed = [refs["sync_password"]]
    if not answers.is_sim:
        needed = [refs["admin_user"], refs["admin_password"], *needed]
    return "\n".join(
        [
            f"Wrote {spec}: the clever-dde-sync preset for {answers.name} on "
            f"{answers.server}.",
            f"Its secrets come from {', '.join(needed)}. Next:",
            f"  psconfig validate {spec}",
            f"  psconfig plan {spec}",
        ]
    )
