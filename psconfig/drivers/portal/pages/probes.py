"""The verify probes: what the sync account must and must not be able to do, as data.

``pagemap/data/probes.json`` lists, beside the form maps, one probe per page or
action: an id, what it does, the admin-portal path, the method (a POST resubmits the
page's form as served, with ``data`` filled in), the expected outcome (``allowed``
or ``denied``) and the reason, traced to the Clever guide. A probe with ``export``
runs a DDE export of that table instead and needs at least ``min_records`` records.
``{group}`` in a path stands for the sync account's default group, ``{frn}`` for
its own staff record (its Edit Information and Admin Access pages).

The file is validated on load: unknown keys, duplicate ids, paths outside
``/admin/``, unknown placeholders, an export expected to be denied or ``data`` on a
GET are a ``DriverError`` naming the probe and the key.
"""

from __future__ import annotations

import json
import string
from functools import cache
from importlib import resources
from typing import Annotated, Literal
from urllib.parse import quote

from pydantic import AfterValidator, Field, ValidationError, model_validator

from psconfig.errors import DriverError
from psconfig.model import Frozen

PROBES_FILE = "probes.json"
PLACEHOLDERS = frozenset({"group", "frn"})
"""Placeholders a probe path may use; verify fills them per account."""


def _check_path(path: str) -> str:
    if not path.startswith("/admin/") or any(c.isspace() for c in path):
        raise ValueError("a probe path is an admin-portal path such as /admin/...")
    names = {name for _, name, _, _ in string.Formatter().parse(path) if name}
    unknown = names - PLACEHOLDERS
    if unknown:
        raise ValueError(f"unknown placeholder(s) {sorted(unknown)} in {path!r}")
    return path


ProbePath = Annotated[str, AfterValidator(_check_path)]
ProbeId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=60)]


class ExportCheck(Frozen):
    """A DDE export to run: every record of ``table``, at least ``min_records``."""

    table: Literal["students", "teachers"]
    min_records: Annotated[int, Field(ge=1)] = 1


class Probe(Frozen):
    """One thing to try as the sync account, and the outcome the guide demands."""

    id: ProbeId
    description: Annotated[str, Field(min_length=1)]
    path: ProbePath
    method: Literal["GET", "POST"] = "GET"
    data: dict[str, str] | None = None
    expect: Literal["allowed", "denied"]
    reason: Annotated[str, Field(min_length=1)]
    export: ExportCheck | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Probe:
        if self.data is not None and self.method != "POST":
            raise ValueError("data is posted, so it needs method POST")
        if self.export is not None and self.expect != "allowed":
            raise ValueError("an export probe proves what is allowed: expect allowed")
        return self

    def resolved_path(self, group: int | None, frn: str | None = None) -> str | None:
        """The path with ``{group}`` and ``{frn}`` filled; None if one is unknown."""
        path = self.path
        for name, value in (("group", group), ("frn", frn)):
            token = "{" + name + "}"
            if token in path:
                if value is None:
                    return None
                path = path.replace(token, quote(str(value), safe=""))
        return path


class ProbeFile(Frozen):
    """The probes file: a format number, a note for readers, the probes in order."""

    format: Literal[1]
    about: str = ""
    probes: Annotated[tuple[Probe, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_ids(self) -> ProbeFile:
        seen: set[str] = set()
        for probe in self.probes:
            if probe.id in seen:
                raise ValueError(f"probe id {probe.id!r} is used twice")
            seen.add(probe.id)
        return self


def parse_probes(text: str, *, source: str) -> tuple[Probe, ...]:
    """Validate a probes file's JSON text; a bad file is a DriverError naming the key.

    The error names the probe by id when the problem is inside one.
    """
    try:
        return ProbeFile.model_validate_json(text).probes
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _where(text, first["loc"])
        raise DriverError(f"{source}: {where} is invalid: {first['msg']}") from None


def _where(text: str, loc: tuple[int | str, ...]) -> str:
    """``probes[log-health].method`` for a problem inside a probe, else the path."""
    steps = [str(step) for step in loc]
    if len(loc) >= 2 and loc[0] == "probes" and isinstance(loc[1], int):
        try:
            probe = json.loads(text)["probes"][loc[1]]
            label = probe["id"] if isinstance(probe["id"], str) else loc[1]
        except (ValueError, LookupError, TypeError):
            label = loc[1]
        steps[:2] = [f"probes[{label}]"]
    return ".".join(steps) or "(top level)"


@cache
def load_probes() -> tuple[Probe, ...]:
    """The bundled probes (``pagemap/data/probes.json``), validated, cached."""
    text = (
        resources.files("psconfig.drivers.portal.pagemap")
        .joinpath("data")
        .joinpath(PROBES_FILE)
        .read_text("utf-8")
    )
    return parse_probes(text, source=f"pagemap/data/{PROBES_FILE}")
