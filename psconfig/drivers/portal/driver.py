"""``PortalDriver``: the ``Driver`` protocol over PowerSchool's admin portal.

``async with open_portal(...) as drv`` detects the flavor from the sign-in page,
signs in (never retrying a refusal), and signs out on exit.

Reads are GET-only with one documented exception. PowerSchool shows a page's
"Modify access privileges" editor only while the page-permission toggle is on, so
when ``read(scope)`` needs page permissions (``scope.pages`` non-empty) and the toggle
is off, the driver turns it on, reads the editors and turns it off again in a
``finally`` — but only if it was opened with ``allow_toggle_for_read=True`` (the
default); otherwise the read fails with a ``DriverError``. Each time this happens a
line is appended to ``PortalDriver.notes`` so the engine can show it in plans, and
its requests count in ``request_count`` like any other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Literal, Self

from psconfig.drivers.portal.forms import bind
from psconfig.drivers.portal.forms.controls import Form
from psconfig.drivers.portal.http.portal_session import PortalSession
from psconfig.drivers.portal.http.session import Http
from psconfig.drivers.portal.pagemap.maps import PortalMap
from psconfig.drivers.portal.pages.reader import Reader, all_or_none
from psconfig.drivers.portal.pages.writer import Writer
from psconfig.errors import DriverError, FormMapError, ServerRefusedError
from psconfig.model import Op, PageLevel, Scope, ServerInfo, State

DEFAULT_DDE_FIELDS: dict[str, tuple[str, ...]] = {
    "students": (
        "Student_Number",
        "Last_Name",
        "First_Name",
        "Grade_Level",
        "SchoolID",
    ),
    "teachers": ("TeacherNumber", "Last_Name", "First_Name", "SchoolID", "Status"),
}
"""The fields ``export_dde`` asks for per table unless told otherwise."""


class PortalDriver:
    """One signed-in session with one PowerSchool admin portal (see module doc)."""

    def __init__(
        self,
        http: Http,
        session: PortalSession,
        *,
        max_connections: int = 8,
        allow_toggle_for_read: bool = True,
    ) -> None:
        self._http = http
        self._session = session
        self._reader = Reader(session, max_connections)
        self._writer = Writer(session, self._reader)
        self.allow_toggle_for_read = allow_toggle_for_read
        self.notes: list[str] = []
        self._info: ServerInfo | None = None
        # The toggle bracket's "off" post, in flight while other reads go on.
        self._restoring: asyncio.Future[None] | None = None

    # -- lifecycle ---------------------------------------------------------------

    async def __aenter__(self) -> Self:
        try:
            await self._session.open()
        except BaseException:
            await self._http.aclose()
            raise
        portal_map = self._session.portal_map
        self._info = ServerInfo(
            url=self._http.url,
            version=self._session.version,
            flavor=portal_map.flavor,
            username=self._session.username,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                await self._settle()
            elif self._restoring is not None:
                await asyncio.gather(self._restoring, return_exceptions=True)
        finally:
            await self._session.close()

    # -- Driver ------------------------------------------------------------------

    @property
    def info(self) -> ServerInfo:
        if self._info is None:
            raise DriverError("the portal driver is not signed in (use `async with`)")
        return self._info

    @property
    def map(self) -> PortalMap:
        """The form map in use (the detected or chosen flavor)."""
        return self._session.portal_map

    @property
    def request_count(self) -> int:
        """HTTP requests this driver sent, retries and sign-ins included."""
        return self._http.request_count

    @property
    def dde_pages(self) -> tuple[str, str]:
        """The two DDE pages the Clever setup grants Full on, per the form map."""
        return (self.map.dde_home.label(), self.map.dde_export.label())

    async def read(self, scope: Scope) -> State:
        """The live state of ``scope``; may bracket the toggle (see module doc).

        Every page is read at once; only the page editors wait for the toggle.
        """
        toggle = asyncio.ensure_future(self._toggle())
        groups = asyncio.ensure_future(self._reader.groups(scope.groups))
        staff = asyncio.ensure_future(self._reader.staff(scope.staff_ids))
        schools = asyncio.ensure_future(self._reader.cached_schools())
        pages = asyncio.ensure_future(self._page_permissions(scope.pages, toggle))
        await all_or_none(toggle, groups, staff, schools, pages)
        return State(
            groups=groups.result(),
            page_toggle=toggle.result(),
            page_permissions=pages.result(),
            staff=staff.result(),
            schools=schools.result(),
        )

    async def apply(self, op: Op) -> None:
        """Perform ``op`` and confirm it read back (``WriteNotAppliedError`` if not)."""
        await self._settle()
        await self._writer.apply(op)

    async def _toggle(self) -> bool:
        """The toggle; while the bracket turns it back off, off (no request).

        That post is verified before any write and before sign-out, so a toggle
        that did not go back off fails the session, as a read-back does.
        """
        if self._restoring is not None and not self._restoring.done():
            return False
        await self._settle()
        return await self._reader.toggle()

    async def _settle(self) -> None:
        """Wait for the bracket's "off" post and raise its failure, once."""
        restoring, self._restoring = self._restoring, None
        if restoring is not None:
            await restoring

    async def _page_permissions(
        self, pages: frozenset[str], toggle_read: asyncio.Future[bool]
    ) -> dict[str, dict[int, PageLevel]]:
        toggle = await asyncio.shield(toggle_read)
        if not pages:
            return {}
        if toggle:
            return await self._reader.page_permissions(pages)
        if not self.allow_toggle_for_read:
            raise DriverError(
                "page permissions cannot be read while the page-permission toggle is "
                "off, and this driver may not turn it on to read them"
            )
        self.notes.append(
            "turned the page-permission toggle on to read page permissions, then off"
        )
        await self._settle()  # an earlier bracket's "off" lands before this "on"
        await self._writer.set_toggle(True)
        try:
            levels = await self._reader.page_permissions(pages)
        except BaseException:
            await self._writer.set_toggle(False)
            raise
        # Turning it off again needs nothing read after it: let later reads go on.
        self._restoring = asyncio.ensure_future(self._writer.set_toggle(False))
        return levels

    # -- for verify --------------------------------------------------------------

    async def staff_record(self, staff_id: str) -> str | None:
        """The record (``frn``) of the staff member with exactly ``staff_id``.

        None when there is none; verify probes the account's own pages with it.
        """
        await self._settle()
        ref = await self._reader.find_staff(staff_id)
        return ref.frn if ref is not None else None

    async def probe(
        self,
        path: str,
        method: Literal["GET", "POST"] = "GET",
        data: dict[str, str] | None = None,
    ) -> int:
        """The status a browser would get for ``path``.

        GET: the page's status after redirects. POST: GET the page, fill its first
        form with ``data`` as a browser would (hidden fields echoed), post it, and
        return the post's status (or the GET's, when the page itself is refused).
        """
        await self._settle()
        answer = await self._session.get(path)
        if method == "GET" or answer.status != 200:
            return answer.status
        doc = self._session.parse(answer)
        form = doc.find_form()
        if form is None:
            raise FormMapError(
                page=path,
                field="form",
                flavor=self.map.flavor,
                detail="is missing: there is nothing to post",
            )
        for name, value in (data or {}).items():
            if form.kind(name) == "checkbox":
                form.set_checked(name, value not in ("", "0", "false", "off"))
            else:
                form.set(name, value)
        posted = await self._http.post(form.action, form.pairs(), referer=path)
        return posted.status

    async def export_dde(
        self, table: str = "students", fields: Sequence[str] | None = None
    ) -> str:
        """Select every record of ``table`` in DDE and export ``fields``.

        ``table`` is a key of the form map's DDE table options (``students``,
        ``teachers``); ``fields`` default to ``DEFAULT_DDE_FIELDS[table]``. The text
        is tab-delimited, one record per line (LF), after a title line. What the
        signed-in user can export depends on its page permissions and school.
        """
        await self._settle()
        wanted = list(
            fields if fields is not None else DEFAULT_DDE_FIELDS.get(table, ())
        )
        home, export = self.map.dde_home, self.map.dde_export
        # Choosing the table reloads the page for it (a script submits the form
        # without a button); Select All then selects that table's records.
        await self._dde_post(
            home.url,
            home.form,
            lambda form: bind.CHOICE.write(form, home.fields.table, {}, table),
            button="",
        )

        def select_all(form: Form) -> None:
            shown = bind.CHOICE.read(form, home.fields.table, {})
            if shown != table:
                raise DriverError(
                    f"{home.url}: the page shows table {shown!r} after choosing "
                    f"{table!r}: it did not reload for the table"
                )

        await self._dde_post(
            home.url, home.form, select_all, button=home.fields.select_all.name
        )
        ef = export.fields

        def fill(form: Form) -> None:
            bind.LINES.write(form, ef.fields, {}, wanted)
            bind.CHOICE.write(form, ef.field_delimiter, {}, "tab")
            bind.CHOICE.write(form, ef.record_delimiter, {}, "lf")
            bind.FLAG.write(form, ef.column_titles, {}, True)

        return await self._dde_post(
            export.url, export.form, fill, button=ef.submit.name
        )

    async def _dde_post(
        self,
        path: str,
        form_id: str,
        fill: Callable[[Form], None],
        *,
        button: str,
    ) -> str:
        answer = await self._session.submit(path, form_id, fill, button=button)
        if answer.status == 200 and answer.content_type.startswith("text/plain"):
            return answer.text
        doc = self._writer.check_answer(answer, path)
        if doc is None:
            raise ServerRefusedError(f"{path}: DDE answered with a redirect")
        return doc.raw
