"""A form's controls, and what a browser posts from them (no HTML parsing here).

``document.Document`` builds a ``Form`` from a page: every control the server sent
(hidden ones included) with its current value, which the driver changes field by
field and turns back into the pairs a browser would post (``pairs``): unchecked
checkboxes and radios are absent, a select posts its selected option (or its first
one), only the clicked submit button is sent, disabled controls never are.

A lookup that misses raises ``FormMapError`` naming the page, the field and the
flavor, so the driver fails closed before it posts anything.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from psconfig.errors import FormMapError

TEXTUAL = frozenset(
    {"text", "hidden", "password", "textarea", "email", "search", "tel", "url"}
    | {"number", "date", "time", "datetime-local", "month", "week", "color", "range"}
)
"""Control kinds that hold typed text (what a capture redacts, what ``set`` fills)."""
_NEVER_POSTED = frozenset({"file", "reset", "button", "image"})
_BUTTONS = frozenset({"submit"})


SPACES = re.compile(r"\s+")
"""Runs of whitespace (a label's or a cell's text is compared collapsed)."""
_TRAILER = re.compile(r"\s*(?::|\*|\[\?\])\s*$")


@functools.lru_cache(maxsize=4096)
def normalize_label(text: str) -> str:
    """A visible label as compared: spaces collapsed, case folded.

    A trailing ``:``, ``*`` or ``[?]`` is dropped, so "Allowed IPs [?]:" is
    "allowed ips". Remembered: a plan compares the same few hundred labels and
    option texts hundreds of times.
    """
    out = SPACES.sub(" ", text).strip()
    while True:
        trimmed = _TRAILER.sub("", out)
        if trimmed == out:
            return out.casefold()
        out = trimmed


@dataclass(frozen=True)
class Where:
    """The page a lookup happens on, for error messages."""

    page: str
    flavor: str

    def missing(self, field_name: str, detail: str = "is missing") -> FormMapError:
        return FormMapError(
            page=self.page, field=field_name, flavor=self.flavor, detail=detail
        )


@dataclass
class Option:
    value: str
    label: str
    selected: bool


@dataclass
class Control:
    """One form control. ``kind`` is the input type, ``select`` or ``textarea``.

    ``own`` is the control's own visible label, normalized (``label for``, a
    wrapping label, ``aria-label``, ``aria-labelledby``): for a radio or a checkbox
    of a group, the text of that one choice. ``context`` holds the labels of the
    place it sits in (the cell before it in a table row, its fieldset's legend, a
    labelled ``role=group``), normalized.
    """

    name: str
    kind: str
    value: str = ""
    checked: bool = False
    options: list[Option] = field(default_factory=list)
    multiple: bool = False
    disabled: bool = False
    labeller: Callable[[], tuple[str, tuple[str, ...]]] | None = field(
        default=None, repr=False, compare=False
    )
    """Finds ``own`` and ``context`` on first use (most pages never ask)."""
    _found: tuple[str, tuple[str, ...]] | None = field(
        default=None, repr=False, compare=False
    )

    def _labels(self) -> tuple[str, tuple[str, ...]]:
        if self._found is None:
            self._found = self.labeller() if self.labeller else ("", ())
        return self._found

    @property
    def own(self) -> str:
        return self._labels()[0]

    @property
    def context(self) -> tuple[str, ...]:
        return self._labels()[1]


class Form:
    """A form's controls in document order, with browser submission semantics."""

    def __init__(
        self,
        form_id: str,
        action: str,
        method: str,
        controls: list[Control],
        where: Where,
    ) -> None:
        self.id, self.action, self.method = form_id, action, method
        self.controls = controls
        self.where = where
        self.bound: dict[tuple[object, ...], object] = {}
        """What ``labels`` found on this form, by label (labels do not change)."""

    # -- reading ---------------------------------------------------------------

    def has(self, name: str) -> bool:
        return any(c.name == name for c in self.controls)

    def named(self, name: str) -> list[Control]:
        """The controls called ``name``; a FormMapError when there are none."""
        found = [c for c in self.controls if c.name == name]
        if not found:
            raise self.where.missing(name)
        return found

    def kind(self, name: str) -> str:
        """``checkboxes`` for a group of same-named checkboxes, else the kind."""
        found = self.named(name)
        kinds = {c.kind for c in found}
        if kinds == {"checkbox"} and len(found) > 1:
            return "checkboxes"
        return kinds.pop() if len(kinds) == 1 else "mixed"

    def value(self, name: str) -> str:
        """What the control holds now: text, the selected option, the checked radio.

        A single checkbox gives its value when checked and ``""`` when not.
        """
        found = self.named(name)
        first = found[0]
        if first.kind == "select":
            chosen = [o for o in first.options if o.selected] or first.options[:1]
            return chosen[0].value if chosen else ""
        if first.kind in ("radio", "checkbox"):
            checked = [c.value for c in found if c.checked]
            return checked[0] if checked else ""
        return first.value

    def checked_values(self, name: str) -> list[str]:
        """The values of the checked boxes (or radio) called ``name``."""
        return [c.value for c in self.named(name) if c.checked]

    def is_checked(self, name: str) -> bool:
        return any(c.checked for c in self.named(name))

    def choices(self, name: str) -> list[str]:
        """The values the control accepts: select options, radio or box values."""
        found = self.named(name)
        if found[0].kind == "select":
            return [o.value for o in found[0].options]
        return [c.value for c in found]

    def texts(self, name: str) -> dict[str, str]:
        """Value -> visible text of each choice: select options, radios or boxes.

        The text of a radio or a box is its own label; texts are normalized.
        """
        found = self.named(name)
        if found[0].kind == "select":
            return {o.value: normalize_label(o.label) for o in found[0].options}
        return {c.value: c.own for c in found}

    # -- changing --------------------------------------------------------------

    def set(self, name: str, value: str) -> None:
        """Set text, select an option or check a radio; unknown options fail closed."""
        found = self.named(name)
        first = found[0]
        if first.kind == "select":
            if value not in {o.value for o in first.options}:
                raise self.where.missing(name, f"has no option {value!r}")
            for option in first.options:
                option.selected = option.value == value
        elif first.kind == "radio":
            if value not in {c.value for c in found}:
                raise self.where.missing(name, f"has no choice {value!r}")
            for control in found:
                control.checked = control.value == value
        elif first.kind in TEXTUAL:
            first.value = value
        else:
            raise self.where.missing(name, f"is a {first.kind}, not a value field")

    def set_checked(self, name: str, on: bool) -> None:
        """Check or uncheck a single checkbox."""
        found = self.named(name)
        if found[0].kind != "checkbox":
            raise self.where.missing(name, f"is a {found[0].kind}, not a checkbox")
        for control in found:
            control.checked = on

    def set_checked_values(self, name: str, values: Iterable[str]) -> None:
        """Check exactly the boxes with ``values``; an unknown value fails closed."""
        wanted = set(values)
        found = self.named(name)
        unknown = wanted - {c.value for c in found}
        if unknown:
            raise self.where.missing(name, f"has no box for {sorted(unknown)}")
        for control in found:
            control.checked = control.value in wanted

    # -- submitting ------------------------------------------------------------

    def pairs(self, submit: str | None = None) -> list[tuple[str, str]]:
        """The (name, value) pairs a browser posts, clicking button ``submit``.

        Without ``submit`` the first submit button counts as clicked, which is what
        a browser does when the user presses Enter in the form; ``""`` clicks none
        (a script submitting the form, as a list that reloads its page does).
        """
        if submit:
            self.named(submit)
        out: list[tuple[str, str]] = []
        clicked = submit
        for control in self.controls:
            if control.disabled or not control.name or control.kind in _NEVER_POSTED:
                continue
            if control.kind in _BUTTONS:
                if clicked is None:
                    clicked = control.name
                if control.name == clicked:
                    out.append((control.name, control.value))
                    clicked = ""  # only one button is ever clicked
                continue
            out.extend(_posted(control))
        return out


def _posted(control: Control) -> Iterator[tuple[str, str]]:
    if control.kind in ("checkbox", "radio"):
        if control.checked:
            yield control.name, control.value
    elif control.kind == "select":
        chosen = [o for o in control.options if o.selected]
        if not chosen and not control.multiple:
            chosen = control.options[:1]
        for option in chosen:
            yield control.name, option.value
    else:
        yield control.name, control.value
