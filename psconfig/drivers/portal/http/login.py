"""Sign-in rules, as pure functions of pages: scheme, flavor, version and outcome.

The scheme is read from what real admin sign-in pages carry (research rows 6, 7,
11, 12): a page that hashes has ``var pskey = "HEX"`` in a script AND loads a
script whose src ends in ``md5.js`` (the hashing functions live there, never
inline); a plain page has neither, and no hidden key field either. Anything else
(one marker without the other, no sign-in form) is refused before any password is
posted, because each wrong guess counts toward PowerSchool's lockout; the spec's
``server.sign_in: pcas | plain`` settles it, and a pin the page contradicts is
refused too. The hashed post is the public admin client's (bscpm.js):
``username``, ``password`` = ``hex_hmac_md5(pskey, b64_md5(pw))``,
``ldappassword`` (plain) when the page has it, ``pstoken`` and the page's other
hidden inputs as sent.

With ``auto`` flavor, a hashing page is the legacy flavor and a plain one modern.

The outcome: a redirect anywhere but back to the sign-in page is success; otherwise
the page's feedback text decides between lockout, a sign-in window/location refusal
and wrong credentials. The caller never retries a refused sign-in: PowerSchool
disables the client IP after a few failures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from psconfig.drivers.portal.forms.controls import Form
from psconfig.drivers.portal.forms.document import Document
from psconfig.drivers.portal.http import pcas
from psconfig.drivers.portal.http.response import Response
from psconfig.drivers.portal.pagemap.maps import FLAVORS, PortalMap, Signin, load_map
from psconfig.errors import (
    FormMapError,
    LockedOutError,
    LoginError,
    ServerError,
    SignInSchemeError,
)
from psconfig.model import Flavor, SignInScheme

_NOT_RETRIED = "psconfig does not retry a refused sign-in"
_PSKEY_SEEN = re.compile(r"\bvar\s+pskey\b")
_SETTLE = "set server.sign_in: pcas or plain in the spec to say which it uses"

Scheme = Literal["pcas", "plain"]


@dataclass(frozen=True)
class SchemeMarkers:
    """What a sign-in page shows about hashing.

    ``pskey``: the hex key of ``var pskey = "HEX"`` ("" when absent or not hex);
    ``pskey_seen``: ``var pskey`` appears at all; ``md5_script``: a script's src
    ends in ``md5.js``; ``hidden_key``: the value of the map's hidden key field.
    """

    pskey: str
    pskey_seen: bool
    md5_script: bool
    hidden_key: str

    @property
    def hashing(self) -> bool:
        """Both markers of a hashing page, the key readable."""
        return bool(self.pskey) and self.md5_script

    @property
    def plain(self) -> bool:
        """No hashing marker at all."""
        return not (self.pskey_seen or self.md5_script or self.hidden_key)

    @property
    def key(self) -> str:
        """The key to hash with: the script's ``pskey``, else the hidden key."""
        return self.pskey or self.hidden_key

    def describe(self) -> str:
        """What was seen, for a one-line error."""
        seen = []
        if self.pskey_seen:
            seen.append("var pskey" if self.pskey else "var pskey without a hex key")
        seen.append("an md5.js script" if self.md5_script else "no md5.js script")
        if self.hidden_key:
            seen.append("a hidden key field")
        return ", ".join(seen)


def candidate_maps(choice: Flavor | None) -> list[PortalMap]:
    """The maps to consider: the chosen flavor, or every flavor for ``auto``."""
    return [load_map(choice)] if choice else [load_map(f) for f in FLAVORS]


def signin_path(choice: Flavor | None) -> str:
    """The sign-in page to fetch first (every bundled map agrees on it)."""
    return candidate_maps(choice)[0].signin.url


def signin_form(doc: Document, signin: Signin) -> Form:
    """The sign-in form: the map's id, else the one form with both credentials.

    The admin form's id is not public (research row 3); its field names are.
    No such form is a refusal: nothing is posted.
    """
    found = doc.find_form(signin.form)
    if found is not None:
        return found
    names = (signin.fields.username.name, signin.fields.password.name)
    for form in doc.forms():
        if all(form.has(name) for name in names):
            return form
    raise SignInSchemeError(
        f"{doc.page}: no sign-in form with fields {names[0]!r} and {names[1]!r}; "
        "psconfig posted no password"
    )


def read_markers(doc: Document, form: Form, signin: Signin) -> SchemeMarkers:
    """The hashing markers ``doc`` carries."""
    found = re.search(signin.key_script_regex, doc.raw)
    sources = doc.texts("//script/@src")
    key_name = signin.optional_fields.key.name
    return SchemeMarkers(
        pskey=found.group(1) if found else "",
        pskey_seen=_PSKEY_SEEN.search(doc.raw) is not None,
        md5_script=any(urlsplit(s).path.endswith("md5.js") for s in sources),
        hidden_key=form.value(key_name) if form.has(key_name) else "",
    )


def decide_scheme(seen: SchemeMarkers, pin: SignInScheme, *, page: str) -> Scheme:
    """``pcas`` or ``plain`` for a page showing ``seen``; refuses when unclear.

    ``pin`` (the spec's ``server.sign_in``) settles a page whose markers disagree,
    but a page that clearly shows the other scheme refuses the pin.
    """
    refused = f"{page}: sign-in refused before posting any password"
    if pin == "pcas":
        if seen.key:
            return "pcas"
        raise SignInSchemeError(
            f"{refused}: server.sign_in is pcas but the page shows {seen.describe()} "
            "(no key to hash with); check the server and the spec"
        )
    if pin == "plain":
        if not seen.hashing:
            return "plain"
        raise SignInSchemeError(
            f"{refused}: server.sign_in is plain but the page hashes "
            f"({seen.describe()}); check the server and the spec"
        )
    if seen.hashing:
        return "pcas"
    if seen.plain:
        return "plain"
    raise SignInSchemeError(
        f"{refused}: its hashing markers disagree ({seen.describe()}), and a wrong "
        f"guess counts toward PowerSchool's lockout; {_SETTLE}"
    )


def choose_map(
    doc: Document, choice: Flavor | None, pin: SignInScheme = "auto"
) -> PortalMap:
    """The map for the sign-in page ``doc``: the chosen flavor, or by its scheme.

    The scheme is decided first, so an unclear page refuses here, before any post.
    A chosen flavor whose scheme the page contradicts is refused too, unless
    ``server.sign_in`` pins the scheme (then the pin and the flavor are the
    district's word).
    """
    signin = candidate_maps(choice)[0].signin
    seen = read_markers(doc, signin_form(doc, signin), signin)
    scheme = decide_scheme(seen, pin, page=doc.page)
    looks_like: Flavor = "legacy" if scheme == "pcas" else "modern"
    if choice is not None and choice != looks_like and pin == "auto":
        raise FormMapError(
            page=doc.page,
            field="sign-in scheme",
            flavor=choice,
            detail=f"looks like the {looks_like} flavor, not {choice}",
        )
    return load_map(choice or looks_like)


def version_of(text: str, portal_map: PortalMap) -> str:
    """The PowerSchool version from the sign-in page footer, or ``unknown``."""
    found = re.search(portal_map.version_regex, text)
    return found.group(1) if found else "unknown"


def fill_signin(
    form: Form,
    doc: Document,
    signin: Signin,
    credentials: tuple[str, str],
    pin: SignInScheme = "auto",
) -> set[str]:
    """Fill the sign-in form as the page's script would; returns values to redact.

    The scheme is decided again on every page load (a re-login reads a new page).
    """
    username, password = credentials
    fields, optional = signin.fields, signin.optional_fields
    seen = read_markers(doc, form, signin)
    scheme = decide_scheme(seen, pin, page=doc.page)
    form.set(fields.username.name, username)
    sent = {password}
    if scheme == "pcas":
        key = seen.key
        hashed = pcas.hashed_password(key, password)
        form.set(fields.password.name, hashed)
        sent |= {key, hashed}
        if form.has(optional.dbpw.name):
            dbpw = pcas.hashed_dbpw(key, password)
            form.set(optional.dbpw.name, dbpw)
            sent.add(dbpw)
    else:
        form.set(fields.password.name, password)
    # The page's script sends the plain password for LDAP only when the field exists.
    if form.has(optional.ldappassword.name):
        form.set(optional.ldappassword.name, password)
    return sent


def check_signin(answer: Response, portal_map: PortalMap, username: str) -> None:
    """Raise LoginError/LockedOutError unless ``answer`` signed the user in."""
    signin = portal_map.signin
    if answer.is_redirect:
        if not answer.redirects_to(signin.url):
            return
        raise LoginError(
            f"sign-in as {username!r} was sent back to the sign-in page; {_NOT_RETRIED}"
        )
    if answer.status == 429 or answer.status >= 500:
        # Not a verdict on the credentials, but still not retried: the server may
        # have counted the attempt before failing.
        raise ServerError(
            f"sign-in as {username!r}: the server answered HTTP {answer.status}; "
            "psconfig does not retry a sign-in, run it again later",
            status=answer.status,
        )
    doc = Document(answer.text, page=answer.path, flavor=portal_map.flavor)
    if answer.status == 200 and not _has_signin_form(doc, signin):
        return  # some releases answer 200 with the start page
    alert = " ".join(doc.texts(portal_map.markers.alert_xpath)) or (
        f"HTTP {answer.status}, no message"
    )
    raise _refusal(alert, signin, username)


def _has_signin_form(doc: Document, signin: Signin) -> bool:
    try:
        signin_form(doc, signin)
    except SignInSchemeError:
        return False
    return True


def _refusal(alert: str, signin: Signin, username: str) -> LoginError:
    who = f"sign-in as {username!r} refused: {alert}"
    if any(m in alert for m in signin.lockout_markers):
        return LockedOutError(
            f"{who} Ask a PowerSchool administrator to unlock the account and the "
            "IP address (Security > Locked Accounts, Sign In Attempts Restrictions); "
            f"{_NOT_RETRIED}"
        )
    if any(m in alert for m in signin.refused_markers):
        return LoginError(
            f"{who} Check the account's allowed sign-in times and IP addresses; "
            f"{_NOT_RETRIED}"
        )
    return LoginError(f"{who} Check the username and password; {_NOT_RETRIED}")
