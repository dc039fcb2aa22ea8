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
    "choice",
    "submit",
]
"""``choice`` is one of N shown as a select or as a radio group (pages whose markup
no public source shows: the driver accepts either)."""

_PLACEHOLDERS = frozenset({"number", "page", "frn", "query", "group", "school", "id"})


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
    """One form control: how to find it, its kind and its option table.

    A control is found by ``label``, the visible text a person reads beside it
    (``labels.resolve``), or by ``name`` alone where a public source confirms the
    name. With both, ``name`` (empty: none) is a pin: the control the label
    finds must have it.
    ``row_label`` finds one control per table row instead, by a regex over the
    row's label whose group captures the row key ("12 Read-Only Export" -> 12).
    ``nth`` picks among several controls one label introduces, in page order
    ("... from [start] to [end]").

    Option tables: ``texts`` maps a normalized value (what ``psconfig.model``
    uses) to the option's visible text; the driver chooses options by text and
    never guesses a value. ``number_text`` reads a number out of an option text
    ("Read-Only Export (12)"); ``time_text`` reads "05:30 PM" as "17:30".
    ``options`` maps a normalized value to a posted
    value, for names and values a public source confirms. With no table, the
    portal's own values are used as they are, still checked against the page.
    """

    name: Template = ""
    label: str | None = None
    row_label: Regex | None = None
    nth: Annotated[int, Field(ge=0)] | None = None
    kind: FieldKind
    options: dict[str, str] = Field(default_factory=dict)
    texts: dict[str, str] = Field(default_factory=dict)
    number_text: Regex | None = None
    time_text: bool = False

    @model_validator(mode="after")
    def _options_bijective(self) -> FieldMap:
        if not self.name and self.label is None and self.row_label is None:
            raise ValueError("a field needs a label, a row_label or a name")
        if len(set(self.options.values())) != len(self.options):
            raise ValueError(f"field {self.shown()!r}: two options share a value")
        folded = [t.casefold() for t in self.texts.values()]
        if len(set(folded)) != len(folded):
            raise ValueError(f"field {self.shown()!r}: two options share a text")
        return self

    def shown(self, **params: object) -> str:
        """How errors name the field: its label (or row) with its pin, or its name."""
        filled = bool(params) or "{" not in self.name
        name = (self.name.format(**params) if filled else self.name) or None
        if self.label is not None:
            return f"{self.label!r} ({name})" if name else repr(self.label)
        if self.row_label is not None:
            key = next(iter(params.values()), "?")
            return f"row {key}" + (f" ({name})" if name else "")
        return name or "?"

    def named(self, **params: object) -> str:
        """The pinned name with row placeholders filled, or how errors name it."""
        if self.name and self.label is None and self.row_label is None:
            return self.name.format(**params)
        return self.shown(**params)

    @property
    def by_text(self) -> bool:
        """True when options are chosen by their visible text."""
        return bool(self.texts) or self.number_text is not None or self.time_text

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
    """A page carrying one form.

    The form is found by its ``id`` (a pin) or, without one, as the form holding
    the first labelled field ("@LABEL") or the first named one ("=NAME").
    """

    form: str = ""
    fields: Fields

    @model_validator(mode="before")
    @classmethod
    def _form_key(cls, data: object) -> object:
        if not isinstance(data, dict) or data.get("form"):
            return data
        for field in dict(data.get("fields") or {}).values():
            if isinstance(field, dict) and field.get("label"):
                return {**data, "form": f"@{field['label']}"}
        for field in dict(data.get("fields") or {}).values():
            if isinstance(field, dict) and field.get("name"):
                return {**data, "form": f"={field['name']}"}
        return data

    def label(self) -> str:
        """A short page name for reports (the path without its query)."""
        return self.url.split("?", 1)[0]


class Markers(Frozen):
    """XPath expressions for the portal's feedback conventions."""

    saved_xpath: str
    alert_xpath: str
    modify_link_xpath: str


class Capture(Frozen):
    """What ``doctor --capture`` keeps and blanks beyond its generic rules.

    ``keep_inputs`` are structural inputs whose values are safe and useful for fixing
    a map (``ac``, ``page``), by name or, as ``@LABEL``, by their visible label
    (names vary where pages are bound by label); every other input value is
    replaced. The text of
    elements matched by ``redact_text_xpaths`` (names, staff IDs) is blanked.
    """

    keep_inputs: frozenset[str]
    redact_text_xpaths: tuple[str, ...]
