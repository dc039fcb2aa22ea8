"""The read-only plugin-API driver (``drift --via api``) and the plugin package.

``open_api`` gives a ``Driver`` that reads staff through ``/ws/schema/table``
with an OAuth client-credentials token; ``plugin_zip`` is the PowerSchool plugin
that grants it exactly the columns it reads.
"""

from __future__ import annotations

from psconfig.drivers.api.driver import NOT_CHECKED, ApiDriver, open_api
from psconfig.drivers.api.package import plugin_xml, plugin_zip

__all__ = ["NOT_CHECKED", "ApiDriver", "open_api", "plugin_xml", "plugin_zip"]
