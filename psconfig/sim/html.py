"""A tiny HTML builder that escapes everything it is not told is markup.

Escaping is MarkupSafe's (the library behind Jinja2's autoescape; this is the one
module of the simulator that imports it): ``Markup`` is a string known to be safe
HTML, and ``escape`` is the only way plain text becomes HTML. ``el`` builds one
element: attribute values and plain-string children are escaped; ``Markup``
children (anything with ``__html__``) are kept. So a page can only contain markup
that came from ``el`` (or an explicit ``Markup`` literal in this package), never
text from a request or a state file unescaped. ``Markup`` also escapes what is
added to it (``Markup("<b>") + "<i>"``), so concatenation cannot smuggle text in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TypeVar

from markupsafe import Markup, escape

__all__ = ["AttrValue", "Markup", "el", "esc", "join"]

T = TypeVar("T")

AttrValue = str | int | bool | None


# The characters ``escape`` replaces. Most text has none of them, and skipping
# ``escape`` for it (it builds a ``Markup`` per call) halves a page's rendering cost.
_SPECIAL = re.compile("[&<>\"']")


def esc(value: object) -> str:
    """Escape text for an element body or a double-quoted attribute."""
    text = value if type(value) is str else str(value)
    if _SPECIAL.search(text) is None:
        return text
    return str(escape(text))


def _attrs(attrs: dict[str, AttrValue]) -> str:
    parts: list[str] = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        parts.append(f" {name}" if value is True else f' {name}="{esc(value)}"')
    return "".join(parts)


def _render(child: object) -> str:
    parts: list[str] = []
    _render_into(parts, child)
    return "".join(parts)


def _render_into(parts: list[str], child: object) -> None:
    """Append ``child``'s HTML to ``parts`` (one list per element, no generators)."""
    if isinstance(child, Markup):  # the common case first: markup, kept as is
        parts.append(child)
    elif child is None:
        return
    elif hasattr(child, "__html__"):
        parts.append(str(child.__html__()))
    elif isinstance(child, str | int):
        parts.append(esc(child))
    elif isinstance(child, Iterable):
        for item in child:
            _render_into(parts, item)
    else:
        raise TypeError(f"cannot render {type(child).__name__}")


_VOID = frozenset({"input", "br", "meta", "link", "hr"})


def el(
    tag: str, attrs: dict[str, AttrValue] | None = None, *children: object
) -> Markup:
    """``<tag attrs>children</tag>``, attributes and plain-text children escaped.

    An attribute value ``True`` renders bare (``checked``); ``None``/``False`` omit it.
    """
    opening = f"<{tag}{_attrs(attrs or {})}>"
    if tag in _VOID:
        return Markup(opening)
    return Markup(f"{opening}{_render(children)}</{tag}>")


def join(*parts: object) -> Markup:
    """Concatenate children (escaping plain strings) into one ``Markup``."""
    return Markup(_render(parts))


def hidden(name: str, value: str | int) -> Markup:
    """A hidden input."""
    return el("input", {"type": "hidden", "name": name, "value": value})


def text_input(name: str, value: str, **attrs: AttrValue) -> Markup:
    """A text input (``type`` may be overridden, e.g. ``password``)."""
    return el("input", {"type": "text", "name": name, "value": value, **attrs})


def select(
    name: str, options: Sequence[tuple[str, str]], selected: str | None
) -> Markup:
    """A select with ``(value, label)`` options; ``selected`` marks one."""
    return el(
        "select",
        {"name": name},
        [
            el("option", {"value": v, "selected": v == selected}, lab)
            for v, lab in options
        ],
    )


def option_select(name: str, options: Sequence[tuple[str, str, T]], value: T) -> Markup:
    """A select over ``(form value, label, state value)`` options, ``value`` chosen."""
    chosen = next((form for form, _, v in options if v == value), None)
    return select(name, [(form, label) for form, label, _ in options], chosen)


def checkbox(name: str, value: str, checked: bool, label: str | None = None) -> Markup:
    """A checkbox, wrapped in a ``<label>`` with ``label`` text when given."""
    box = el(
        "input", {"type": "checkbox", "name": name, "value": value, "checked": checked}
    )
    return el("label", {}, box, " ", label) if label is not None else box


def radio(name: str, value: str, checked: bool, label: str) -> Markup:
    """A radio button inside a ``<label>``."""
    button = el(
        "input", {"type": "radio", "name": name, "value": value, "checked": checked}
    )
    return el("label", {}, button, " ", label)


def radios(
    name: str, options: Sequence[tuple[str, str]], selected: str | None
) -> Markup:
    """One radio per ``(value, label)`` option."""
    return join(*(radio(name, v, v == selected, lab) for v, lab in options))


def feedback(kind: str, message: str) -> Markup:
    """PowerSchool's feedback box: ``kind`` is ``confirm`` or ``alert``."""
    return el("div", {"class": f"feedback-{kind}"}, message)


def field_row(label: str, *control: object) -> Markup:
    """A two-column form row."""
    return el("tr", {}, el("td", {}, label), el("td", {}, *control))
