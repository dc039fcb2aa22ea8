"""``server.api``: the OAuth client of the psconfig plugin (``drift --via api``).

PowerSchool shows a plugin's client ID and secret on its Data Configuration page
once the plugin (``psconfig plugin``) is installed and enabled. Both are
references in a spec (``${env:PS_API_CLIENT_ID}``); the secret must be one, the ID
may be written out. They are resolved only by ``drift --via api``
(``LoadedSpec.api_credentials``).
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from psconfig.model import Frozen
from psconfig.spec.secrets import SecretValue, UsernameValue


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
