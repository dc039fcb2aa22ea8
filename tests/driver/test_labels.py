"""Controls are found by their visible label, however HTML attaches it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import html as lxml_html

from psconfig.drivers.portal.forms import bind, labels
from psconfig.drivers.portal.forms.controls import Form
from psconfig.drivers.portal.forms.document import Document, _Labels
from psconfig.drivers.portal.pagemap.map_parts import FieldMap
from psconfig.errors import FormMapError
from psconfig.sim import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME, SimApp, SimState
from tests.sim.browser import Browser

LEVEL = FieldMap(
    label="Access Level",
    kind="choice",
    texts={"no_access": "No Access", "view_only": "View Only"},
)
_OPTIONS = (
    '<option value="a">No Access</option><option value="b" selected>View Only</option>'
)
_SELECT = f'<select name="lvl" id="lvl">{_OPTIONS}</select>'
_RADIOS = (
    '<label><input type="radio" name="lvl" value="a"> No Access</label>'
    '<label><input type="radio" name="lvl" value="b" checked> View Only</label>'
)

ATTACHED = {
    "cell": f"<table><tr><td>Access Level:</td><td>{_SELECT}</td></tr></table>",
    "th": f"<table><tr><th>Access  level</th><td>{_SELECT}</td></tr></table>",
    "label for": f'<label for="lvl">Access Level</label> {_SELECT}',
    "wrapping": f"<label>Access Level {_SELECT}</label>",
    "aria-label": _SELECT.replace('id="lvl"', 'aria-label="Access Level *"'),
    "aria-labelledby": '<span id="t">Access Level</span>'
    + _SELECT.replace('id="lvl"', 'aria-labelledby="t"'),
    "legend": f"<fieldset><legend>Access Level</legend>{_SELECT}</fieldset>",
    "radios in a legend": f"<fieldset><legend>Access Level</legend>{_RADIOS}"
    "</fieldset>",
    "radios in a row": f"<table><tr><td>Access Level</td><td>{_RADIOS}</td>"
    "</tr></table>",
    "radios in a group": f'<div role="group" aria-label="Access Level">{_RADIOS}</div>',
}


def form_of(body: str) -> Form:
    doc = Document(
        f"<html><body><form id='f'>{body}</form></body></html>",
        page="/p.html",
        flavor="modern",
    )
    return doc.form("f")


@pytest.mark.parametrize("body", ATTACHED.values(), ids=ATTACHED.keys())
def test_every_label_attachment_binds_and_options_go_by_text(body: str) -> None:
    form = form_of(body)
    assert bind.CHOICE.read(form, LEVEL, {}) == "view_only"
    bind.CHOICE.write(form, LEVEL, {}, "no_access")
    assert ("lvl", "a") in form.pairs()


def test_a_decoy_with_a_longer_label_is_not_the_field_and_is_named() -> None:
    decoy = ATTACHED["cell"].replace("Access Level:", "Access Level (PowerTeacher)")
    with pytest.raises(FormMapError) as caught:
        bind.CHOICE.read(form_of(decoy), LEVEL, {})
    assert (caught.value.page, caught.value.field) == ("/p.html", "Access Level")
    assert "labels no control" in str(caught.value)
    assert "'access level (powerteacher)' (lvl)" in str(caught.value)


def test_two_controls_with_one_label_fail_closed_naming_both() -> None:
    other = _SELECT.replace('name="lvl" id="lvl"', 'name="lvl2"')
    body = ATTACHED["wrapping"] + f"<label>Access Level {other}</label>"
    with pytest.raises(
        FormMapError, match=r"labels several controls \['lvl', 'lvl2'\]"
    ):
        bind.CHOICE.read(form_of(body), LEVEL, {})


def test_a_pin_must_agree_with_the_label() -> None:
    pinned = LEVEL.model_copy(update={"name": "accesslevel"})
    with pytest.raises(FormMapError, match=r"is the control 'lvl'.*pins 'accesslevel'"):
        bind.CHOICE.read(form_of(ATTACHED["cell"]), pinned, {})
    agreeing = LEVEL.model_copy(update={"name": "lvl"})
    assert bind.CHOICE.read(form_of(ATTACHED["cell"]), agreeing, {}) == "view_only"


def test_an_option_text_the_map_does_not_know_fails_closed() -> None:
    body = ATTACHED["cell"].replace(">View Only<", ">View Some<")
    with pytest.raises(FormMapError, match="shows option 'view some'"):
        bind.CHOICE.read(form_of(body), LEVEL, {})


def test_a_control_of_another_kind_fails_closed() -> None:
    text = '<table><tr><td>Access Level</td><td><input name="lvl"></td></tr></table>'
    with pytest.raises(FormMapError, match="labelled on a text control"):
        bind.CHOICE.read(form_of(text), LEVEL, {})


def test_rows_are_found_by_their_leading_number() -> None:
    row = FieldMap(row_label=r"^([0-9]+)\s+\S", kind="choice", texts={"x": "View Only"})
    body = "".join(
        f"<tr><td>{n} Group {n}</td><td>{_RADIOS.replace('lvl', f'g{n}')}</td></tr>"
        for n in (11, 12)
    )
    form = form_of(f"<table>{body}</table>")
    assert labels.rows(form, row) == {"11": "g11", "12": "g12"}
    with pytest.raises(FormMapError, match=r"row 13.*not on the page"):
        labels.row_name(form, row, 13)


def test_labelled_text_and_links_are_read_as_shown() -> None:
    doc = Document(
        "<p>Current Number of Security Groups: <span>12</span></p>"
        '<a href="ed.html?p=/x">Modify access privileges  for this page</a>',
        page="/admin/x.html",
        flavor="legacy",
    )
    assert doc.labelled_text("Current Number of Security Groups") == "12"
    assert doc.link("Modify access privileges for this page") == "/admin/ed.html?p=/x"


# -- labels found walking down a form are those found climbing from each control --

_PAGES = (
    "/admin/security/changepageaccesspriv.html",
    "/admin/security/groups/home.html",
    "/admin/security/groups/edit.html?group=12",
    "/admin/security/pageaccess.html?page=/admin/tech/dde/home.html",
    "/admin/faculty/home.html?selectteacher=teachernumber%3D99999&teachersonly=0",
    "/admin/faculty/edit.html?frn=0051",
    "/admin/faculty/security/affiliations.html?frn=0051",
    "/admin/faculty/security/adminaccess.html?frn=0051",
)
_TRICKY = (
    "<label>Outer <form id='f'><input name='a'></form></label>",
    "<form id='f' role='group' aria-label='All'><!-- c --><table><tr><td>Row"
    "</td><td><fieldset><legend>Set</legend><table><tr><th>Inner</th><td>"
    "<input name='b'><label>Box <input type='checkbox' name='c'></label>"
    "</td></tr></table></fieldset></td></tr></table></form>",
    "<form id='f'><div role='radiogroup' aria-labelledby='t'><span id='t'>Pick"
    "</span><td>x</td><input type='radio' name='d'></div></form>",
)


def _both_ways(text: str) -> int:
    """Every control's (own, context): via its form, and climbing from it alone."""
    walked = [
        (c.own, c.context)
        for form in Document(text, page="/p.html", flavor="modern").forms()
        for c in form.controls
    ]
    root = lxml_html.document_fromstring(text)
    labels = _Labels(root)
    climbed = [
        (labels.own(e), labels.context(e))
        for form in root.iter("form")
        for e in form.iter("input", "select", "textarea", "button")
    ]
    assert walked == climbed
    return len(walked)


@pytest.mark.parametrize("text", _TRICKY)
def test_walking_down_a_form_finds_the_labels_climbing_finds(text: str) -> None:
    assert _both_ways(f"<html><body>{text}</body></html>")


@pytest.mark.parametrize("body", ATTACHED.values(), ids=ATTACHED.keys())
def test_walking_down_finds_every_label_attachment(body: str) -> None:
    assert _both_ways(f"<html><body><form id='f'>{body}</form></body></html>")


@pytest.mark.anyio
@pytest.mark.parametrize("variant", [0, 1, 2, 3, 4, 5])
async def test_walking_down_finds_the_simulator_pages_labels(
    sim: SimApp,
    edit_state: Callable[[Callable[[SimState], object]], None],
    variant: int,
) -> None:
    def customize(state: SimState) -> None:
        state.markup_variant = variant
        state.page_toggle = True

    edit_state(customize)
    browser = Browser(sim)
    checked = 0
    try:
        await browser.sign_in(DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
        for path in _PAGES:
            page = await browser.get(path)  # some variants move the editor
            checked += _both_ways(page.text) if page.status_code == 200 else 0
    finally:
        await browser.close()
    assert checked > 50
