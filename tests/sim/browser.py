"""A minimal test browser for the simulator: real HTTP through httpx + ASGITransport.

It behaves like a person with a web browser, not like the driver: it reads forms
with lxml's browser semantics (checked boxes, selected options, every hidden input),
changes only what a test says, and posts to the form's action. On a legacy sign-in
page it runs the page's PCAS script in Python, as the browser would run the JS.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode, urljoin

import httpx
import lxml.html

from psconfig.sim import SimApp
from psconfig.sim.pcas import pcas_password

Value = str | Sequence[str] | None
BASE = "http://sim.test"


class Browser:
    """One browser (cookie jar) talking to one simulator app from one client IP."""

    def __init__(self, app: SimApp, *, ip: str = "127.0.0.1") -> None:
        transport = httpx.ASGITransport(app=app, client=(ip, 49152))
        self.app = app
        self.client = httpx.AsyncClient(transport=transport, base_url=BASE)

    async def close(self) -> None:
        await self.client.aclose()

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)

    async def post(self, path: str, data: Sequence[tuple[str, str]]) -> httpx.Response:
        body = urlencode(list(data))
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return await self.client.post(path, content=body, headers=headers)

    @staticmethod
    def form_fields(page: httpx.Response, form_id: str) -> list[tuple[str, str]]:
        """What a browser would submit for the form, untouched."""
        return _values(_form(page, form_id))

    async def submit(
        self,
        page: httpx.Response,
        form_id: str,
        changes: Mapping[str, Value] | None = None,
    ) -> httpx.Response:
        """Submit a form of ``page``; ``changes`` replace (None: remove) fields."""
        form = _form(page, form_id)
        fields = [(k, v) for k, v in _values(form) if k not in (changes or {})]
        for name, value in (changes or {}).items():
            if value is None:
                continue
            values = [value] if isinstance(value, str) else list(value)
            fields.extend((name, v) for v in values)
        action = urljoin(str(page.url), form.get("action") or str(page.url))
        return await self.post(action, fields)

    async def sign_in(self, username: str, password: str) -> httpx.Response:
        """Load the sign-in page and submit it as the page's own script would."""
        page = await self.get("/admin/pw.html")
        changes: dict[str, Value] = {"username": username, "password": password}
        match = re.search(r'var pskey = "([0-9A-F]+)"', page.text)
        if match:  # legacy: md5.js's doAdminLogin hashes in the browser
            changes["password"] = pcas_password(match.group(1), password)
            changes["ldappassword"] = password
        return await self.submit(page, "LoginForm", changes)

    async def new_staff(self, values: dict[str, str]) -> httpx.Response:
        """Create a staff member as a person would, in either era (``values`` by
        unprefixed name): through the duplicate check when the page has one,
        choosing "create" on it; else the older one-step form."""
        page = await self.get("/admin/faculty/new.html")
        if nodes(page, '//form[@id="staffCreateForm"]'):
            check = await self.submit(page, "staffCreateForm", dict(values))
            if nodes(check, '//main//form[@action="/admin/faculty/home.html"]'):
                return await self.submit(check, "")
            return check
        prefixed: dict[str, Value] = {f"[05]{k}": v for k, v in values.items()}
        return await self.submit(page, "", prefixed)


def _form(page: httpx.Response, form_id: str) -> lxml.html.FormElement:
    # An empty id: the page's first form in its content (for forms without an id).
    xpath = f'//form[@id="{form_id}"]' if form_id else "//main//form"
    found = nodes(page, xpath)
    assert found, f"no form {form_id!r} on {page.url} ({page.status_code})"
    form = found[0]
    assert isinstance(form, lxml.html.FormElement)
    return form


def _values(form: lxml.html.FormElement) -> list[tuple[str, str]]:
    """Browser submission semantics (an input without ``value`` submits "")."""
    fields: list[tuple[str, str]] = []
    for el in form.xpath(".//input|.//select|.//textarea"):
        name = el.get("name")
        if not name or el.get("disabled") is not None:
            continue
        if el.tag == "textarea":
            fields.append((name, el.text or ""))
        elif el.tag == "select":
            options = el.xpath(".//option")
            chosen = [o for o in options if o.get("selected") is not None]
            for option in chosen or options[:1]:
                fields.append((name, option.get("value", option.text or "")))
        else:
            kind = (el.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                continue
            if kind in ("checkbox", "radio") and el.get("checked") is None:
                continue
            fields.append((name, el.get("value", "on" if kind == "checkbox" else "")))
    return fields


def nodes(page: httpx.Response, xpath: str) -> list[lxml.html.HtmlElement]:
    """Every element matching ``xpath``."""
    found = lxml.html.fromstring(page.text).xpath(xpath)
    assert isinstance(found, list)
    return [el for el in found if isinstance(el, lxml.html.HtmlElement)]


def text_of(page: httpx.Response, xpath: str) -> list[str]:
    """Text content of every element matching ``xpath``."""
    return [el.text_content().strip() for el in nodes(page, xpath)]


def alert(page: httpx.Response) -> str | None:
    """The feedback-alert message on a page, if any."""
    found = text_of(page, '//*[@class="feedback-alert"]')
    return found[0] if found else None


def confirmed(page: httpx.Response) -> bool:
    """True when the page says the change was recorded."""
    return "Changes Recorded." in text_of(page, '//div[@class="feedback-confirm"]')
