"""An administrator's browser for the simulator, for out-of-band changes in tests.

Signs in through the sign-in form (modern flavor: plain password), then submits
forms the way a browser does: every field the page sent (hidden ``pstoken``
included), checked boxes and selected options only, with the test's edits applied.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import httpx
import lxml.html

from psconfig.sim import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME, app_for_url

BASE = "http://sim.test"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class AdminBrowser:
    def __init__(self, url: str, sim_dir: Path) -> None:
        transport = httpx.ASGITransport(app=app_for_url(url, sim_dir))
        self.client = httpx.AsyncClient(transport=transport, base_url=BASE)

    async def __aenter__(self) -> AdminBrowser:
        page = await self.client.get("/admin/pw.html")
        fields = self._fields(page.text, "LoginForm")
        fields = [(k, v) for k, v in fields if k not in ("username", "password")]
        fields += [("username", DEMO_ADMIN_USERNAME), ("password", DEMO_ADMIN_PASSWORD)]
        answer = await self._post("/admin/home.html", fields)
        assert answer.status_code == 302, answer.text[:300]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def edit_form(
        self, path: str, form_id: str, add: list[tuple[str, str]]
    ) -> None:
        """Load ``path``, add ``add`` to its form's values, submit it."""
        page = await self.client.get(path)
        assert page.status_code == 200, page.text[:300]
        fields = self._fields(page.text, form_id) + add
        action = _form(page.text, form_id).get("action") or path
        answer = await self._post(action, fields)
        assert answer.status_code in (200, 302), answer.text[:300]
        assert 'class="feedback-alert"' not in answer.text, answer.text[-800:]

    async def _post(self, path: str, fields: list[tuple[str, str]]) -> httpx.Response:
        return await self.client.post(path, content=urlencode(fields), headers=FORM)

    @staticmethod
    def _fields(html: str, form_id: str) -> list[tuple[str, str]]:
        return [(str(k), str(v)) for k, v in _form(html, form_id).form_values()]


def _form(html: str, form_id: str) -> lxml.html.FormElement:
    for form in lxml.html.fromstring(html).iter("form"):
        if isinstance(form, lxml.html.FormElement) and form.get("id") == form_id:
            return form
    raise AssertionError(f"no form {form_id!r} on the page")
