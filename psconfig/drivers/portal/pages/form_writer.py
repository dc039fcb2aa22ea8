"""The one write shape every form write follows (``FormWriter.write``).

GET the form, keep everything the server sent, change only the fields whose values
the op changes, POST once, check the answer (403 = access denied, a feedback alert
= ``ServerRefusedError`` with PowerSchool's own message), then read the page back
and compare each changed value (``WriteNotAppliedError`` naming page and field on a
mismatch). A form or field the map expects but the page lacks fails in the fill
step, before anything is posted.

A POST is never repeated blindly. When it fails in transit or with 5xx/429 the
writer reads back: if the values are there the write landed; if not, the error says
it was not saved; if the read-back fails too, the error says the outcome is unknown.

It sits below ``writer`` and the staff writers, which all write through it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from pydantic import BaseModel, SecretStr

from psconfig.drivers.portal.forms import bind
from psconfig.drivers.portal.forms.controls import Form
from psconfig.drivers.portal.forms.document import Document
from psconfig.drivers.portal.http.portal_session import PortalSession
from psconfig.drivers.portal.http.response import Response
from psconfig.drivers.portal.http.session import UncertainWriteError
from psconfig.drivers.portal.pagemap.map_parts import Fields, FormPage
from psconfig.drivers.portal.pagemap.maps import PortalMap
from psconfig.drivers.portal.pages.reader import Reader, StaffRef
from psconfig.errors import (
    AccessDeniedError,
    ConnectError,
    DriverError,
    ServerError,
    ServerRefusedError,
    WriteNotAppliedError,
)

Verify = Callable[[], Awaitable[None]]


class FormWriter:
    """Writes forms through a signed-in session, reading each write back."""

    def __init__(self, session: PortalSession, reader: Reader) -> None:
        self.session = session
        self.reader = reader

    @property
    def map(self) -> PortalMap:
        return self.session.portal_map

    # -- the write shape ---------------------------------------------------------

    async def write(
        self,
        path: str,
        page: FormPage,
        fill: Callable[[Form], None],
        verify: Verify,
        *,
        button: str | None = None,
        keeps: Callable[[str], bool] | None = None,
    ) -> Document | None:
        """Submit ``page``'s form on ``path`` once, check the answer, then ``verify``.

        The form must carry every field of the page's map before ``fill`` runs, so
        a page that changed fails closed before anything is posted. Returns the
        answer page (None for a redirect or an uncertain post that read back as
        landed).
        """

        def checked_fill(form: Form) -> None:
            bind.require_all(form, page.fields)
            fill(form)

        try:
            # Only the toggle's own post changes the toggle page.
            toggle = self.map.toggle.url
            answer = await self.session.submit(
                path,
                page.form,
                checked_fill,
                button=button,
                keeps=keeps or (lambda p: p == toggle),
            )
            doc = self.check_answer(answer, path)
        except UncertainWriteError as exc:
            await self._settle(exc, verify)
            return None
        try:
            await verify()
        except (ConnectError, ServerError) as exc:
            raise ConnectError(
                f"{path}: the change was posted and accepted, but reading it back "
                f"failed ({exc}); run plan again to see where PowerSchool stands"
            ) from None
        return doc

    def check_answer(self, answer: Response, path: str) -> Document | None:
        """Raise for a refused, denied or uncertain post; the page otherwise."""
        status = answer.status
        if status == 429 or status >= 500:
            raise UncertainWriteError(
                f"{path}: server answered HTTP {status} to the form post", status=status
            )
        if status == 403:
            raise AccessDeniedError(
                f"{path}: {self.session.username!r} may not modify this page (HTTP 403)"
            )
        if answer.is_redirect:
            return None
        if status != 200:
            first = answer.text.strip().splitlines()[:1]
            detail = f": {first[0][:200]}" if first else ""
            raise ServerRefusedError(f"{path}: the form post got HTTP {status}{detail}")
        doc = self.session.parse(answer)
        alerts = [t for t in doc.texts(self.map.markers.alert_xpath) if t]
        if alerts:
            raise ServerRefusedError(
                f"{path}: PowerSchool refused the change: {' '.join(alerts)}"
            )
        return doc

    async def _settle(self, exc: UncertainWriteError, verify: Verify) -> None:
        try:
            await verify()
        except WriteNotAppliedError:
            message = f"{exc}; reading back shows it was not saved"
            if exc.status is not None:
                raise ServerError(message, status=exc.status) from None
            raise ConnectError(message) from None
        except DriverError as again:
            raise ConnectError(
                f"{exc}; reading back failed too ({again}), "
                "so whether it was saved is unknown: run plan again"
            ) from None

    @staticmethod
    def mismatch(
        path: str,
        bindings: Iterable[bind.Binding],
        fields: Fields,
        back: BaseModel,
        after: BaseModel,
        **row: object,
    ) -> None:
        """Raise WriteNotAppliedError for the first binding that did not stick."""
        found = bind.first_mismatch(bindings, fields, back, after, **row)
        if found is not None:
            raise WriteNotAppliedError(page=path, field=found[0], detail=found[1])

    # -- staff lookups shared with StaffWriter ---------------------------------------

    async def require_staff(self, staff_id: str) -> StaffRef:
        ref = await self.reader.find_staff(staff_id)
        if ref is None:
            raise DriverError(f"staff member {staff_id!r} was not found in PowerSchool")
        return ref

    @staticmethod
    def secret(password: SecretStr | None) -> str | None:
        return password.get_secret_value() if password is not None else None
