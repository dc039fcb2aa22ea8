"""The psconfig spec: format v1, loading with positions, secrets, preset and policy.

Public API (everything else in this package is internal):

- ``expand_paths(paths) -> list[Path]``: files as given, directories expanded to
  their ``*.yaml`` files (``*.yml`` only when named); ``SpecError`` for missing
  paths.
- ``load_spec(path) -> LoadedSpec``: parse, validate, expand the preset, resolve
  references, check policy; ``SpecError`` with every located problem on failure.
- ``LoadedSpec``: ``path``, ``name``, ``digest`` (``sha256:<hex>`` of the file),
  ``server`` (``ServerTarget``), ``warnings``; ``desired(resolve_secrets=...)``
  gives the normalized ``psconfig.model.Desired``; ``credentials()`` the sign-in.
- ``dump_spec(state, name=, url=, flavor=) -> str``: a full-form spec reproducing
  a live ``State`` (for ``psconfig import``).
- ``expand_spec(loaded) -> str``: the spec with its preset expanded, as YAML.
- ``json_schema() -> dict``: the JSON Schema of the format.
- ``RULES``: the policy rules by id (``Rule``: ``id``, ``severity``, ``meaning``).
- ``ServerTarget``: ``url``, ``flavor``, ``username`` (text or ``SecretRef``),
  ``password`` (``SecretRef``, a hidden literal for sim://, or None); ``is_sim``.
- ``SecretRef``: a ``${env:NAME}`` / ``${file:PATH}`` reference; ``str()`` spells it.
- ``resolve_reference(text, base_dir, *, name=, env=) -> SecretStr``: resolve a
  reference given outside a spec (a command-line value); ``SecretError`` for a
  literal, a malformed reference or one that cannot be resolved.
- ``SIM_USERNAME`` / ``SIM_PASSWORD``: the simulator's public demo administrator.
- ``sort_problems(problems)``: errors, then warnings, then notices (waived
  findings), each by position.
"""

from psconfig.spec.export import dump_spec, expand_spec
from psconfig.spec.load import LoadedSpec, expand_paths, load_spec, sort_problems
from psconfig.spec.policy import RULES, Rule
from psconfig.spec.schema import json_schema
from psconfig.spec.secrets import SecretRef, resolve_reference
from psconfig.spec.server import SIM_PASSWORD, SIM_USERNAME, ServerTarget

__all__ = [
    "RULES",
    "SIM_PASSWORD",
    "SIM_USERNAME",
    "LoadedSpec",
    "Rule",
    "SecretRef",
    "ServerTarget",
    "dump_spec",
    "expand_paths",
    "expand_spec",
    "json_schema",
    "load_spec",
    "resolve_reference",
    "sort_problems",
]
