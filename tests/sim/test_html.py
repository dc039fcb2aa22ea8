"""The simulator's HTML builder escapes through MarkupSafe: no text goes unescaped."""

from __future__ import annotations

import html

from hypothesis import given
from hypothesis import strategies as st
from lxml import html as lxml_html

from psconfig.sim.html import Markup, el, esc, join, text_input

HOSTILE = "</td><script>alert(1)</script>\"' onload=x &amp;"


def test_text_children_and_attribute_values_are_escaped() -> None:
    page = el("td", {"title": HOSTILE}, HOSTILE)
    assert "<script>" not in page
    cell = lxml_html.fragment_fromstring(str(page))
    assert cell.text == HOSTILE
    assert cell.get("title") == HOSTILE


def test_markup_is_kept_and_what_is_added_to_it_is_escaped() -> None:
    kept = join(Markup("<b>bold</b>"), "<i>")
    assert kept == "<b>bold</b>&lt;i&gt;"
    assert Markup("<b>") + "<i>" == "<b>&lt;i&gt;"


@given(st.text())
def test_any_text_round_trips_through_an_input_value(value: str) -> None:
    clean = "".join(c for c in value if c.isprintable() and c not in "\r\x0c")
    field = lxml_html.fragment_fromstring(str(text_input("name", clean)))
    assert field.get("value") == clean


@given(st.text())
def test_escaping_leaves_no_markup_character_and_loses_no_text(value: str) -> None:
    escaped = esc(value)
    assert not set(escaped) & set("<>\"'")
    assert html.unescape(escaped) == value


LEAVES = st.one_of(st.text(), st.integers(), st.booleans(), st.none())
TREES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3), max_leaves=12)


def _leaves(tree: object) -> list[str]:
    if tree is None:
        return []
    if isinstance(tree, list):
        return [text for child in tree for text in _leaves(child)]
    return [str(tree)]


@given(TREES)
def test_nested_children_render_as_their_escaped_leaves_in_order(
    tree: object,
) -> None:
    rendered = str(el("p", {}, tree))
    body = rendered.removeprefix("<p>").removesuffix("</p>")
    assert not set(body) & set("<>\"'")
    assert html.unescape(body) == "".join(_leaves(tree))
