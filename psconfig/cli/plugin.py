"""``psconfig plugin``: write the PowerSchool plugin ``drift --via api`` needs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from psconfig.cli.common import handle_errors
from psconfig.errors import PsconfigError


def register(app: typer.Typer) -> None:
    """Attach ``plugin`` to ``app``."""
    app.command("plugin")(plugin)


def plugin(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="DIR_OR_ZIP",
            help="A .zip file to write the package to, or a directory to write "
            "plugin.xml and psconfig-plugin.zip into.",
        ),
    ] = None,
) -> None:
    """Write the read-only plugin package for drift --via api. Exit 0, 1 error.

    Install the zip in PowerSchool (System > System Settings > Plugin Management
    Configuration > Install), enable it, review its data access (read-only USERS
    and SCHOOLSTAFF columns), then put the client ID and secret from its Data
    Configuration page in the environment and reference them in server.api.
    """
    with handle_errors():
        if out is None:
            raise PsconfigError("plugin needs --out DIR_OR_ZIP")
        for written in _write(out):
            typer.echo(f"wrote {written}")
        typer.echo(
            "Install the zip in PowerSchool (Plugin Management Configuration > "
            "Install), enable it, and reference its client ID and secret in "
            "server.api of your spec."
        )


def _write(out: Path) -> list[Path]:
    from psconfig.cli.common import write_atomic
    from psconfig.drivers.api import plugin_xml, plugin_zip

    if out.suffix.lower() == ".zip":
        _write_bytes(out, plugin_zip())
        return [out]
    if out.exists() and not out.is_dir():
        raise PsconfigError(f"--out: {out} is a file; give a directory or a .zip")
    xml = out / "plugin.xml"
    package = out / "psconfig-plugin.zip"
    write_atomic(xml, plugin_xml())
    _write_bytes(package, plugin_zip())
    return [xml, package]


def _write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise PsconfigError(f"cannot write {path}: {exc.strerror}") from None
