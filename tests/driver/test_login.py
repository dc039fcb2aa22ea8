"""Sign-in rules on hand-written pages: flavor, version, scheme, outcome."""

from __future__ import annotations

import pytest

from psconfig.drivers.portal.forms.document import Document
from psconfig.drivers.portal.http import login, pcas
from psconfig.drivers.portal.http.response import Response
from psconfig.drivers.portal.pagemap.maps import load_map
from psconfig.errors import FormMapError, LockedOutError, LoginError, SignInSchemeError
from psconfig.model import Flavor, SignInScheme

KEY = "0123456789ABCDEF0123456789ABCDEF"
FORM = """<form id="LoginForm" method="post" action="/admin/home.html">
<input type="hidden" name="pstoken" value="tok">
<input type="text" name="username"><input type="password" name="password">
{ldap}</form>"""
FOOTER = '<div id="legal">PowerSchool SIS Version {v} PS Server Uptime: 3 days</div>'
MD5_JS = '<script src="/admin/javascript/md5.js"></script>'
PSKEY = f'<script>var pskey = "{KEY}";</script>'
LEGACY = MD5_JS + PSKEY + FORM + FOOTER.format(v="23.10.0.2")
MODERN = FORM + FOOTER.format(v="25.3.0.1")
PAGE = "/admin/pw.html"


def _doc(html: str) -> Document:
    return Document(html.replace("{ldap}", ""), page=PAGE, flavor="auto")


def test_flavor_follows_the_scheme_unless_chosen() -> None:
    assert login.choose_map(_doc(LEGACY), None).flavor == "legacy"
    assert login.choose_map(_doc(MODERN), None).flavor == "modern"
    assert login.choose_map(_doc(MODERN), "legacy", "plain").flavor == "legacy"


def test_pskey_with_an_external_md5_js_is_hashing() -> None:
    """Real pages never inline hex_hmac_md5 (research row 12): markers decide."""
    doc = _doc(LEGACY)
    assert "hex_hmac_md5" not in doc.raw
    signin = load_map("legacy").signin
    seen = login.read_markers(doc, login.signin_form(doc, signin), signin)
    assert login.decide_scheme(seen, "auto", page=PAGE) == "pcas"
    versioned = LEGACY.replace("md5.js", "md5.js?v=23.10")
    assert login.choose_map(_doc(versioned), None).flavor == "legacy"


CONTRADICTORY = {
    "pskey without md5.js": PSKEY + FORM,
    "md5.js without pskey": MD5_JS + FORM,
    "a non-hex pskey": MD5_JS + "<script>var pskey = 'abc';</script>" + FORM,
    "a hidden key only": FORM.replace(
        "{ldap}", f'<input type="hidden" name="contextData" value="{KEY}">'
    ),
}


@pytest.mark.parametrize("html", CONTRADICTORY.values(), ids=CONTRADICTORY.keys())
def test_contradictory_markers_are_refused_naming_the_setting(html: str) -> None:
    with pytest.raises(SignInSchemeError) as caught:
        login.choose_map(_doc(html), None)
    message = str(caught.value)
    assert message.startswith(f"{PAGE}: sign-in refused before posting any password")
    assert "server.sign_in: pcas or plain" in message and "\n" not in message


def test_a_page_without_a_sign_in_form_is_refused() -> None:
    with pytest.raises(SignInSchemeError, match="no sign-in form"):
        login.choose_map(
            _doc("<html><form id='x'><input name='q'></form></html>"), None
        )


def test_the_pin_settles_a_page_whose_markers_disagree() -> None:
    assert login.choose_map(_doc(PSKEY + FORM), None, "pcas").flavor == "legacy"
    assert login.choose_map(_doc(MD5_JS + FORM), None, "plain").flavor == "modern"
    with pytest.raises(SignInSchemeError, match="no key to hash with"):
        login.choose_map(_doc(MD5_JS + FORM), None, "pcas")


@pytest.mark.parametrize(("html", "pin"), [(LEGACY, "plain"), (MODERN, "pcas")])
def test_a_pin_the_page_contradicts_is_refused(html: str, pin: SignInScheme) -> None:
    with pytest.raises(SignInSchemeError, match=rf"server\.sign_in is {pin} but"):
        login.choose_map(_doc(html), None, pin)


def test_the_form_is_found_by_its_fields_when_its_id_differs() -> None:
    doc = _doc(LEGACY.replace('id="LoginForm"', 'id="loginForm2"'))
    form = login.signin_form(doc, load_map("legacy").signin)
    assert form.has("password") and form.action == "/admin/home.html"


def test_version_from_footer() -> None:
    assert login.version_of(LEGACY, load_map("legacy")) == "23.10.0.2"
    assert login.version_of("<p>no footer</p>", load_map("legacy")) == "unknown"


def _filled(page: str, flavor: Flavor, ldap: bool) -> dict[str, str]:
    html = page.replace(
        "{ldap}", '<input type="hidden" name="ldappassword">' if ldap else ""
    )
    doc = Document(html, page=PAGE, flavor=flavor)
    signin = load_map(flavor).signin
    form = login.signin_form(doc, signin)
    sent = login.fill_signin(form, doc, signin, ("admin", "Secret#1"))
    assert "Secret#1" in sent
    return dict(form.pairs())


def test_hashed_post_is_the_public_admin_clients() -> None:
    posted = _filled(LEGACY, "legacy", ldap=True)
    assert posted == {
        "pstoken": "tok",
        "username": "admin",
        "password": "e8736b240da44be031eb410438872168",  # the notes' test vector
        "ldappassword": "Secret#1",
    }
    assert posted["password"] == pcas.hashed_password(KEY, "Secret#1")
    assert "ldappassword" not in _filled(LEGACY, "legacy", ldap=False)


def test_a_dbpw_field_gets_its_recipe_when_the_page_has_one() -> None:
    page = LEGACY.replace("{ldap}", '<input type="hidden" name="dbpw">')
    posted = _filled(page, "legacy", ldap=False)
    assert posted["dbpw"] == pcas.hashed_dbpw(KEY, "Secret#1")


def test_plain_scheme_sends_the_password_as_typed() -> None:
    posted = _filled(MODERN, "modern", ldap=True)
    assert posted["password"] == "Secret#1" and posted["ldappassword"] == "Secret#1"


def _answer(status: int, text: str = "", location: str | None = None) -> Response:
    return Response("/admin/home.html", status, text, location, "text/html")


def _alert(message: str) -> str:
    return MODERN.replace("{ldap}", "") + f'<div class="feedback-alert">{message}</div>'


def test_redirect_into_the_portal_is_success() -> None:
    login.check_signin(
        _answer(302, location="/admin/home.html"), load_map("modern"), "a"
    )


@pytest.mark.parametrize(
    ("answer", "error", "phrase"),
    [
        (
            _answer(200, _alert("Invalid Username or Password!")),
            LoginError,
            "username and password",
        ),
        (
            _answer(200, _alert("Sign in from this IP address has been disabled.")),
            LockedOutError,
            "unlock",
        ),
        (
            _answer(
                200,
                _alert(
                    "You are not allowed to sign in at this time or from this location."
                ),
            ),
            LoginError,
            "allowed sign-in times",
        ),
        (_answer(302, location="/admin/pw.html"), LoginError, "sent back"),
    ],
)
def test_refusals_are_classified_and_say_they_are_not_retried(
    answer: Response, error: type[LoginError], phrase: str
) -> None:
    with pytest.raises(error) as caught:
        login.check_signin(answer, load_map("modern"), "admin")
    message = str(caught.value)
    assert type(caught.value) is error
    assert phrase in message and "does not retry" in message


def test_a_chosen_flavor_the_page_contradicts_is_refused_unless_pinned() -> None:
    with pytest.raises(FormMapError, match="looks like the modern flavor, not legacy"):
        login.choose_map(_doc(MODERN), "legacy")
    assert login.choose_map(_doc(MODERN), "legacy", "plain").flavor == "legacy"
