"""Markup variants: the same PowerSchool pages written another way.

No public source shows the markup of the security-group pages, the page-permission
toggle and editor, Admin Access and Roles or the DDE forms: only their visible
labels (the Clever guide, PowerSchool's documentation). A client must therefore
find those controls as a person does, by label and option text. The state file's
``markup_variant`` (a seed; 0 is the canonical markup) renders every such page
with other control names, form ids and option values, options in another order,
each field's label attached another way HTML allows (a table cell before it,
``label for``, a wrapping label, ``aria-label``, ``aria-labelledby``, a fieldset
legend), radios where a select was, decoy controls with similar labels ("Access
Level (PowerTeacher)") and the page-access editor at another address.

Everything is derived from the seed alone, so a page renders the same way on every
request and a POST is read back with the same names and values. Names and values
a public source confirms (``filenum``, ``searchselectall``, ``tt``, ...) never
vary. Written from the guide and the documentation's labels, never from a
client's form map.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from psconfig.sim.html import AttrValue, Markup, el
from psconfig.sim.runtime import Ctx

T = TypeVar("T")

Style = Literal["cell", "for", "wrap", "aria", "labelledby", "legend"]
_SINGLE: tuple[Style, ...] = ("cell", "for", "wrap", "aria", "labelledby", "legend")
_GROUP: tuple[Style, ...] = ("cell", "legend", "aria", "labelledby")
"""Ways to label a group of radios or boxes (each box has its own label)."""

EDITORS = (
    ("/admin/security/pageaccess.html", "page"),
    ("/admin/security/pageprivileges.html", "path"),
    ("/admin/tech/pageaccesspriv.html", "p"),
)
"""Addresses of the page-access editor and the query key naming the page."""

Control = Callable[[dict[str, AttrValue]], Markup]
"""Builds a control with extra attributes (``id``, ``aria-label``)."""


def _digest(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


@dataclass(frozen=True)
class Variant:
    """One seed's way of writing the UNKNOWN pages (``seed`` 0: canonical)."""

    seed: int
    absent: frozenset[str] = frozenset()
    """Fields left off the page with their labels (the ``absent_controls`` fault)."""

    @property
    def canonical(self) -> bool:
        return self.seed == 0

    def _rng(self, *key: object) -> random.Random:
        return random.Random(_digest(self.seed, *key))

    def name(self, canonical: str) -> str:
        """The control name (or form id) standing for ``canonical``."""
        if self.canonical:
            return canonical
        return f"f{_digest(self.seed, 'name', canonical)[:7]}"

    def ident(self, canonical: str) -> str:
        """An element id for the control ``canonical`` (label targets)."""
        return f"{self.name(canonical)}_id"

    def options(
        self, key: str, options: Sequence[tuple[str, str, T]]
    ) -> tuple[tuple[str, str, T], ...]:
        """An option table with other values, in another order, for field ``key``."""
        if self.canonical:
            return tuple(options)
        rng = self._rng("options", key)
        out = [
            (f"{_digest(self.seed, key, value)[:5]}", label, state)
            for value, label, state in options
        ]
        if rng.random() < 0.7:
            rng.shuffle(out)
        return tuple(out)

    def style(self, key: str, *, group: bool = False) -> Style:
        """How field ``key``'s label is attached."""
        if self.canonical:
            return "cell"
        choices = _GROUP if group else _SINGLE
        return choices[self._rng("style", key).randrange(len(choices))]

    def radios(self, key: str) -> bool:
        """True when choice ``key`` is rendered as radios instead of a select."""
        return not self.canonical and self._rng("radios", key).random() < 0.5

    def decoy(self, key: str) -> bool:
        """True when a decoy with a similar label sits beside field ``key``."""
        return not self.canonical and self._rng("decoy", key).random() < 0.5

    @property
    def editor(self) -> tuple[str, str]:
        """The page-access editor's path and its page query key."""
        if self.canonical:
            return EDITORS[0]
        return EDITORS[self._rng("editor").randrange(len(EDITORS))]

    # -- rendering ---------------------------------------------------------------

    def field(
        self, key: str, label: str, control: Control, *, group: bool = False
    ) -> Markup:
        """One labelled field as a block (a table row in the canonical markup).

        ``group`` marks a group of radios or boxes, which is labelled as a whole.
        """
        if key in self.absent:
            return Markup("")
        style = self.style(key, group=group)
        ident = self.ident(key)
        if style == "cell":
            row = el("tr", {}, el("td", {}, label), el("td", {}, control({})))
            return row if self.canonical else el("table", {"class": "f"}, row)
        if style == "for":
            target = control({"id": ident})
            tag = el("label", {"for": ident}, label)
            return el("div", {"class": "f"}, tag, " ", target)
        if style == "wrap":
            return el("div", {"class": "f"}, el("label", {}, label, " ", control({})))
        if style == "aria":
            if group:
                attrs: dict[str, AttrValue] = {"role": "group", "aria-label": label}
                return el("div", attrs, control({}))
            return el("div", {"class": "f"}, control({"aria-label": label}))
        if style == "labelledby":
            span = el("span", {"id": f"{ident}_l"}, label)
            if group:
                attrs = {"role": "group", "aria-labelledby": f"{ident}_l"}
                return el("div", {"class": "f"}, span, el("div", attrs, control({})))
            return el(
                "div", {"class": "f"}, span, control({"aria-labelledby": f"{ident}_l"})
            )
        return el("fieldset", {}, el("legend", {}, label), control({}))

    def block(self, *fields: Markup) -> Markup:
        """Fields made by ``field``: a table in the canonical markup."""
        if self.canonical:
            return el("table", {}, fields)
        return el("div", {"class": "fields"}, fields)


def select_control(
    name: str, options: Sequence[tuple[str, str]], selected: str | None
) -> Control:
    """A select whose extra attributes are added when it is placed."""

    def build(attrs: dict[str, AttrValue]) -> Markup:
        return el(
            "select",
            {"name": name, **attrs},
            [
                el("option", {"value": v, "selected": v == selected}, label)
                for v, label in options
            ],
        )

    return build


def radio_control(
    name: str, options: Sequence[tuple[str, str]], selected: str | None
) -> Control:
    """A radio group, each radio in its own label.

    Extra attributes are ignored: a group is labelled by its container.
    """

    def build(attrs: dict[str, AttrValue]) -> Markup:
        del attrs
        return Markup(
            "".join(
                el(
                    "label",
                    {},
                    el(
                        "input",
                        {
                            "type": "radio",
                            "name": name,
                            "value": v,
                            "checked": v == selected,
                        },
                    ),
                    " ",
                    label,
                )
                for v, label in options
            )
        )

    return build


def input_control(kind: str, name: str, value: str, **more: AttrValue) -> Control:
    """An input (text, password, hidden, checkbox) placed with extra attributes."""

    def build(attrs: dict[str, AttrValue]) -> Markup:
        return el(
            "input", {"type": kind, "name": name, "value": value, **more, **attrs}
        )

    return build


def variant(ctx: Ctx) -> Variant:
    """The variant the request's state file asks for (``markup_variant``)."""
    absent = frozenset(ctx.state.faults.absent_controls)
    return Variant(ctx.state.markup_variant, absent)
