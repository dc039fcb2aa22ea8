"""Creating a staff member: the session's school, then New Staff Member.

The new record belongs to the session's current school, so the school is switched
first, as a person does: the header's school picker item whose text is the
school's name (20.x+), or the older "School:" link to a ``Schoolid`` form. Since
2013 New Staff Member posts to PowerSchool's duplicate check, which creates nothing
and offers the records it matches; the record is created by the check page's one
form. Before 2013 the form creates the record at once. The page says which.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from psconfig.drivers.portal.forms import bind
from psconfig.drivers.portal.forms.controls import Form, normalize_label
from psconfig.drivers.portal.forms.document import Document
from psconfig.drivers.portal.http.session import UncertainWriteError
from psconfig.drivers.portal.pagemap.maps import PortalMap
from psconfig.drivers.portal.pages.reader import StaffRef
from psconfig.errors import (
    AccessDeniedError,
    ConnectError,
    DriverError,
    ServerError,
    WriteNotAppliedError,
)
from psconfig.model import Staff

if TYPE_CHECKING:
    from psconfig.drivers.portal.pages.form_writer import FormWriter


class StaffCreator:
    """Switches the session's school and creates records through ``FormWriter``."""

    def __init__(self, writer: FormWriter) -> None:
        self.w = writer

    @property
    def map(self) -> PortalMap:
        return self.w.map

    async def switch_school(self, school: int) -> None:
        """Make ``school`` the session's current school (District Office is 0).

        As a person does: follow the header's picker item whose text is the
        school's name (20.x+), or the older "School:" link to its form.
        """
        names = await self.w.reader.cached_schools()
        name = names.get(school)
        if name is None:
            raise DriverError(f"school {school} does not exist in PowerSchool")
        home = self.map.home
        doc = await self.w.session.document(home.url)
        shown = doc.text(home.school_button_xpath)
        if shown is None:
            await self._switch_by_link(doc, school)
            return
        if normalize_label(shown) == normalize_label(name):
            return
        await self.w.session.get(self._picker_item(doc, school, name))
        now = (await self.w.session.document(home.url)).text(home.school_button_xpath)
        if normalize_label(now or "") != normalize_label(name):
            raise WriteNotAppliedError(
                page=home.url,
                field=home.school_button_xpath,
                detail=f"the session's school is {now!r}, not {name!r}",
            )

    def _picker_item(self, doc: Document, school: int, name: str) -> str:
        """The link of the picker item whose visible text is ``name``."""
        xpath = self.map.home.school_items_xpath
        items = zip(doc.texts(xpath), doc.texts(f"{xpath}/@href"), strict=False)
        found = [h for t, h in items if normalize_label(t) == normalize_label(name)]
        if len(found) != 1:
            offers = "no" if not found else "several"
            raise AccessDeniedError(
                f"{doc.page}: the school picker offers {offers} {name!r} ({school}) "
                f"to {self.w.session.username!r}"
            )
        return urljoin(doc.page, found[0])

    async def _switch_by_link(self, home: Document, school: int) -> None:
        """The older header: "School:" -> a ``Schoolid`` select and its button."""
        link_text = self.map.home.school_link_text
        path = home.link(link_text)
        if path is None:
            raise home.where.missing(
                self.map.home.school_button_xpath,
                f"is not on the page, nor a {link_text!r} link",
            )
        page = self.map.school_context

        async def current() -> str:
            doc = await self.w.session.document(path)
            form = doc.form(page.form)
            return form.value(bind.control_name(form, page.fields.school))

        if await current() == str(school):
            return

        def fill(form: Form) -> None:
            name = bind.control_name(form, page.fields.school)
            if str(school) not in form.choices(name):
                raise AccessDeniedError(
                    f"{path}: {self.w.session.username!r} may not switch to "
                    f"school {school}"
                )
            form.set(name, str(school))

        async def verify() -> None:
            now = await current()
            if now != str(school):
                raise WriteNotAppliedError(
                    page=path,
                    field=page.fields.school.named(),
                    detail=f"the session's school is {now!r}, not {school}",
                )

        await self.w.write(path, page, fill, verify, button=page.fields.submit.named())

    async def new_record(self, after: Staff) -> StaffRef:
        """Post New Staff Member in the session's school; returns the new record.

        Since 2013 the form goes through PowerSchool's duplicate check first
        (``_past_duplicate_check``); before, it creates the record at once. The
        page says which: ``staff_new``'s form, else ``staff_new_pre2013``'s.
        """
        doc = await self.w.session.document(self.map.staff_new.url)
        checked = doc.find_form(self.map.staff_new.form) is not None
        page = self.map.staff_new if checked else self.map.staff_new_pre2013

        def fill(form: Form) -> None:
            bind.require_all(form, page.fields)
            name = bind.control_name(form, page.fields.school)
            if form.value(name) != str(after.school):
                raise DriverError(
                    f"{page.url}: the form is for school {form.value(name)!r}, not "
                    f"{after.school}: switching the school context did not take"
                )
            bind.write_all(form, page.fields, bind.STAFF_NEW, after)

        async def verify() -> StaffRef:
            ref = await self.w.reader.find_staff(after.id)
            if ref is None:
                raise WriteNotAppliedError(
                    page=page.url,
                    field=page.fields.id.named(),
                    detail=f"no staff member has ID {after.id!r} after saving",
                )
            return ref

        toggle = self.map.toggle.url  # creating a record leaves the toggle as it is
        answer = await self.w.session.submit(
            page.url, page.form, fill, keeps=lambda p: p == toggle
        )
        try:
            shown = self.w.check_answer(answer, page.url)
        except UncertainWriteError as exc:
            if checked:  # the check itself creates nothing
                raise ServerError(f"{exc}; nothing was created") from None
            await self._settle(exc, verify)
            return await verify()
        if checked and shown is not None:
            await self._past_duplicate_check(shown, after, verify)
        return await verify()

    async def _past_duplicate_check(
        self, check: Document, after: Staff, verify: Callable[[], Awaitable[object]]
    ) -> None:
        """Create the record from the duplicate check, unless it offers this ID.

        A match with the same staff ID is the record itself, which the search
        did not find: psconfig stops, having created nothing. Matches by name are
        other people (the staff ID is what identifies a staff member here).
        """
        frn_regex = self.map.staff_search.frn_regex
        offered = {
            found.group(1)
            for href, _ in check.links()
            if (found := re.search(frn_regex, href))
        }
        for frn in sorted(offered):
            if await self.w.reader.staff_id(frn) == after.id:
                raise DriverError(
                    f"{check.page}: PowerSchool's duplicate check offers an existing "
                    f"staff member with ID {after.id!r} (frn {frn}); psconfig created "
                    "nothing. Run plan again; if it still plans a new staff member, "
                    "the staff search does not list that record"
                )
        forms = [f for f in check.forms() if f.method == "post"]
        if len(forms) != 1:
            raise check.where.missing(
                "(the duplicate check's form)",
                f"is {'missing' if not forms else 'ambiguous'}: nothing was created",
            )
        go_ahead, session = forms[0], self.w.session
        toggle = self.map.toggle.url
        try:
            # A 503/429 was not processed: the same go-ahead may be sent again.
            answer = await session.http.until_processed(
                lambda: session.post(
                    go_ahead.action,
                    go_ahead.pairs(),
                    referer=check.page,
                    keeps=lambda p: p == toggle,
                )
            )
            self.w.check_answer(answer, go_ahead.action)
        except UncertainWriteError as exc:
            await self._settle(exc, verify)

    async def _settle(
        self, exc: UncertainWriteError, verify: Callable[[], Awaitable[object]]
    ) -> None:
        """After an uncertain create, read back whether the record landed."""
        try:
            await verify()
        except WriteNotAppliedError:
            raise ServerError(
                f"{exc}; reading back shows it was not saved", status=exc.status
            ) from None
        except DriverError as again:
            raise ConnectError(
                f"{exc}; reading back failed too ({again}), "
                "so whether it was saved is unknown: run plan again"
            ) from None
