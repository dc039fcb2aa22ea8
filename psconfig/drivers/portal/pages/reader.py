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
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from psconfig.drivers.portal.forms import bind, grid, labels
from psconfig.drivers.portal.forms.controls import Form, Where, normalize_label
from psconfig.drivers.portal.forms.document import Document
from psconfig.drivers.portal.http.portal_session import PageDeniedError, PortalSession
from psconfig.drivers.portal.pagemap.maps import PortalMap
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
_EDITOR_SLOT = "\x00"
"""Where the edited page's path goes in a remembered editor address."""


class PageToggleOffError(DriverError):
    """The page-permission editor is unavailable because the toggle is off."""


@dataclass(frozen=True)
class StaffRef:
    """Where a staff member's pages are: its staff ID and record (``frn``)."""

    id: str
    frn: str


@dataclass(frozen=True)
class AffiliationTab:
    """What Teachers and Affiliations shows."""

    teacher_access: bool
    home_school: int
    affiliations: list[Affiliation]


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
        self._schools: asyncio.Future[dict[int, str]] | None = None
        self._editor_template: str | None = None
        self.editor_paths: set[str] = set()
        """Pages read for what the toggle decides: the editors and their links."""

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
        on = bind.CHOICE.read(form, page.fields.enabled, {}) == "on"
        if on:
            self._learn_editor(doc)
        return on

    def _learn_editor(self, doc: Document) -> None:
        """Remember where a page's editor link leads, its path made a slot.

        Every page's link then differs only in the path it names.
        """
        link = doc.link(self.map.page_editor.link_text)
        shown = quote(doc.page.split("?", 1)[0], safe="/")
        if link is not None and link.count(shown) == 1 and _EDITOR_SLOT not in link:
            self._editor_template = link.replace(shown, _EDITOR_SLOT)

    async def page_levels(self, path: str) -> dict[int, PageLevel]:
        """Every group's non-default level on ``path``'s access-privileges editor."""
        editor = self.map.page_editor
        where = await self.editor_path(path)
        self.editor_paths.add(where)
        doc = await self.session.document(where)
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
        user who may edit them): without it, a PageToggleOffError. A page the
        account may not open itself is edited at the address the link on its
        start page shows, with that page's path in place of the start page's.
        """
        editor = self.map.page_editor
        if self._editor_template is not None:
            return self._editor_template.replace(_EDITOR_SLOT, quote(path, safe="/"))
        self.editor_paths.add(path)
        try:
            doc: Document | None = await self.session.document(path)
        except PageDeniedError:
            doc = None
        found = doc.link(editor.link_text) if doc is not None else None
        if found is None and doc is None:
            found = await self._editor_via_home(path)
        if found is None:
            raise PageToggleOffError(
                f"{path}: no {editor.link_text!r} link: page permissions are not "
                "enabled (the toggle is off) or this account may not edit them"
            )
        return found

    async def _editor_via_home(self, path: str) -> str | None:
        self.editor_paths.add(self.map.home.url)
        self._learn_editor(await self.session.document(self.map.home.url))
        if self._editor_template is None:
            return None
        return self._editor_template.replace(_EDITOR_SLOT, quote(path, safe="/"))

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
        """School number -> name, from an administrator's Teachers and Affiliations.

        The header's school picker shows names only; the affiliation grid's rows
        and the schools its Add dialog offers are every school, with numbers.
        """
        search = self.map.staff_search
        frns = await self.search(search.admin_query)
        if not frns:
            raise DriverError(
                f"{search.path(query=search.admin_query)}: no staff member with "
                "admin sign-in is listed, so the schools cannot be read"
            )
        page = self.map.affiliations
        doc = await self.session.document(page.path(frn=frns[0]))
        return grid.school_names(doc, page.grid)

    # -- staff -----------------------------------------------------------------

    async def search(self, query: str) -> list[str]:
        """The records (``frn``) a staff search lists, in page order, once each.

        The list's markup is not public, so a record is any link to one.
        """
        search = self.map.staff_search
        doc = await self.session.document(search.path(query=query))
        out: list[str] = []
        for href, _ in doc.links():
            found = re.search(search.frn_regex, href)
            if found and found.group(1) not in out:
                out.append(found.group(1))
        return out

    async def staff_id(self, frn: str) -> str:
        """The staff ID a record's Edit Information shows."""
        page = self.map.staff_edit
        doc = await self.session.document(page.path(frn=frn))
        form = doc.form(page.form)
        return str(bind.TEXT.read(form, page.fields.id, {}))

    async def find_staff(self, staff_id: str) -> StaffRef | None:
        """The staff member with exactly this ID, or None.

        Each listed record's ID is confirmed on its own page; two records with the
        ID are an error (PowerSchool would not know which one psconfig means).
        """
        search = self.map.staff_search
        query = search.id_query.format(id=staff_id)
        frns = await self.search(query)
        ids = await gather_limited(
            [partial(self.staff_id, f) for f in frns], self.limit
        )
        matches = [f for f, found in zip(frns, ids, strict=True) if found == staff_id]
        if len(matches) > 1:
            raise DriverError(
                f"{search.path(query=query)}: staff ID {staff_id!r} is on several "
                f"records ({', '.join(matches)}); fix the duplicate in PowerSchool"
            )
        return StaffRef(staff_id, matches[0]) if matches else None

    async def staff(self, ids: frozenset[str] | None) -> dict[str, Staff]:
        """The staff members with ``ids`` that exist, or all with admin sign-in.

        Every listed record is read whole; its staff ID is the one its own Edit
        Information shows (a search may list more than the exact ID).
        """
        search = self.map.staff_search
        if ids is None:
            queries = [search.admin_query]
        else:
            queries = [search.id_query.format(id=i) for i in sorted(ids)]
        listed = await gather_limited(
            [partial(self.search, q) for q in queries], self.limit
        )
        frns = list(dict.fromkeys(f for found in listed for f in found))
        read = await gather_limited(
            [partial(self.staff_member, StaffRef("", f)) for f in frns], self.limit
        )
        out: dict[str, Staff] = {}
        for frn, staff in zip(frns, read, strict=True):
            if ids is not None and staff.id not in ids:
                continue
            if staff.id in out:
                raise DriverError(
                    f"{search.path(query=search.id_query.format(id=staff.id))}: "
                    f"staff ID {staff.id!r} is on several records (one is {frn}); "
                    "fix the duplicate in PowerSchool"
                )
            out[staff.id] = staff
        return out

    async def staff_member(self, ref: StaffRef) -> Staff:
        """One staff member from its edit, affiliations and admin-access pages."""
        person, tab, admin = await asyncio.gather(
            self.person(ref, with_id=True),
            self.affiliation_page(ref),
            self.admin_page(ref),
        )
        data = {
            "school": tab.home_school,
            **person,
            "teacher_access": tab.teacher_access,
            "affiliations": tab.affiliations,
            "admin_access": admin,
        }
        return validated(Staff, data, self._where(ref))

    async def person(
        self, ref: StaffRef, *, with_id: bool = False
    ) -> dict[str, object]:
        """The Edit Information values of a staff member (``bind.STAFF_EDIT``).

        The status is the hidden ``[05]status`` (1 or 2) the Active box mirrors.
        """
        page = self.map.staff_edit
        doc = await self.session.document(page.path(frn=ref.frn))
        form = doc.form(page.form)
        bind.require_all(form, page.fields)
        values = bind.read_all(form, page.fields, bind.STAFF_EDIT)
        if with_id:
            values["id"] = bind.TEXT.read(form, page.fields.id, {})
        return values

    async def affiliation_page(self, ref: StaffRef) -> AffiliationTab:
        """Teachers and Affiliations: PowerTeacher access, home school, the grid."""
        page = self.map.affiliations
        doc = await self.session.document(page.path(frn=ref.frn))
        form = doc.form(page.form)
        bind.require_all(form, page.fields)
        teacher = bool(bind.FLAG.read(form, page.fields.teacher_access, {}))
        xpath = page.grid.home_school_xpath
        home = _int(doc, xpath, doc.text(xpath) or "")
        rows = grid.affiliations(doc, page.grid, home)
        return AffiliationTab(teacher, home, rows)

    async def admin_page(self, ref: StaffRef, *, to_write: bool = False) -> AdminAccess:
        """Admin Access and Roles of a staff member.

        ``to_write`` also binds the "Add User Access Roles" dialog's controls.
        """
        page = self.map.admin_access
        doc = await self.session.document(page.path(frn=ref.frn))
        form = doc.form(page.form)
        bind.require_all(form, page.fields)
        if to_write:
            bind.require_all(form, page.add_role.fields)
        return self.admin_access(form, doc, await self.roles(doc))

    def _where(self, ref: StaffRef) -> Where:
        return Where(page=self.map.staff_edit.path(frn=ref.frn), flavor=self.map.flavor)

    async def cached_schools(self) -> dict[int, str]:
        """``schools()``, read once per reader (roles name their schools)."""
        if self._schools is None:
            self._schools = asyncio.ensure_future(self.schools())
        return await asyncio.shield(self._schools)

    async def roles(self, doc: Document) -> list[Role]:
        """Every row of "Roles and Schools" as it is: two rows are two roles.

        A row names its school (the guide: "District Office (Home School)") and
        shows its role ("Read-Only Export (12)", "Default Group Access"); a school
        or a role text the map does not know fails closed.
        """
        table = self.map.admin_access.roles
        rows = doc.table(table.label)
        if rows is None:
            raise doc.where.missing(table.label, "labels no table")
        numbers = {n.casefold(): k for k, n in (await self.cached_schools()).items()}
        field = table.role
        out = []
        for row in rows:
            shown = row.get(normalize_label(table.school_column), "")
            name = re.sub(table.home_suffix_regex, "", shown)
            if name.casefold() not in numbers:
                raise doc.where.missing(
                    table.label, f"names an unknown school {shown!r}"
                )
            text = normalize_label(row.get(normalize_label(table.role_column), ""))
            group = labels.normalized_of_text(doc.where, field, table.label, text)
            data: dict[str, object] = {
                "school": numbers[name.casefold()],
                "group": int(group) if group else None,
            }
            out.append(validated(Role, data, doc.where))
        return out

    def admin_access(self, form: Form, doc: Document, roles: list[Role]) -> AdminAccess:
        page = self.map.admin_access
        values = bind.read_all(form, page.fields, bind.ADMIN)
        window = self.sign_in_window(form, doc)
        data = {**values, "sign_in_window": window, "roles": roles}
        return validated(AdminAccess, data, doc.where)

    def sign_in_window(self, form: Form, doc: Document) -> SignInWindow:
        fields = self.map.admin_access.fields
        if bind.CHOICE.read(form, fields.sign_in_times, {}) == "any_time":
            return "any_time"
        start = bind.CHOICE.read(form, fields.window_start, {})
        end = bind.CHOICE.read(form, fields.window_end, {})
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
