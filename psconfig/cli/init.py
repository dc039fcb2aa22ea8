"""Command ``init``: write a commented starter spec for a district.

The answers come from flags; on a terminal, what no flag gave is asked (with the
preset's defaults offered). Without a terminal a missing ``--server`` is an error
and everything else takes its default. Every answer is checked before anything is
written, an existing file is never overwritten without ``--force``, and the file
written is loaded as ``validate`` would load it (its warnings shown). Exit 0
written, 1 otherwise.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from psconfig.cli import common
from psconfig.cli.common import err, handle_errors, write_atomic

if TYPE_CHECKING:
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
            "--name", help="The district's name in reports (default: SPEC's)."
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
        typer.Option("--username", help="The sync account's username (cleversync)."),
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
        _init(spec, given, force=force)


def _init(spec: Path, given: dict[str, object], *, force: bool) -> None:
    from psconfig.errors import PsconfigError
    from psconfig.spec.starter import starter_spec

    common.checked_out(spec, flag="SPEC")
    if spec.exists() and not force:
        raise PsconfigError(f"{spec} exists; pass --force to overwrite it")
    answers = _answers(spec, given)
    write_atomic(spec, starter_spec(answers))
    for line in _warnings_of(spec):
        err(line)
    typer.echo(_next_steps(spec, answers))


def _answers(spec: Path, given: dict[str, object]) -> Answers:
    from psconfig.errors import PsconfigError
    from psconfig.spec.starter import check_answers

    values = {key: value for key, value in given.items() if value is not None}
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
