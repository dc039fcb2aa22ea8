"""Teachers and Affiliations' school grid: JSON in the page's script, JSON back.

The stock tab (research row 63) renders its affiliations as a jqGrid whose rows
the page's script receives as a JSON array (``initGrid({... data: [...]})``) and,
on submit, serializes into the hidden ``teacherAccessSchoolsAsJSON``; the schools
its Add dialog offers come as another array (``teacherAccessSchoolsList``). The
row keys are not public, so the form map pins them (``Grid.keys``): a row without a
pinned key, or with a value of the wrong type, fails closed naming the page and
the key. Rows go back with every key they came with; only the managed values
change.
"""

from __future__ import annotations

import json
import re

from psconfig.drivers.portal.forms.document import Document
from psconfig.drivers.portal.pagemap.maps import Grid
from psconfig.errors import FormMapError
from psconfig.model import Affiliation

Row = dict[str, object]


def script_array(doc: Document, regex: str, what: str) -> list[Row]:
    """The JSON array that starts where ``regex``'s group ends in the page."""
    found = re.search(regex, doc.raw)
    if found is None:
        raise doc.where.missing(what, "is not in the page's script")
    try:
        value, _ = json.JSONDecoder().raw_decode(doc.raw, found.end(1))
    except ValueError:
        raise doc.where.missing(
            what, "is not a JSON array in the page's script"
        ) from None
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise doc.where.missing(what, "is not a list of rows")
    return value


def rows(doc: Document, grid: Grid) -> list[Row]:
    """The grid's rows as the page sent them."""
    return script_array(doc, grid.rows_regex, "affiliation grid rows")


def _value(doc: Document, row: Row, key: str, kind: type) -> object:
    value = row.get(key)
    # bool is an int in Python; JSON true is never a school number.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise FormMapError(
            page=doc.page,
            field=f"grid key {key!r}",
            flavor=doc.where.flavor,
            detail=f"holds {value!r} where a {kind.__name__} belongs",
        )
    return value


def _school(doc: Document, row: Row, grid: Grid) -> int:
    value = _value(doc, row, grid.keys.school, int)
    assert isinstance(value, int)
    return value


def school_names(doc: Document, grid: Grid) -> dict[int, str]:
    """Every school the grid and its Add dialog know: number -> name."""
    listed = [*rows(doc, grid), *script_array(doc, grid.others_regex, "schools list")]
    return {
        _school(doc, row, grid): str(_value(doc, row, grid.keys.name, str))
        for row in listed
    }


def affiliations(doc: Document, grid: Grid, home: int) -> list[Affiliation]:
    """The grid's rows as affiliations; ``home`` is the home school's number."""
    types = {code: name for name, code in grid.staff_types.items()}
    out = []
    for row in rows(doc, grid):
        school = _school(doc, row, grid)
        code = _value(doc, row, grid.keys.staff_type, int)
        kind = types.get(code)  # type: ignore[call-overload]
        if kind is None:
            raise doc.where.missing(
                f"grid key {grid.keys.staff_type!r}", f"holds unknown type {code!r}"
            )
        active = _value(doc, row, grid.keys.active, bool)
        out.append(
            Affiliation.model_validate(
                {
                    "school": school,
                    "home": school == home,
                    "active": active,
                    "staff_type": kind,
                }
            )
        )
    return out


def serialized(doc: Document, grid: Grid, wanted: tuple[Affiliation, ...]) -> str:
    """The JSON to post: the page's rows with ``wanted``'s values, new rows added."""
    keys = grid.keys
    by_school = {_school(doc, row, grid): dict(row) for row in rows(doc, grid)}
    for aff in wanted:
        row = by_school.setdefault(aff.school, {keys.school: aff.school})
        row[keys.home] = aff.home
        row[keys.active] = aff.active
        row[keys.staff_type] = grid.staff_types[aff.staff_type]
    return json.dumps([by_school[school] for school in sorted(by_school)])
