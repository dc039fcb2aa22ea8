"""``server.api``: the OAuth client of the psconfig plugin (``drift --via api``).

PowerSchool shows a plugin's client ID and secret on its Data Configuration page
once the plugin (``psconfig plugin``) is installed and enabled. Both are
references in a spec (``${env:PS_API_CLIENT_ID}``); the secret must be one, the ID
may be written out. They are resolved only by ``drift --via api``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from pydantic import ConfigDict, Field, SecretStr

from psconfig.errors import Problem, SecretError
from psconfig.model import Frozen
from psconfig.spec.secrets import SecretRef, SecretValue, UsernameValue, resolve_secret

if TYPE_CHECKING:
    from psconfig.spec.load import LoadedSpec as ApiSpec


class PluginApi(Frozen):
    """The plugin's OAuth client credentials (client credentials grant)."""

    model_config = ConfigDict(strict=True)

    client_id: UsernameValue = Field(
        description="The plugin's client ID (literal or reference)."
    )
    client_secret: SecretValue = Field(
        description="The plugin's client secret: a reference such as "
        "${env:PS_API_CLIENT_SECRET}."
    )


def api_credentials(spec: ApiSpec) -> tuple[SecretStr, SecretStr]:
    """The resolved client ID and secret of ``spec``'s ``server.api``.

    Raises:
        SecretError: no ``server.api``, a literal secret, or a reference that
            cannot be resolved (named with its position, never a value).

    """
    api = spec.model.server.api
    where = ("server", "api")
    if api is None:
        raise SecretError(
            [spec.document.problem(("server",), "drift --via api needs server.api")]
        )
    client_id = api.client_id
    secret = api.client_secret
    if not isinstance(secret, SecretRef):
        message = "server.api.client_secret must be a reference (${env:NAME})"
        raise SecretError([spec.document.problem((*where, "client_secret"), message)])
    if isinstance(client_id, SecretRef):
        id_value = _resolve(spec, client_id, (*where, "client_id"))
    else:
        id_value = SecretStr(client_id)
    return id_value, _resolve(spec, secret, (*where, "client_secret"))


def _resolve(spec: ApiSpec, ref: SecretRef, path: tuple[str, ...]) -> SecretStr:
    def problem(message: str) -> Problem:
        return spec.document.problem(path, message)

    return resolve_secret(ref, base_dir=spec.path.parent, env=os.environ, where=problem)
