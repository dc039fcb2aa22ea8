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


def _register_all() -> None:
    from psconfig.cli import commands

    commands.register(app)


def main() -> None:
    """Console-script entry point."""
    _register_all()
    app()
