"""The three staff forms: Edit Information, Teachers and Affiliations, Admin Access.

Each ``write_*`` posts one form with only the values that differ and reads it back.
Affiliations travel as the grid's JSON (``grid``), new schools included. Roles
that do not exist yet are added one per post through the form's "add" row, as the
page allows, before the main post sets every row. ``staff_writer`` decides which
forms an operation needs and in what order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from psconfig.drivers.portal import bind, grid
from psconfig.drivers.portal.controls import Form, Where
from psconfig.drivers.portal.map_parts import FieldMap
from psconfig.drivers.portal.maps import PortalMap
from psconfig.drivers.portal.reader import StaffRef, validated
from psconfig.errors import WriteNotAppliedError
from psconfig.model import AdminAccess, Affiliation, Role, SignInWindow, Staff

if TYPE_CHECKING:
    from psconfig.drivers.portal.writer import Writer


class StaffPages:
    """Writes a staff member's forms through ``Writer``'s write shape."""

    def __init__(self, writer: Writer) -> None:
        self.w = writer

    @property
    def map(self) -> PortalMap:
        return self.w.map

    async def write_edit(self, ref: StaffRef, before: Staff, after: Staff) -> None:
        """Edit Information, the status in the hidden ``[05]status``.

        The Active box follows the status, as the page's script keeps them
        (research row 60).
        """
        page = self.map.staff_edit
        todo = bind.changed(bind.STAFF_EDIT, before, after)
        if not todo:
            return
        path = page.path(frn=ref.frn)

        def fill(form: Form) -> None:
            bind.write_all(form, page.fields, todo, after)
            active = after.status == "current"
            bind.FLAG.write(form, page.fields.active_box, {}, active)

        async def verify() -> None:
            back = self._merged(after, await self.w.reader.person(ref), path)
            self.w.mismatch(path, todo, page.fields, back, after)

        await self.w.write(path, page, fill, verify)

    async def write_affiliations(
        self, ref: StaffRef, before: Staff, after: Staff
    ) -> None:
        """Teachers and Affiliations: the flag, and the grid's rows as JSON.

        New schools are rows added to the JSON, as the grid's Add dialog does. The
        hidden copy of the admin sign-in is left out, as the page's script leaves
        it out unless told to copy the teacher sign-in over it.
        """
        page = self.map.affiliations
        fields, path = page.fields, page.path(frn=ref.frn)
        if (before.teacher_access, before.affiliations) == (
            after.teacher_access,
            after.affiliations,
        ):
            return
        doc = await self.w.session.document(path)
        rows = grid.serialized(doc, page.grid, after.affiliations)

        def fill(form: Form) -> None:
            bind.write_all(
                form, fields, bind.changed(bind.TEACHER_ACCESS, before, after), after
            )
            bind.TEXT.write(form, fields.grid, {}, rows)
            drop(form, fields.admin_login, fields.admin_ldap)

        async def verify() -> None:
            tab = await self.w.reader.affiliation_page(ref)
            values = {
                "teacher_access": tab.teacher_access,
                "affiliations": tab.affiliations,
            }
            back = self._merged(after, values, path)
            self.w.mismatch(path, list(bind.TEACHER_ACCESS), fields, back, after)
            self._check_affiliations(path, back.affiliations, after.affiliations)

        await self.w.write(path, page, fill, verify)

    async def write_admin(
        self,
        ref: StaffRef,
        before: AdminAccess,
        after: AdminAccess,
        password: str | None,
    ) -> None:
        page = self.map.admin_access
        fields, path = page.fields, page.path(frn=ref.frn)
        if before == after and password is None:
            return
        old = {r.school: r for r in before.roles}
        new = {r.school: r for r in after.roles}
        added = [new[school] for school in sorted(new.keys() - old.keys())]
        # The form adds one role per post: all but the first go ahead on their own,
        # the first rides along with the main post (usually the only one).
        for role in added[1:]:
            await self.add_row(ref, fields.new_role_school, role)
        scalars = bind.changed(bind.ADMIN, before, after)

        def fill(form: Form) -> None:
            bind.write_all(form, fields, scalars, after)
            if added:
                bind.NUMBER.write(form, fields.new_role_school, {}, added[0].school)
                bind.OPTIONAL_NUMBER.write(
                    form, fields.new_role_group, {}, added[0].group
                )
            if before.sign_in_window != after.sign_in_window:
                self._write_window(form, after.sign_in_window)
            for school, role in new.items():
                prior = old.get(school)
                if prior is not None and prior.group != role.group:
                    bind.write_all(form, fields, bind.ROLE_ROW, role, school=school)
            for school in old.keys() - new.keys():
                bind.FLAG.write(form, fields.remove_role, {"school": school}, True)
            if password is not None:
                bind.TEXT.write(form, fields.password, {}, password)

        async def verify() -> None:
            back = await self.w.reader.admin_page(ref)
            self.w.mismatch(path, scalars, fields, back, after)
            if back.sign_in_window != after.sign_in_window:
                raise WriteNotAppliedError(
                    page=path,
                    field=fields.sign_in_times.name,
                    detail=f"reads back {back.sign_in_window!r}",
                )
            self._check_roles(path, back.roles, after.roles)

        await self.w.write(path, page, fill, verify)

    async def add_row(self, ref: StaffRef, school_field: FieldMap, row: Role) -> None:
        """Add one role through Admin Access and Roles' "add" row."""
        page = self.map.admin_access
        path = page.path(frn=ref.frn)

        def fill(form: Form) -> None:
            bind.NUMBER.write(form, school_field, {}, row.school)
            group_field = self.map.admin_access.fields.new_role_group
            bind.OPTIONAL_NUMBER.write(form, group_field, {}, row.group)

        async def verify() -> None:
            schools = {r.school for r in (await self.w.reader.admin_page(ref)).roles}
            if row.school not in schools:
                raise WriteNotAppliedError(
                    page=path,
                    field=school_field.named(),
                    detail=f"no row for school {row.school}",
                )

        await self.w.write(path, page, fill, verify)

    def _merged(self, staff: Staff, values: dict[str, object], path: str) -> Staff:
        """``staff`` with the values one page read back (validated, rows sorted)."""
        where = Where(page=path, flavor=self.map.flavor)
        return validated(Staff, {**staff.model_dump(), **values}, where)

    def _write_window(self, form: Form, window: SignInWindow) -> None:
        fields = self.map.admin_access.fields
        if window == "any_time":
            bind.CHOICE.write(form, fields.sign_in_times, {}, "any_time")
            return
        bind.CHOICE.write(form, fields.sign_in_times, {}, "restricted")
        bind.CHOICE.write(form, fields.window_start, {}, window.start)
        bind.CHOICE.write(form, fields.window_end, {}, window.end)

    def _check_affiliations(
        self, path: str, back: tuple[Affiliation, ...], want: tuple[Affiliation, ...]
    ) -> None:
        grid_field = self.map.affiliations.fields.grid.named()
        got = {a.school: a for a in back}
        for aff in want:
            have = got.get(aff.school)
            if have != aff:
                shown = "no row" if have is None else f"{have!r}"
                raise WriteNotAppliedError(
                    page=path,
                    field=grid_field,
                    detail=f"school {aff.school} reads back {shown}, posted {aff!r}",
                )

    def _check_roles(
        self, path: str, back: tuple[Role, ...], want: tuple[Role, ...]
    ) -> None:
        fields = self.map.admin_access.fields
        got = {r.school: r for r in back}
        for role in want:
            have = got.pop(role.school, None)
            if have is None:
                raise WriteNotAppliedError(
                    page=path,
                    field=fields.new_role_school.name,
                    detail=f"no role for school {role.school}",
                )
            self.w.mismatch(path, bind.ROLE_ROW, fields, have, role, school=role.school)
        for school in sorted(got):
            raise WriteNotAppliedError(
                page=path,
                field=fields.remove_role.named(school=school),
                detail="the role is still there",
            )


def drop(form: Form, *fields: FieldMap) -> None:
    """Leave ``fields`` out of the post, as a page's script removes inputs."""
    names = {field.named() for field in fields}
    form.controls = [c for c in form.controls if c.name not in names]
