"""Read normalized state from the portal's pages (GET only).

Each function reads one kind of object through the flavor's form map and the binding
tables in ``bind``. Independent pages are fetched concurrently, bounded by a
semaphore (``Reader.limit``). Reading never changes PowerSchool; the one exception
(turning the page-permission toggle on to see the editors) is decided by the driver,
not here.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from psconfig.drivers.portal import bind, labels
from psconfig.drivers.portal.controls import Form, Where
from psconfig.drivers.portal.forms import Document
from psconfig.drivers.portal.maps import PortalMap
from psconfig.drivers.portal.portal_session import PortalSession
from psconfig.errors import DriverError, FormMapError
from psconfig.model import (
    AdminAccess,
    Affiliation,
    Group,
    PageLevel,
    Role,
    SignInWindow,
    Staff,
    TimeWindow,
)

T = TypeVar("T")


class PageToggleOffError(DriverError):
    """The page-permission editor is unavailable because the toggle is off."""


@dataclass(frozen=True)
class StaffRef:
    """Where a staff member's pages are: its record number and home school."""

    id: str
    frn: str
    school: int


async def gather_limited(
    factories: Iterable[Callable[[], Awaitable[T]]], limit: int
) -> list[T]:
    """Run the coroutines concurrently, at most ``limit`` at once, in order.

    On the first failure the others are cancelled and the failure is raised.
    """
    semaphore = asyncio.Semaphore(limit)

    async def run(factory: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await factory()

    tasks = [asyncio.ensure_future(run(f)) for f in factories]
    await all_or_none(*tasks)
    return [t.result() for t in tasks]


async def all_or_none(*tasks: asyncio.Future[Any]) -> None:
    """Wait for every task; on the first failure cancel the others and raise.

    The cancelled tasks are awaited, so their ``finally`` blocks (restoring the
    page-permission toggle) finish before the error propagates.
    """
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


class Reader:
    """Reads one portal through a signed-in session."""

    def __init__(self, session: PortalSession, limit: int) -> None:
        self.session = session
        self.limit = limit

    @property
    def map(self) -> PortalMap:
        return self.session.portal_map

    # -- groups ----------------------------------------------------------------

    async def group_numbers(self) -> dict[int, str]:
        """Group number -> name: the group list's links to each group's edit page."""
        groups = self.map.groups
        doc = await self.session.document(groups.url)
        out: dict[int, str] = {}
        for href, text in doc.links():
            found = re.search(groups.edit_link_regex, href)
            if found:
                out[_int(doc, groups.edit_link_regex, found.group(1))] = text
        return out

    async def group_count(self) -> int:
        """Add Groups' "Current Number of Security Groups"."""
        page = self.map.group_add
        doc = await self.session.document(page.url)
        text = doc.labelled_text(page.current_count_label) or ""
        found = re.match(r"\s*([0-9]+)\b", text)
        if not found:
            raise doc.where.missing(page.current_count_label, f"shows {text!r}")
        return int(found.group(1))

    async def groups(self, numbers: frozenset[int] | None) -> dict[int, Group]:
        """Every group (or those in ``numbers`` that exist), from their edit pages."""
        existing = await self.group_numbers()
        wanted = sorted(n for n in existing if numbers is None or n in numbers)
        read = await gather_limited(
            [partial(self.group, n) for n in wanted], self.limit
        )
        return {g.number: g for g in read}

    async def group(self, number: int) -> Group:
        page = self.map.group_edit
        doc = await self.session.document(page.path(number=number))
        form = doc.form(page.form)
        bind.require_all(form, page.fields)
        values = bind.read_all(form, page.fields, bind.GROUP)
        return validated(Group, {"number": number, **values}, doc.where)

    # -- page permissions ------------------------------------------------------

    async def toggle(self) -> bool:
        page = self.map.toggle
        doc = await self.session.document(page.url)
        form = doc.form(page.form)
        bind.require_all(form, page.fields)
        return bind.CHOICE.read(form, page.fields.enabled, {}) == "on"

    async def page_levels(self, path: str) -> dict[int, PageLevel]:
        """Every group's non-default level on ``path``'s access-privileges editor."""
        editor = self.map.page_editor
        doc = await self.session.document(await self.editor_path(path))
        form = doc.form(editor.form)
        bind.require_all(form, editor.fields)
        out: dict[int, PageLevel] = {}
        for key in labels.rows(form, editor.fields.level):
            group = _int(doc, "group row", key)
            level = bind.CHOICE.read(form, editor.fields.level, {"group": group})
            if level != "group_default":
                out[group] = level  # type: ignore[assignment]
        return out

    async def editor_path(self, path: str) -> str:
        """Where ``path``'s "Modify access privileges for this page" link leads.

        PowerSchool shows the link only while page permissions are on (and to a
        user who may edit them): without it, a PageToggleOffError.
        """
        editor = self.map.page_editor
        doc = await self.session.document(path)
        found = doc.link(editor.link_text)
        if found is None:
            raise PageToggleOffError(
                f"{path}: no {editor.link_text!r} link: page permissions are not "
                "enabled (the toggle is off) or this account may not edit them"
            )
        return found

    async def page_permissions(
        self, pages: Iterable[str]
    ) -> dict[str, dict[int, PageLevel]]:
        ordered = sorted(pages)
        read = await gather_limited(
            [partial(self.page_levels, p) for p in ordered], self.limit
        )
        return dict(zip(ordered, read, strict=True))

    # -- schools ---------------------------------------------------------------

    async def schools(self) -> dict[int, str]:
        """School number -> name from the school-context switcher."""
        page = self.map.school_context
        doc = await self.session.document(page.url)
        form = doc.form(page.form)
        name = bind.control_name(form, page.fields.school)
        return {
            _int(doc, name, v): label for v, label in form.option_labels(name).items()
        }

    # -- staff -----------------------------------------------------------------

    async def search(self, query: str) -> list[StaffRef]:
        search = self.map.staff_search
        doc = await self.session.document(search.path(query=query))
        refs = []
        for row in doc.rows(search.rows_xpath, search.key_attr):
            link = row.text(search.link_xpath) or ""
            found = re.search(search.frn_regex, link)
            if not found:
                raise doc.where.missing(
                    search.link_xpath, f"has no record link {link!r}"
                )
            school = _int(doc, search.school_xpath, row.text(search.school_xpath) or "")
            refs.append(
                StaffRef(row.text(search.id_xpath) or "", found.group(1), school)
            )
        return refs

    async def find_staff(self, staff_id: str) -> StaffRef | None:
        """The staff member with exactly this ID, or None."""
        matches = [r for r in await self.search(staff_id) if r.id == staff_id]
        return matches[0] if matches else None

    async def staff(self, ids: frozenset[str] | None) -> dict[str, Staff]:
        """The staff members with ``ids`` that exist, or all with admin sign-in."""
        if ids is None:
            refs = await self.search(self.map.staff_search.admin_query)
        else:
            found = await gather_limited(
                [partial(self.find_staff, i) for i in sorted(ids)], self.limit
            )
            refs = [r for r in found if r is not None]
        read = await gather_limited(
            [partial(self.staff_member, r) for r in refs], self.limit
        )
        return {s.id: s for s in read}

    async def staff_member(self, ref: StaffRef) -> Staff:
        """One staff member from its edit, affiliations and admin-access pages."""
        person, (teacher, affiliations), admin = await asyncio.gather(
            self.person(ref), self.affiliation_page(ref), self.admin_page(ref)
        )
        data = {
            "id": ref.id,
            "school": ref.school,
            **person,
            "teacher_access": teacher,
            "affiliations": affiliations,
            "admin_access": admin,
        }
        return validated(Staff, data, self._where(ref))

    async def person(self, ref: StaffRef) -> dict[str, object]:
        """The Edit Information values of a staff member (``bind.STAFF_EDIT``)."""
        page = self.map.staff_edit
        doc = await self.session.document(page.path(frn=ref.frn))
        form = doc.form(page.form)
        bind.require_all(form, page.fields)
        return bind.read_all(form, page.fields, bind.STAFF_EDIT)

    async def affiliation_page(self, ref: StaffRef) -> tuple[bool, list[Affiliation]]:
        """Teachers and Affiliations: PowerTeacher access and the affiliation rows."""
        page = self.map.affiliations
        doc = await self.session.document(page.path(frn=ref.frn))
        form = doc.form(page.form)
        bind.require_all(form, page.fields)
        teacher = bind.FLAG.read(form, page.fields.teacher_access, {})
        return bool(teacher), self.affiliations(form, doc)

    async def admin_page(self, ref: StaffRef) -> AdminAccess:
        """Admin Access and Roles of a staff member."""
        page = self.map.admin_access
        doc = await self.session.document(page.path(frn=ref.frn))
        form = doc.form(page.form)
        bind.require_all(form, page.fields)
        return self.admin_access(form, doc)

    def _where(self, ref: StaffRef) -> Where:
        return Where(page=self.map.staff_edit.path(frn=ref.frn), flavor=self.map.flavor)

    def affiliations(self, form: Form, doc: Document) -> list[Affiliation]:
        page = self.map.affiliations
        home = form.value(bind.control_name(form, page.fields.home))
        out = []
        for row in doc.rows(page.rows_xpath, page.key_attr):
            school = _int(doc, page.key_attr, row.key)
            values = bind.read_all(
                form, page.fields, bind.AFFILIATION_ROW, school=school
            )
            data = {"school": school, "home": row.key == home, **values}
            out.append(validated(Affiliation, data, doc.where))
        return out

    def admin_access(self, form: Form, doc: Document) -> AdminAccess:
        page = self.map.admin_access
        values = bind.read_all(form, page.fields, bind.ADMIN)
        roles = []
        for row in doc.rows(page.rows_xpath, page.key_attr):
            school = _int(doc, page.key_attr, row.key)
            role = bind.read_all(form, page.fields, bind.ROLE_ROW, school=school)
            roles.append(validated(Role, {"school": school, **role}, doc.where))
        window = self.sign_in_window(form, doc)
        data = {**values, "sign_in_window": window, "roles": roles}
        return validated(AdminAccess, data, doc.where)

    def sign_in_window(self, form: Form, doc: Document) -> SignInWindow:
        fields = self.map.admin_access.fields
        if bind.CHOICE.read(form, fields.sign_in_times, {}) == "any_time":
            return "any_time"
        start = bind.TEXT.read(form, fields.window_start, {})
        end = bind.TEXT.read(form, fields.window_end, {})
        return validated(TimeWindow, {"start": start, "end": end}, doc.where)


M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: dict[str, object], where: Where) -> M:
    """``model`` from page values; a value the model refuses is a FormMapError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise FormMapError(
            page=where.page,
            field=".".join(str(p) for p in first["loc"]),
            flavor=where.flavor,
            detail=f"reads as {first.get('input')!r}: {first['msg']}",
        ) from None


def _int(doc: Document, field: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise FormMapError(
            page=doc.page,
            field=field,
            flavor=doc.where.flavor,
            detail=f"holds {text!r} where a number belongs",
        ) from None
