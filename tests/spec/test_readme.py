"""The spec reference (docs/spec.md) stays in step with the code it documents."""

from __future__ import annotations

import re

import pytest

from psconfig.spec import RULES
from psconfig.spec.models import (
    AdminAccess,
    CleverDdeSync,
    SecurityGroup,
    Server,
    Spec,
    SpecModel,
    Staff,
)
from tests.spec.conftest import REPO


def section() -> str:
    text = (REPO / "docs" / "spec.md").read_text()
    match = re.search(r"<!-- BEGIN:spec -->(.*)<!-- END:spec -->", text, re.DOTALL)
    assert match, "docs/spec.md has no spec section"
    return match.group(1)


def test_the_rule_table_matches_the_rules() -> None:
    text = section()
    for rule in RULES.values():
        assert f"| {rule.id} | {rule.severity} | {rule.meaning} |" in text


@pytest.mark.parametrize(
    "model", [Spec, Server, SecurityGroup, Staff, AdminAccess, CleverDdeSync]
)
def test_every_key_is_documented(model: type[SpecModel]) -> None:
    text = section()
    for name, info in model.model_fields.items():
        key = info.alias or name
        assert re.search(rf"\| [^|\n]*`{re.escape(key)}`", text), (
            f"{model.__name__}.{key} is not in a docs/spec.md table"
        )


def test_file_references_are_documented_precisely() -> None:
    # Absolute paths, the spec's directory (not the working one) and ``..``.
    secrets = section().split("### Secrets", 1)[1].split("###", 1)[0]
    for needle in ("${file:/run/secrets/", "directory of the spec file", "`..`"):
        assert needle in secrets, needle
