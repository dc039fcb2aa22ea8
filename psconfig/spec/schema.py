"""The JSON Schema of spec format v1, generated from the models.

``specs/psconfig-v1.schema.json`` is this schema, committed so editors can
autocomplete specs (the ``# yaml-language-server: $schema=...`` modeline); a test
fails when the committed file is stale.

The schema is slightly stricter than the loader where a schema cannot say what the
loader accepts: labels are listed in their documented letter case (the loader
ignores case), and secret fields show the reference form (the loader also takes a
literal for sim:// servers).
"""

from __future__ import annotations

from typing import Any

from psconfig.spec.models import Spec

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a psconfig spec, format version 1."""
    generated = Spec.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "psconfig spec v1",
        "description": "Desired PowerSchool security setup for the Clever DDE sync "
        "(see docs/spec.md).",
        **{k: v for k, v in generated.items() if k not in ("title", "description")},
    }
