"""Sign-in rules on hand-written pages: flavor, version, scheme, outcome."""

from __future__ import annotations

import pytest

from psconfig.drivers.portal import login, pcas
from psconfig.drivers.portal.forms import Document
from psconfig.drivers.portal.maps import load_map
from psconfig.drivers.portal.response import Response
from psconfig.errors import FormMapError, LockedOutError, LoginError
from psconfig.model import Flavor

KEY = "0123456789ABCDEF0123456789ABCDEF"
FORM = f"""<form id="LoginForm" method="post" action="/admin/home.html">
<input type="hidden" name="pstoken" value="tok">
<input type="hidden" name="contextData" value="{KEY}">
<input type="hidden" name="dbpw" value="">
<input type="hidden" name="serviceName" value="PS Administrator">
<input type="text" name="username"><input type="password" name="password">
{{ldap}}</form>"""
FOOTER = '<div id="legal">PowerSchool SIS Version {v} PS Server Uptime: 3 days</div>'
LEGACY = (
    f'<script>var pskey = "{KEY}";'
    "function doPCASLogin() { hex_hmac_md5(); }</script>"
    + FORM
    + FOOTER.format(v="23.10.0.2")
)
MODERN = FORM + FOOTER.format(v="25.3.0.1")


def test_flavor_detected_from_markers() -> None:
    assert login.choose_map(LEGACY, None, page="/admin/pw.html").flavor == "legacy"
    assert login.choose_map(MODERN, None, page="/admin/pw.html").flavor == "modern"
    assert login.choose_map(MODERN, "modern", page="/admin/pw.html").flavor == "modern"


def test_explicit_flavor_contradicting_the_page_is_a_clear_error() -> None:
    with pytest.raises(FormMapError) as caught:
        login.choose_map(MODERN, "legacy", page="/admin/pw.html")
    assert "looks like the modern flavor, not legacy" in str(caught.value)
    with pytest.raises(FormMapError, match="matches no known flavor"):
        login.choose_map("<html>hello</html>", None, page="/admin/pw.html")


def test_version_from_footer() -> None:
    assert login.version_of(LEGACY, load_map("legacy")) == "23.10.0.2"
    assert login.version_of("<p>no footer</p>", load_map("legacy")) == "unknown"


def _filled(page: str, flavor: Flavor, ldap: bool) -> dict[str, str]:
    html = page.replace(
        "{ldap}", '<input type="hidden" name="ldappassword">' if ldap else ""
    )
    doc = Document(html, page="/admin/pw.html", flavor=flavor)
    form = doc.form("LoginForm")
    signin = load_map(flavor).signin
    sent = login.fill_signin(form, doc, signin, "admin", "Secret#1")
    assert "Secret#1" in sent
    return dict(form.pairs())


def test_hashed_scheme_follows_the_pcas_recipe_and_echoes_hidden_inputs() -> None:
    posted = _filled(LEGACY, "legacy", ldap=True)
    assert posted["password"] == pcas.hashed_password(KEY, "Secret#1")
    assert posted["dbpw"] == pcas.hashed_dbpw(KEY, "Secret#1")
    assert posted["ldappassword"] == "Secret#1"  # only because the field exists
    assert posted["pstoken"] == "tok" and posted["serviceName"] == "PS Administrator"
    assert "ldappassword" not in _filled(LEGACY, "legacy", ldap=False)


def test_plain_scheme_sends_the_password_as_typed() -> None:
    posted = _filled(MODERN, "modern", ldap=False)
    assert posted["password"] == "Secret#1" and posted["dbpw"] == ""


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
