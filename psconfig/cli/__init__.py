"""The command line. The only package that prints, prompts, reads flags' env or exits.

Command modules each expose ``register(app)``. They import their heavy dependencies
inside the command functions so ``psconfig --version`` starts fast.
"""

from __future__ import annotations

import typer

from psconfig import __version__

app = typer.Typer(
    name="psconfig",
    help="PowerSchool integration security setup as code.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"psconfig {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """PowerSchool integration security setup as code."""


_registered = False


def _register_all() -> None:
    """Attach every command module once (tests call this before invoking ``app``)."""
    global _registered
    if _registered:
        return
    from psconfig.cli import commands

    commands.register(app)
    _registered = True


def main() -> None:
    """Console-script entry point.

    Click exits 2 on a usage error (unknown option, missing argument), but 2 means
    "changes pending" to CI here, so a mistyped flag must never read as success with
    changes: usage errors exit 1.
    """
    from typer.exceptions import TyperException

    _register_all()
    try:
        code = app(standalone_mode=False)
    except TyperException as exc:  # usage errors, bad parameters, no arguments
        show = getattr(exc, "show", None)  # the vendored click's exceptions have it
        if callable(show):
            show()
        else:
            typer.echo(f"Error: {exc.format_message()}", err=True)
        raise SystemExit(1) from None
    except typer.Abort:
        typer.echo("aborted", err=True)
        raise SystemExit(1) from None
    raise SystemExit(code if isinstance(code, int) else 0)
