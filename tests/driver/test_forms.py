"""Forms behave like a browser's: what is kept, what is posted, what fails closed."""

from __future__ import annotations

import pytest

from psconfig.drivers.portal.forms.document import REDACTED, Document, redact_html
from psconfig.errors import FormMapError

PAGE = """<html><body>
<form id="f" method="post" action="save.html?x=1">
  <input type="hidden" name="pstoken" value="tok123">
  <input type="hidden" name="ac" value="prim">
  <input type="text" name="name" value="Group 12">
  <input type="password" name="password" value="">
  <select name="level"><option value="0">None</option>
    <option value="1" selected>View</option><option value="2">Full</option></select>
  <select name="first"><option value="a">A</option><option value="b">B</option></select>
  <input type="checkbox" name="single" value="1" checked>
  <label><input type="checkbox" name="many" value="x" checked> X</label>
  <label><input type="checkbox" name="many" value="y"> Y</label>
  <input type="radio" name="pick" value="on">
  <input type="radio" name="pick" value="off" checked>
  <textarea name="ips">
10.0.0.1
10.0.0.2</textarea>
  <input type="text" name="off" value="gone" disabled>
  <input type="button" name="btn" value="noop">
  <input type="submit" name="go" value="Submit">
  <input type="submit" name="other" value="Other">
</form></body></html>"""


def form() -> Document:
    return Document(PAGE, page="/admin/x/edit.html?group=1", flavor="legacy")


def test_reads_values_as_a_browser_shows_them() -> None:
    f = form().form("f")
    assert f.action == "/admin/x/save.html?x=1"
    assert f.value("level") == "1"
    assert f.value("first") == "a"  # no selected option: the first one shows
    assert f.value("pick") == "off"
    assert f.value("single") == "1"
    assert f.checked_values("many") == ["x"]
    assert f.kind("many") == "checkboxes" and f.kind("single") == "checkbox"
    assert f.value("ips") == "10.0.0.1\n10.0.0.2"  # leading newline dropped


def test_pairs_keep_hidden_fields_and_follow_browser_rules() -> None:
    f = form().form("f")
    f.set("name", "Read-Only Export")
    f.set("level", "2")
    f.set_checked("single", False)
    f.set_checked_values("many", ["y"])
    f.set("pick", "on")
    pairs = f.pairs()
    assert ("pstoken", "tok123") in pairs and ("ac", "prim") in pairs
    assert ("name", "Read-Only Export") in pairs
    assert ("level", "2") in pairs and ("first", "a") in pairs
    assert ("many", "y") in pairs and ("many", "x") not in pairs
    assert all(name != "single" for name, _ in pairs)  # unchecked: absent
    assert ("pick", "on") in pairs
    assert all(name not in ("off", "btn", "other") for name, _ in pairs)
    assert ("go", "Submit") in pairs  # the default button counts as clicked
    assert ("other", "Other") in f.pairs("other") and ("go", "Submit") not in f.pairs(
        "other"
    )


@pytest.mark.parametrize(
    ("action", "detail"),
    [
        (lambda f: f.set("level", "9"), "has no option '9'"),
        (lambda f: f.set("pick", "maybe"), "has no choice 'maybe'"),
        (lambda f: f.set_checked_values("many", ["z"]), "has no box for ['z']"),
        (lambda f: f.value("accesslevel"), "is missing"),
        (lambda f: f.set_checked("name", True), "not a checkbox"),
    ],
)
def test_unknown_fields_and_options_fail_closed_naming_page_field_flavor(
    action: object, detail: str
) -> None:
    f = form().form("f")
    with pytest.raises(FormMapError) as caught:
        action(f)  # type: ignore[operator]
    message = str(caught.value)
    assert detail in message
    assert message.startswith("/admin/x/edit.html?group=1: field ")
    assert "(form map: legacy)" in message


def test_missing_form_names_the_form() -> None:
    with pytest.raises(FormMapError, match="form#groupForm"):
        form().form("groupForm")


def test_rows_and_text_extraction() -> None:
    doc = Document(
        '<table id="t"><tr data-group="3"><td class="name">  Reg </td></tr>'
        "<tr><td>no key</td></tr>"
        '<tr data-group="12"><td class="name">X</td></tr></table>'
        '<span id="s" data-school="0">District Office</span>',
        page="/p",
        flavor="modern",
    )
    rows = doc.rows("//table[@id='t']//tr", "data-group")
    assert [(r.key, r.text("./td[@class='name']")) for r in rows] == [
        ("3", "Reg"),
        ("12", "X"),
    ]
    assert doc.text("//span[@id='s']/@data-school") == "0"
    assert doc.text("//span[@id='s']") == "District Office"
    assert doc.text("//nothing") is None


def test_redaction_removes_values_tokens_personal_data_and_secrets() -> None:
    page = (
        '<form><input type="hidden" name="pstoken" value="tok-CANARY-123">'
        '<input type="hidden" name="ac" value="prim">'
        '<input type="text" name="[05]Last_Name" value="Smith">'
        '<input type="password" name="password" value="hunter2">'
        "<textarea name='ipaddrrestrict'>10.1.2.3</textarea></form>"
        '<script>var pskey = "0123456789ABCDEF0123456789ABCDEF";</script>'
        '<h1 id="staffName">Smith, <b>Ann</b></h1><p>ann@example.org from 192.168.4.5'
        " cookie-SECRETVALUE</p>"
    )
    out = redact_html(
        page,
        keep_inputs=frozenset({"ac"}),
        text_xpaths=["//h1[@id='staffName']"],
        secrets=["cookie-SECRETVALUE"],
    )
    for leaked in (
        "tok-CANARY-123",
        "Smith",
        "Ann",
        "hunter2",
        "10.1.2.3",
        "0123456789ABCDEF",
        "ann@example.org",
        "192.168.4.5",
        "SECRETVALUE",
    ):
        assert leaked not in out
    assert 'value="prim"' in out and REDACTED in out
    assert 'id="staffName"' in out  # the structure stays for fixing a map
