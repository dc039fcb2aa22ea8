"""Sign-in rules, as pure functions of pages: flavor, version, scheme and outcome.

The scheme is detected per page load (research notes §1.3): a page that carries a key
(``var pskey = "..."`` in a script, or the hidden ``contextData``) *and* the hashing
code (``hex_hmac_md5``) gets the PCAS recipe from ``pcas``; any other page gets the
plain password, which current PowerSchool releases expect over TLS. Every hidden input
the page sent is echoed (``Form.pairs`` keeps them).

The outcome: a redirect anywhere but back to the sign-in page is success; otherwise
the page's feedback text decides between lockout, a sign-in window/location refusal
and wrong credentials. The caller never retries a refused sign-in: PowerSchool
disables the client IP after a few failures.
"""

from __future__ import annotations

import re

from psconfig.drivers.portal import pcas
from psconfig.drivers.portal.controls import Form
from psconfig.drivers.portal.forms import Document
from psconfig.drivers.portal.maps import FLAVORS, PortalMap, Signin, load_map
from psconfig.drivers.portal.response import Response
from psconfig.errors import FormMapError, LockedOutError, LoginError, ServerError
from psconfig.model import Flavor

_NOT_RETRIED = "psconfig does not retry a refused sign-in"


def candidate_maps(choice: Flavor | None) -> list[PortalMap]:
    """The maps to consider: the chosen flavor, or every flavor for ``auto``."""
    return [load_map(choice)] if choice else [load_map(f) for f in FLAVORS]


def signin_path(choice: Flavor | None) -> str:
    """The sign-in page to fetch first (every bundled map agrees on it)."""
    return candidate_maps(choice)[0].signin.url


def choose_map(text: str, choice: Flavor | None, *, page: str) -> PortalMap:
    """The map whose detection markers match the sign-in page.

    With an explicit ``choice`` the page must match that flavor; a page that looks
    like another flavor (or none) is a FormMapError, never a silent guess.
    """
    matching = [m for m in candidate_maps(None) if m.detect.matches(text)]
    names = [m.flavor for m in matching]
    if choice is not None:
        if choice in names:
            return load_map(choice)
        seen = f"looks like the {names[0]} flavor" if names else "matches no flavor"
        raise FormMapError(
            page=page,
            field="flavor markers",
            flavor=choice,
            detail=f"{seen}, not {choice}",
        )
    if len(matching) == 1:
        return matching[0]
    detail = (
        "matches no known flavor" if not matching else f"matches {', '.join(names)}"
    )
    raise FormMapError(
        page=page,
        field="flavor markers",
        flavor="auto",
        detail=f"{detail}; choose one with --flavor legacy|modern",
    )


def version_of(text: str, portal_map: PortalMap) -> str:
    """The PowerSchool version from the sign-in page footer, or ``unknown``."""
    found = re.search(portal_map.version_regex, text)
    return found.group(1) if found else "unknown"


def signin_key(doc: Document, form: Form, signin: Signin) -> str:
    """The per-page-load hashing key: the script's ``pskey``, else ``contextData``."""
    found = re.search(signin.key_script_regex, doc.raw)
    if found:
        return found.group(1)
    name = signin.fields.key.name
    return form.value(name) if form.has(name) else ""


def is_hashed(doc: Document, form: Form, signin: Signin) -> bool:
    """True when the page hashes the password in the browser (PCAS)."""
    return doc.contains(signin.hash_marker) and bool(signin_key(doc, form, signin))


def fill_signin(
    form: Form, doc: Document, signin: Signin, username: str, password: str
) -> set[str]:
    """Fill the sign-in form as the page's script would; returns values to redact."""
    fields = signin.fields
    form.set(fields.username.name, username)
    sent = {password}
    if is_hashed(doc, form, signin):
        key = signin_key(doc, form, signin)
        hashed = pcas.hashed_password(key, password)
        form.set(fields.password.name, hashed)
        sent |= {key, hashed}
        if form.has(fields.dbpw.name):
            dbpw = pcas.hashed_dbpw(key, password)
            form.set(fields.dbpw.name, dbpw)
            sent.add(dbpw)
    else:
        form.set(fields.password.name, password)
    # The page's script sends the plain password for LDAP only when the field exists.
    if form.has(fields.ldappassword.name):
        form.set(fields.ldappassword.name, password)
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
    if answer.status == 200 and doc.find_form(signin.form) is None:
        return  # some releases answer 200 with the start page
    alert = " ".join(doc.texts(portal_map.markers.alert_xpath)) or (
        f"HTTP {answer.status}, no message"
    )
    raise _refusal(alert, signin, username)


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
