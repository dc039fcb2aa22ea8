"""The building blocks of a form map: fields, pages, markers, capture rules.

A ``FieldMap`` is one control (posted name, kind, option table); a page's
``Fields`` table groups them; ``Page`` and ``FormPage`` are a page's URL template and
its form. ``maps`` declares every page of a flavor's map with these. Models are
frozen and closed (``extra="forbid"``), and templates and regexes are checked when a
map loads.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from typing import Annotated, Literal
from urllib.parse import quote

from pydantic import AfterValidator, Field, model_validator

from psconfig.model import Frozen

FieldKind = Literal[
    "text",
    "password",
    "hidden",
    "textarea",
    "select",
    "checkbox",
    "checkboxes",
    "radio",
    "submit",
]

_PLACEHOLDERS = frozenset({"number", "page", "frn", "query", "group", "school"})


def _check_template(template: str) -> str:
    """Reject ``{name}`` placeholders the driver never fills."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    unknown = names - _PLACEHOLDERS
    if unknown:
        raise ValueError(f"unknown placeholder(s) {sorted(unknown)} in {template!r}")
    return template


def _check_regex(pattern: str) -> str:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regex {pattern!r}: {exc}") from exc
    if compiled.groups < 1:
        raise ValueError(f"regex {pattern!r} needs one capturing group")
    return pattern


def _check_path(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"page url {value!r} must be an absolute path")
    return _check_template(value)


Template = Annotated[str, AfterValidator(_check_template)]
"""A control name or text with ``{placeholder}`` parts the driver knows."""
PathTemplate = Annotated[str, AfterValidator(_check_path)]
"""An absolute page path, possibly with ``{placeholder}`` parts."""
Regex = Annotated[str, AfterValidator(_check_regex)]
"""A regular expression with at least one capturing group."""


class FieldMap(Frozen):
    """One form control: its posted name, its kind and its option table.

    ``options`` maps a normalized value (what ``psconfig.model`` uses) to the value
    the portal posts. Empty means the portal's values are used as they are (numbers,
    times, district-defined codes); they are still checked against the page.
    """

    name: Template
    kind: FieldKind
    options: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _options_bijective(self) -> FieldMap:
        if len(set(self.options.values())) != len(self.options):
            raise ValueError(f"field {self.name!r}: two options share a value")
        return self

    def named(self, **params: object) -> str:
        """The control name with row placeholders (``{group}``, ``{school}``) filled."""
        return self.name.format(**params)

    def value_of(self, normalized: str) -> str:
        """The posted value for a normalized one; identity when there is no table."""
        if not self.options:
            return normalized
        return self.options[normalized]

    def normalized_of(self, value: str) -> str | None:
        """The normalized value for a posted one, or None when the table lacks it."""
        if not self.options:
            return value
        for normalized, posted in self.options.items():
            if posted == value:
                return normalized
        return None


class Fields(Frozen):
    """Base of each page's field table; iterable as (key, FieldMap) pairs."""

    def items(self) -> Iterator[tuple[str, FieldMap]]:
        """Every field of this page in declaration order."""
        for key in type(self).model_fields:
            value = getattr(self, key)
            if isinstance(value, FieldMap):
                yield key, value


class Page(Frozen):
    """A page fetched with GET; ``url`` is a path template."""

    url: PathTemplate

    def path(self, **params: str | int) -> str:
        """The page path with its placeholders filled (values URL-quoted)."""
        return self.url.format(
            **{k: quote(str(v), safe="/") for k, v in params.items()}
        )


class FormPage(Page):
    """A page carrying one form, found by its ``id``."""

    form: str
    fields: Fields

    def label(self) -> str:
        """A short page name for reports (the path without its query)."""
        return self.url.split("?", 1)[0]


class Detect(Frozen):
    """Sign-in page markers: all of ``all_of`` present, none of ``none_of``."""

    all_of: tuple[str, ...] = ()
    none_of: tuple[str, ...] = ()

    def matches(self, page_text: str) -> bool:
        return all(m in page_text for m in self.all_of) and not any(
            m in page_text for m in self.none_of
        )


class Markers(Frozen):
    """XPath expressions for the portal's feedback conventions."""

    saved_xpath: str
    alert_xpath: str
    modify_link_xpath: str


class Capture(Frozen):
    """What ``doctor --capture`` keeps and blanks beyond its generic rules.

    ``keep_inputs`` are structural inputs whose values are safe and useful for fixing
    a map (``ac``, ``page``); every other input value is replaced. The text of
    elements matched by ``redact_text_xpaths`` (names, staff IDs) is blanked.
    """

    keep_inputs: frozenset[str]
    redact_text_xpaths: tuple[str, ...]
