"""``psconfig sim serve``: run the simulated PowerSchool on a loopback port.

The state file defaults to ``demo.json`` in the simulator directory
(``$PSCONFIG_SIM_DIR``, else ``sim`` in the state home: ``$PSCONFIG_HOME``, else
``$XDG_STATE_HOME/psconfig``, else ``~/.local/state/psconfig``), the file
``sim://demo`` uses, so a browser can look at what ``psconfig apply`` did. A missing
file is seeded.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from psconfig.cli.common import handle_errors, sim_dir

sim_app = typer.Typer(
    name="sim",
    help="The simulated PowerSchool (sim://NAME servers).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


class FlavorChoice(enum.StrEnum):
    """PowerSchool generation of a new simulator."""

    legacy = "legacy"
    modern = "modern"


Host = Annotated[str, typer.Option("--host", help="Loopback address to bind.")]
Port = Annotated[
    int, typer.Option("--port", min=0, max=65535, help="Port; 0 picks a free one.")
]
FlavorOpt = Annotated[
    FlavorChoice | None,
    typer.Option("--flavor", help="Flavor of a new state file (default modern)."),
]
StateOpt = Annotated[
    Path | None,
    typer.Option("--state", help="State file (default: demo.json in the sim dir)."),
]
Latency = Annotated[
    int | None, typer.Option("--latency-ms", min=0, help="Delay each request by N ms.")
]
ErrorRate = Annotated[
    float | None,
    typer.Option(
        "--error-rate", min=0.0, max=1.0, help="Answer this fraction with 503."
    ),
]


@sim_app.command("serve")
def serve(
    host: Host = "127.0.0.1",
    port: Port = 0,
    flavor: FlavorOpt = None,
    state: StateOpt = None,
    latency_ms: Latency = None,
    error_rate: ErrorRate = None,
) -> None:
    """Serve the simulated PowerSchool admin portal until Ctrl-C."""
    with handle_errors():
        from psconfig.sim.app import create_app, open_state
        from psconfig.sim.serve import listen, run, url_of
        from psconfig.sim.state import Flavor

        path = state or sim_dir() / "demo.json"
        wanted: Flavor | None = None
        if flavor is not None:
            wanted = "legacy" if flavor is FlavorChoice.legacy else "modern"
        loaded = open_state(path, wanted, where=str(path))
        overrides: dict[str, object] = {}
        if latency_ms is not None:
            overrides["latency_ms"] = latency_ms
        if error_rate is not None:
            overrides["error_rate"] = error_rate
        faults = loaded.faults.model_copy(update=overrides) if overrides else None
        app = create_app(path, faults=faults)
        sock = listen(host, port)
        typer.echo(
            f"Simulated PowerSchool ({loaded.flavor} {loaded.version}) at "
            f"{url_of(sock)} (state: {path})"
        )
        run(app, sock)


@sim_app.command("install-plugin")
def install_plugin(
    plugin: Annotated[
        Path,
        typer.Argument(help="The plugin: a zip (psconfig plugin) or its plugin.xml."),
    ],
    client_id_env: Annotated[
        str,
        typer.Option("--client-id-env", metavar="NAME", help="Variable with the ID."),
    ] = "PS_API_CLIENT_ID",
    client_secret_env: Annotated[
        str,
        typer.Option(
            "--client-secret-env", metavar="NAME", help="Variable with the secret."
        ),
    ] = "PS_API_CLIENT_SECRET",
    state: StateOpt = None,
    max_page_size: Annotated[
        int, typer.Option("--max-page-size", min=1, help="Rows per API page at most.")
    ] = 100,
) -> None:
    """Install and enable a plugin on a simulator, with this OAuth client.

    The client ID and secret come from the environment (never the command line),
    so drift --via api can be tried against sim://NAME.
    """
    import os
    import zipfile

    from psconfig.errors import PsconfigError

    with handle_errors():
        from psconfig.sim.app import open_state
        from psconfig.sim.plugin_api import install_plugin as install

        ids = {}
        for flag, name in (
            ("--client-id-env", client_id_env),
            ("--client-secret-env", client_secret_env),
        ):
            ids[flag] = os.environ.get(name, "")
            if not ids[flag]:
                raise PsconfigError(f"{flag}: environment variable {name} is not set")
        try:
            if zipfile.is_zipfile(plugin):
                with zipfile.ZipFile(plugin) as archive:
                    xml = archive.read("plugin.xml").decode("utf-8")
            else:
                xml = plugin.read_text(encoding="utf-8")
        except (OSError, KeyError, UnicodeDecodeError) as exc:
            raise PsconfigError(f"{plugin}: cannot read the plugin: {exc}") from None
        path = state or sim_dir() / "demo.json"
        open_state(path, None, where=str(path))
        installed = install(
            path,
            xml,
            client_id=ids["--client-id-env"],
            client_secret=ids["--client-secret-env"],
            max_page_size=max_page_size,
        )
        tables = ", ".join(
            f"{t.upper()} ({len(c)} columns)"
            for t, c in sorted(installed.access.items())
        )
        typer.echo(f"installed {installed.name!r} on {path}: read-only {tables}")


def register(app: typer.Typer) -> None:
    """Attach the ``sim`` command group to ``app``."""
    app.add_typer(sim_app, name="sim")
