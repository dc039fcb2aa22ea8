"""HTML pages, seen the way a browser sees them. The only lxml importer.

A ``Document`` is one fetched page: texts and rows by XPath, and ``Document.form(id)``
gives a ``controls.Form`` holding every control the server sent (hidden ones
included) with its current value. ``redact_html`` scrubs a page for a capture.

Every lookup that can miss raises ``FormMapError`` naming the page, the field and the
flavor, so the driver fails closed before it posts anything.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html

from psconfig.drivers.portal.forms.controls import (
    SPACES,
    TEXTUAL,
    Control,
    Form,
    Option,
    Where,
    normalize_label,
)

FORM_BY_LABEL = "@"
"""A form key starting with this finds the form holding the control labelled so."""
FORM_BY_NAME = "="
"""A form key starting with this finds the form holding the control named so."""
_CONTROLS = ("input", "select", "textarea", "button")
_NOT_LABEL_TEXT = frozenset({"select", "textarea", "option", "script", "style"})
_CELLS = frozenset({"td", "th"})
_GROUP_ROLES = ("group", "radiogroup")
_GIVERS = _CELLS | {"fieldset", "form"}
"""Tags that add to the context of controls inside them (so may ``role=group``)."""


class Row:
    """One table row found by an XPath, keyed by one of its attributes."""

    def __init__(self, key: str, element: lxml_html.HtmlElement) -> None:
        self.key = key
        self._element = element

    def text(self, xpath: str) -> str | None:
        """The stripped text of the first match of a row-relative XPath."""
        return _first_text(_xpath(xpath)(self._element))


class Document:
    """One fetched HTML page."""

    def __init__(self, text: str, *, page: str, flavor: str, status: int = 200) -> None:
        self.raw = text
        self.status = status
        self.where = Where(page=page, flavor=flavor)
        self._root = _parse(text)
        self._label_index: _Labels | None = None
        self._links: list[tuple[str, str]] | None = None

    def _labels(self) -> _Labels:
        if self._label_index is None:
            self._label_index = _Labels(self._root)
        return self._label_index

    @property
    def page(self) -> str:
        return self.where.page

    def contains(self, marker: str) -> bool:
        return marker in self.raw

    def text(self, xpath: str) -> str | None:
        """Stripped text of the first match (element text, attribute or string)."""
        return _first_text(_xpath(xpath)(self._root))

    def texts(self, xpath: str) -> list[str]:
        return [_text_of(item) for item in _as_list(_xpath(xpath)(self._root))]

    def rows(self, xpath: str, key_attr: str) -> list[Row]:
        """Rows matching ``xpath`` that carry ``key_attr``, keyed by its value."""
        out = []
        for item in _as_list(_xpath(xpath)(self._root)):
            if isinstance(item, lxml_html.HtmlElement) and item.get(key_attr):
                out.append(Row(str(item.get(key_attr)), item))
        return out

    def find_form(self, form_id: str | None = None) -> Form | None:
        """The form with ``id`` (or ``name``) ``form_id``, or the first form.

        A ``form_id`` of ``@LABEL`` is the one form holding a control labelled
        LABEL; several such forms are a FormMapError (the page is ambiguous).
        """
        if form_id is not None and form_id.startswith(FORM_BY_LABEL):
            return self._form_by_label(form_id[len(FORM_BY_LABEL) :])
        if form_id is not None and form_id.startswith(FORM_BY_NAME):
            name = form_id[len(FORM_BY_NAME) :]
            return next((f for f in self.forms() if f.has(name)), None)
        for element in self._root.iter("form"):
            if form_id is None or form_id in (element.get("id"), element.get("name")):
                return self._build(element)
        return None

    def forms(self) -> list[Form]:
        """Every form on the page, in document order."""
        return [self._build(element) for element in self._root.iter("form")]

    def form(self, form_id: str) -> Form:
        """The form ``form_id``; a FormMapError when the page lacks it."""
        found = self.find_form(form_id)
        if found is None:
            if form_id.startswith(FORM_BY_LABEL):
                raise self.where.missing(
                    form_id[1:], "labels no control (no form of the page has it)"
                )
            if form_id.startswith(FORM_BY_NAME):
                raise self.where.missing(form_id[1:], "is on no form of the page")
            raise self.where.missing(f"form#{form_id}")
        return found

    def _form_by_label(self, label: str) -> Form | None:
        wanted = normalize_label(label)
        found = [
            form
            for form in self.forms()
            if any(wanted == c.own or wanted in c.context for c in form.controls)
        ]
        if len(found) > 1:
            ids = [f.id or "(no id)" for f in found]
            raise self.where.missing(label, f"labels controls in several forms {ids}")
        return found[0] if found else None

    def links(self) -> list[tuple[str, str]]:
        """(absolute path, visible text) of every link on the page, in order."""
        if self._links is None:  # a page's links are read by several lookups
            self._links = []
            for anchor in self._root.iter("a"):
                href = anchor.get("href")
                if href:
                    text = _SPACES.sub(" ", anchor.text_content()).strip()
                    self._links.append((urljoin(self.page, str(href)), text))
        return list(self._links)

    def link(self, text: str) -> str | None:
        """The href of the one link whose visible text is ``text`` (normalized)."""
        wanted = normalize_label(text)
        hrefs = {
            str(a.get("href"))
            for a in self._root.iter("a")
            if a.get("href") and normalize_label(a.text_content()) == wanted
        }
        if len(hrefs) > 1:
            raise self.where.missing(
                text, f"is the text of several links {sorted(hrefs)}"
            )
        return urljoin(self.page, hrefs.pop()) if hrefs else None

    def table(self, label: str) -> list[dict[str, str]] | None:
        """The rows of the table a visible label introduces, by column heading.

        The label is the table's caption, ``aria-label``, or the heading (or other
        element) right before it. Each row maps its column's heading to what the
        cell shows: a select's chosen option text, else the cell's text. None when
        no table carries the label; every row is returned as it is.
        """
        wanted = normalize_label(label)
        for table in self._root.iter("table"):
            if _table_label(table) == wanted:
                return _table_rows(table)
        return None

    def table_controls(self, label: str) -> list[list[str]] | None:
        """The names of the controls in each row of ``table(label)``, row by row.

        Rows are those ``table`` returns, in the same order (header rows left out).
        """
        wanted = normalize_label(label)
        for table in self._root.iter("table"):
            if _table_label(table) == wanted:
                return [
                    [str(c.get("name")) for c in tr.iter(*_CONTROLS) if c.get("name")]
                    for tr in table.iter("tr")
                    if not _is_head(tr)
                ]
        return None

    def labelled_text(self, label: str) -> str | None:
        """The text a visible label introduces on the page.

        The rest of the label's element ("Current Number of Security Groups: 12"),
        else its next element or table cell.
        """
        wanted = normalize_label(label)
        for element in self._root.iter():
            if not isinstance(element, lxml_html.HtmlElement) or element.tag in (
                "script",
                "style",
            ):
                continue
            head = _SPACES.sub(" ", element.text or "").strip()
            if not normalize_label(head).startswith(wanted):
                continue
            rest = _after_label(head, wanted)
            full = _SPACES.sub(" ", element.text_content()).strip()
            rest = (rest + " " + full[len(head) :]).strip()
            if rest:
                return rest
            sibling = element.getnext()
            if sibling is not None:
                return str(sibling.text_content()).strip()
        return None

    def _build(self, element: lxml_html.HtmlElement) -> Form:
        action = urljoin(self.page, element.get("action") or self.page)
        parts = urlsplit(action)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        method = (element.get("method") or "get").lower()
        controls = [_control(e, self._labels) for e in element.iter(*_CONTROLS)]
        return Form(element.get("id") or "", path, method, controls, self.where)


_SPACES = SPACES


def _after_label(text: str, normalized: str) -> str:
    """``text`` without the label ``normalized`` (and its ``:``) at its start."""
    for end in range(len(text) + 1):
        if normalize_label(text[:end]) == normalized:
            return text[end:].lstrip(" :*").strip()
    return ""


def _label_text(element: lxml_html.HtmlElement) -> str:
    """The visible text of a label, without the controls (option texts) inside."""
    parts = [element.text or ""]
    for child in element:
        if (
            isinstance(child, lxml_html.HtmlElement)
            and child.tag not in _NOT_LABEL_TEXT
        ):
            parts.append(_label_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _table_label(table: lxml_html.HtmlElement) -> str:
    caption = table.find("caption")
    if caption is not None:
        return normalize_label(_label_text(caption))
    if table.get("aria-label"):
        return normalize_label(str(table.get("aria-label")))
    before = table.getprevious()
    return normalize_label(_label_text(before)) if before is not None else ""


def _is_head(tr: lxml_html.HtmlElement) -> bool:
    cells = [c for c in tr if c.tag in _CELLS]
    return bool(cells) and all(c.tag == "th" for c in cells)


def _table_rows(table: lxml_html.HtmlElement) -> list[dict[str, str]]:
    heads: list[str] = []
    rows = []
    for tr in table.iter("tr"):
        cells = [c for c in tr if c.tag in _CELLS]
        if cells and all(c.tag == "th" for c in cells):
            heads = [normalize_label(_label_text(c)) for c in cells]
            continue
        rows.append({h: _cell_value(c) for h, c in zip(heads, cells, strict=False)})
    return rows


def _cell_value(cell: lxml_html.HtmlElement) -> str:
    select = next(cell.iter("select"), None)
    if select is None:
        return _SPACES.sub(" ", _label_text(cell)).strip()
    options = list(select.iter("option"))
    chosen = [o for o in options if o.get("selected") is not None] or options[:1]
    return _SPACES.sub(" ", chosen[0].text_content()).strip() if chosen else ""


def _has_control(element: lxml_html.HtmlElement) -> bool:
    return next(element.iter(*_CONTROLS), None) is not None


Context = tuple[str, ...]
"""Normalized label texts around a control, nearest first (empty ones kept)."""


class _Labels:
    """Finds the labels of controls on one page (see ``Control.own``)."""

    def __init__(self, root: lxml_html.HtmlElement) -> None:
        self._root = root
        self._for: dict[str, str] = {}
        for label in root.iter("label"):
            target = label.get("for")
            if target and target not in self._for:
                self._for[target] = _label_text(label)
        self._ids: dict[str, lxml_html.HtmlElement] | None = None
        # A page's forms are built again for every use; its labels are found once.
        self._found: dict[lxml_html.HtmlElement, tuple[str, tuple[str, ...]]] = {}
        self._walked: set[lxml_html.HtmlElement] = set()

    def labelled(self, element: lxml_html.HtmlElement) -> tuple[str, tuple[str, ...]]:
        """``own`` and ``context`` of ``element``, found once per page.

        The first control of a form asked about labels all the form's controls in
        one walk down the form (``label_form``): finding a control by its label
        looks at every control of its form anyway, and a walk down shares what
        each element gives the controls inside it instead of climbing from each.
        """
        found = self._found.get(element)
        if found is None:
            form = next(element.iterancestors("form"), None)
            if form is not None and form not in self._walked:
                self._walked.add(form)
                self._found.update(self.label_form(form))
                found = self._found.get(element)
        if found is None:
            found = (self.own(element), self.context(element))
            self._found[element] = found
        return found

    def label_form(
        self, form: lxml_html.HtmlElement
    ) -> dict[lxml_html.HtmlElement, tuple[str, tuple[str, ...]]]:
        """``own`` and ``context`` of every control in ``form``, in one walk down.

        The same labels ``own`` and ``context`` find climbing from each control
        (tests hold them equal). Each element passes down the context its
        descendants get before and after a cell, and its nearest label.
        """
        outer = next(form.iterancestors("label"), None)
        above = _label_text(outer) if outer is not None else None
        down: dict[lxml_html.HtmlElement, tuple[Context, Context, str | None]] = {}
        out: dict[lxml_html.HtmlElement, tuple[str, tuple[str, ...]]] = {}
        for element in form.iter():
            tag = element.tag
            if not isinstance(tag, str):
                continue  # comments and processing instructions
            if element is form:
                below: Context = ()
                below_cell: Context = ()
                label = above
            else:
                below, below_cell, label = down[element.getparent()]
                if tag in _CONTROLS:
                    own = self._own(element, label)
                    out[element] = (own, tuple(t for t in below if t))
            if not len(element):
                continue  # nothing inside it (most options, inputs, texts)
            if tag in _GIVERS or element.get("role") in _GROUP_ROLES:
                cell, texts = self._gives(element)
                if cell is not None:
                    below = (cell, *texts, *below_cell)
                else:
                    below = (*texts, *below)
                below_cell = (*texts, *below_cell)
            if tag == "label":
                label = _label_text(element)
            down[element] = (below, below_cell, label)
        return out

    def _gives(self, parent: lxml_html.HtmlElement) -> tuple[str | None, Context]:
        """What ``parent`` adds to the context of controls inside it, normalized.

        Its cell-before text if it is a cell (for the nearest cell only), then its
        legend and its group label.
        """
        tag = parent.tag
        cell = normalize_label(_cell_before(parent)) if tag in _CELLS else None
        texts: list[str] = []
        if tag == "fieldset":
            legend = parent.find("legend")
            if legend is not None:
                texts.append(_label_text(legend))
        if parent.get("role") in _GROUP_ROLES:
            texts.append(self._aria(parent))
        return cell, tuple(normalize_label(t) for t in texts)

    def _by_id(self, ident: str) -> str:
        if self._ids is None:
            self._ids = {str(e.get("id")): e for e in self._root.iter() if e.get("id")}
        found = self._ids.get(ident)
        return _label_text(found) if found is not None else ""

    def _aria(self, element: lxml_html.HtmlElement) -> str:
        refs = (element.get("aria-labelledby") or "").split()
        if refs:
            return " ".join(self._by_id(r) for r in refs)
        return element.get("aria-label") or ""

    def own(self, element: lxml_html.HtmlElement) -> str:
        outer = next(element.iterancestors("label"), None)
        return self._own(element, _label_text(outer) if outer is not None else None)

    def _own(self, element: lxml_html.HtmlElement, wrapping: str | None) -> str:
        """``own``, given the text of the nearest label around ``element``."""
        text = self._aria(element)
        if not text and element.get("id"):
            text = self._for.get(str(element.get("id")), "")
        if not text and wrapping is not None:
            text = wrapping
        return normalize_label(text)

    def context(self, element: lxml_html.HtmlElement) -> tuple[str, ...]:
        found: list[str] = []
        cell_seen = False
        for parent in element.iterancestors():
            tag = parent.tag
            if tag in _CELLS and not cell_seen:
                cell_seen = True
                found.append(_cell_before(parent))
            elif tag == "fieldset":
                legend = parent.find("legend")
                if legend is not None:
                    found.append(_label_text(legend))
            if parent.get("role") in _GROUP_ROLES:
                found.append(self._aria(parent))
            if tag == "form":
                break
        return tuple(t for t in (normalize_label(f) for f in found) if t)


def _cell_before(cell: lxml_html.HtmlElement) -> str:
    """The text of the nearest cell before ``cell`` in its row holding no control."""
    for sibling in cell.itersiblings(preceding=True):
        if sibling.tag in _CELLS and not _has_control(sibling):
            return _label_text(sibling)
    return ""


def _control(element: lxml_html.HtmlElement, labels: Callable[[], _Labels]) -> Control:
    found = _bare_control(element)
    found.labeller = lambda: labels().labelled(element)
    return found


def _option(element: lxml_html.HtmlElement) -> Option:
    label = element.text_content().strip()
    value = element.get("value")
    selected = element.get("selected") is not None
    return Option(
        value=label if value is None else value, label=label, selected=selected
    )


def _bare_control(element: lxml_html.HtmlElement) -> Control:
    tag = element.tag
    name = element.get("name") or ""
    disabled = element.get("disabled") is not None
    if tag == "select":
        options = [_option(o) for o in element.iter("option")]
        multiple = element.get("multiple") is not None
        return Control(
            name, "select", options=options, multiple=multiple, disabled=disabled
        )
    if tag == "textarea":
        text = element.text_content()
        # Browsers drop one newline right after <textarea>; so do we.
        return Control(
            name, "textarea", value=text[1:] if text.startswith("\n") else text
        )
    default = "submit" if tag == "button" else "text"
    kind = (element.get("type") or default).lower()
    checkable = kind in ("checkbox", "radio")
    value = element.get("value")
    return Control(
        name,
        kind,
        value=value if value is not None else ("on" if checkable else ""),
        checked=checkable and element.get("checked") is not None,
        disabled=disabled,
    )


def _as_list(result: object) -> list[object]:
    return list(result) if isinstance(result, list) else [result]


def _text_of(item: object) -> str:
    if isinstance(item, lxml_html.HtmlElement):
        return str(item.text_content()).strip()
    return str(item).strip()


def _first_text(result: object) -> str | None:
    items = _as_list(result)
    return _text_of(items[0]) if items else None


# -- redaction ------------------------------------------------------------------

REDACTED = "REDACTED"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Not after "Version ": PowerSchool versions look like IPv4 addresses (23.10.0.2).
_IPV4 = re.compile(r"(?<!Version )\b(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?\b")
_SCRIPT_TOKEN = re.compile(r"""(["'])[A-Za-z0-9+/=_-]{16,}\1""")
_STRUCTURAL_ATTRS = frozenset(
    {"name", "id", "class", "type", "for", "method", "href", "action", "src", "rel"}
)
_MIN_PERSONAL = 3  # shorter values (staff ID "1") are only blanked where they sit


def personal_values(
    text: str, *, keep_inputs: frozenset[str], text_xpaths: Iterable[str]
) -> set[str]:
    """Values on a page that identify people: input values and named elements' text.

    ``redact_html`` scrubs these everywhere (titles, headings) on every page of a
    capture, not only where they were found.
    """
    root = _parse(text)
    labels = _Labels(root)
    found: set[str] = set()
    for element in root.iter("input", "textarea"):
        kind = (element.get("type") or "text").lower()
        if element.tag == "input" and (kind not in TEXTUAL or kind == "hidden"):
            continue
        if not _kept(element, keep_inputs, labels):
            found.add(element.get("value") or element.text_content() or "")
    for xpath in text_xpaths:
        for item in _as_list(_xpath(xpath)(root)):
            value = _text_of(item)
            found |= {value, *(part.strip() for part in value.split(","))}
    return {v.strip() for v in found if len(v.strip()) >= _MIN_PERSONAL}


def redact_html(
    text: str,
    *,
    keep_inputs: frozenset[str],
    text_xpaths: Iterable[str],
    secrets: Iterable[str],
    personal: Iterable[str] = (),
) -> str:
    """A copy of a page safe to share: no secrets, tokens or personal data.

    - every text-like input and textarea value is replaced, except the structural
      inputs named in ``keep_inputs`` (``ac``, ``page``, ...); password inputs are
      emptied; hidden tokens are replaced like any other value;
    - the text of elements matched by ``text_xpaths`` (names, staff IDs) is replaced;
    - ``personal`` values are replaced in every text node and descriptive attribute;
    - quoted long tokens in scripts (``var pskey = "..."``) are replaced;
    - finally every known secret (passwords, cookies, keys) and anything shaped like
      an email address or an IPv4 address is replaced throughout the text.
    """
    root = _parse(text)
    labels = _Labels(root)
    for element in root.iter("input", "textarea"):
        kept = _kept(element, keep_inputs, labels)
        _redact_control(element, frozenset({element.get("name") or ""} if kept else ()))
    for xpath in text_xpaths:
        for item in _as_list(_xpath(xpath)(root)):
            if isinstance(item, lxml_html.HtmlElement):
                _replace_text(item)
    _scrub_tree(root, sorted(set(personal), key=len, reverse=True))
    for script in root.iter("script"):
        if script.text:
            script.text = _SCRIPT_TOKEN.sub(rf"\1{REDACTED}\1", script.text)
    out = lxml_html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")
    for secret in sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True):
        out = out.replace(secret, REDACTED)
    out = _EMAIL.sub("redacted@example.invalid", out)
    return _IPV4.sub("192.0.2.0", out)


_PARSER = lxml_html.HTMLParser()
# lxml.html's own lookup runs Python code for every element object it makes, to
# give forms and inputs their own classes; nothing here uses those, and the
# element types this module checks for stay the same. (A parser is not for
# concurrent threads: pages are parsed on the event loop's thread.)
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=lxml_html.HtmlElement,
        comment=lxml_html.HtmlComment,
        pi=lxml_html.HtmlProcessingInstruction,
        entity=lxml_html.HtmlEntity,
    )
)


@functools.lru_cache(maxsize=256)
def _xpath(expression: str) -> etree.XPath:
    """``expression`` compiled once: a form map's few XPaths run on every page."""
    return etree.XPath(expression)


def _parse(text: str) -> lxml_html.HtmlElement:
    return lxml_html.document_fromstring(
        text if text.strip() else "<html/>", parser=_PARSER
    )


def _scrub(value: str, personal: list[str]) -> str:
    for item in personal:
        value = value.replace(item, REDACTED)
    return value


def _scrub_tree(root: lxml_html.HtmlElement, personal: list[str]) -> None:
    if not personal:
        return
    for element in root.iter():
        if not isinstance(element, lxml_html.HtmlElement):
            continue  # comments and processing instructions
        if element.text:
            element.text = _scrub(element.text, personal)
        if element.tail:
            element.tail = _scrub(element.tail, personal)
        for attr, value in element.attrib.items():
            if attr not in _STRUCTURAL_ATTRS and not attr.startswith("data-"):
                element.set(attr, _scrub(value, personal))


def _kept(
    element: lxml_html.HtmlElement, keep: frozenset[str], labels: _Labels
) -> bool:
    """True for a structural input: kept by name, or by label (``@LABEL``)."""
    if (element.get("name") or "") in keep:
        return True
    wanted = {normalize_label(k[1:]) for k in keep if k.startswith("@")}
    if not wanted:
        return False
    return bool(wanted & {labels.own(element), *labels.context(element)})


def _redact_control(element: lxml_html.HtmlElement, keep: frozenset[str]) -> None:
    name = element.get("name") or ""
    if element.tag == "textarea":
        if element.text:
            element.text = REDACTED
        return
    kind = (element.get("type") or "text").lower()
    if kind == "password":
        element.set("value", "")
    elif kind in TEXTUAL and name not in keep and element.get("value"):
        element.set("value", REDACTED)


def _replace_text(element: lxml_html.HtmlElement) -> None:
    """Blank every text node under ``element`` but keep its markup (links, ids)."""
    for child in element.iterdescendants():
        child.text = None
        child.tail = None
    element.text = REDACTED
