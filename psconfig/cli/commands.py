"""Registers every command module on the app. Add new command modules here."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach all commands to ``app``."""
    for name in (
        "validate",
        "plan",
        "sim",
        "doctor",
        "verify",
        "plugin",
        "report",
        "init",
    ):
        module = __import__(f"psconfig.cli.{name}", fromlist=["register"])
        module.register(app)
