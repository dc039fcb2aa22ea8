"""The three staff forms: Edit Information, Teachers and Affiliations, Admin Access.

Each ``write_*`` posts one form with only the values that differ and reads it back.
Affiliations travel as the grid's JSON (``grid``), new schools included. Roles are
rows of "Roles and Schools": a role leaves through its row's "Remove" action and
arrives through the "Add User Access Roles" dialog (one role, at one school or
several, per post), every control found by its label. ``staff_writer`` decides
which forms an operation needs and in what order.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from psconfig.drivers.portal.forms import bind, grid, labels
from psconfig.drivers.portal.forms.controls import Form, Where, normalize_label
from psconfig.drivers.portal.pagemap.map_parts import FieldMap
from psconfig.drivers.portal.pagemap.maps import PortalMap
from psconfig.drivers.portal.pages.reader import StaffRef, validated
from psconfig.errors import WriteNotAppliedError
from psconfig.model import AdminAccess, Affiliation, Role, SignInWindow, Staff

if TYPE_CHECKING:
    from psconfig.drivers.portal.pages.form_writer import FormWriter


class StaffPages:
    """Writes a staff member's forms through ``FormWriter``'s write shape."""

    def __init__(self, writer: FormWriter) -> None:
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
        """Admin Access and Roles: the scalars, removed rows, then added roles.

        Roles are rows, not one per school: a removed role is its row's "Remove"
        action, an added one goes through the "Add User Access Roles" dialog
        (schools chosen by name, the role by its text), one post per role, the
        first riding along with the main post. Every control is found by label.
        """
        page = self.map.admin_access
        path = page.path(frn=ref.frn)
        if before == after and password is None:
            return
        removed = list((Counter(before.roles) - Counter(after.roles)).elements())
        batches = _batches(Counter(after.roles) - Counter(before.roles))
        scalars = bind.changed(bind.ADMIN, before, after)
        names = await self.w.reader.cached_schools() if batches else {}
        rows = await self._rows(path) if removed else []

        def fill(form: Form) -> None:
            bind.write_all(form, page.fields, scalars, after)
            if batches:
                self._fill_add(form, batches[0], names)
            if before.sign_in_window != after.sign_in_window:
                self._write_window(form, after.sign_in_window)
            for name in self._removals(form, rows, removed):
                form.set_checked(name, True)
            if password is not None:
                bind.TEXT.write(form, page.fields.password, {}, password)

        expected = _after_post(Counter(before.roles) - Counter(removed), batches[:1])

        async def verify() -> None:
            back = await self.w.reader.admin_page(ref)
            self.w.mismatch(path, scalars, page.fields, back, after)
            if back.sign_in_window != after.sign_in_window:
                raise WriteNotAppliedError(
                    page=path,
                    field=page.fields.sign_in_times.name,
                    detail=f"reads back {back.sign_in_window!r}",
                )
            self._check_roles(path, back.roles, expected)

        await self.w.write(path, page, fill, verify)
        for batch in batches[1:]:
            expected = _after_post(Counter(expected), [batch])
            await self.add_roles(ref, batch, names, expected)

    async def add_roles(
        self,
        ref: StaffRef,
        batch: tuple[int | None, list[int]],
        names: dict[int, str],
        expected: tuple[Role, ...],
    ) -> None:
        """One role at one or more schools, through the add dialog alone."""
        page = self.map.admin_access
        path = page.path(frn=ref.frn)

        def fill(form: Form) -> None:
            self._fill_add(form, batch, names)

        async def verify() -> None:
            back = (await self.w.reader.admin_page(ref)).roles
            self._check_roles(path, back, expected)

        await self.w.write(path, page, fill, verify)

    async def _rows(self, path: str) -> list[tuple[Role, list[str]]]:
        """Each row of "Roles and Schools": its role and its controls' names."""
        doc = await self.w.session.document(path)
        table = self.map.admin_access.roles
        roles = await self.w.reader.roles(doc)
        controls = doc.table_controls(table.label) or []
        return list(zip(roles, controls, strict=False))

    def _removals(
        self, form: Form, rows: list[tuple[Role, list[str]]], removed: list[Role]
    ) -> list[str]:
        """The "Remove" control of one row per removed role (first rows first)."""
        field = self.map.admin_access.roles.remove
        left = list(rows)
        out = []
        for role in removed:
            index = next((i for i, (shown, _) in enumerate(left) if shown == role), -1)
            if index < 0:
                label = self.map.admin_access.roles.label
                raise form.where.missing(label, f"has no row {_shown(role)}")
            _, names = left.pop(index)
            out.append(labels.in_row(form, field, names, school=role.school))
        return out

    def _fill_add(
        self, form: Form, batch: tuple[int | None, list[int]], names: dict[int, str]
    ) -> None:
        """Choose the batch's schools by name and its role by text in the dialog."""
        fields = self.map.admin_access.add_role.fields
        group, schools = batch
        box = bind.control_name(form, fields.schools)
        texts = form.texts(box)
        chosen = []
        for school in schools:
            wanted = normalize_label(names.get(school, f"School {school}"))
            values = [value for value, text in texts.items() if text == wanted]
            if len(values) != 1:
                offered = sorted(texts.values())
                detail = "offers no school" if not values else "offers several schools"
                raise form.where.missing(
                    fields.schools.shown(), f"{detail} {wanted!r} (offered: {offered})"
                )
            chosen.append(values[0])
        form.set_checked_values(box, chosen)
        bind.OPTIONAL_NUMBER.write(form, fields.role, {}, group)

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
        """Every role reads back as a row, and no other row is left."""
        table = self.map.admin_access.roles
        missing = Counter(want) - Counter(back)
        extra = Counter(back) - Counter(want)
        for role in sorted(missing, key=_role_key):
            raise WriteNotAppliedError(
                page=path,
                field=self.map.admin_access.add_role.title,
                detail=f"no role {_shown(role)} in {table.label!r}",
            )
        for role in sorted(extra, key=_role_key):
            raise WriteNotAppliedError(
                page=path,
                field=table.remove.shown(school=role.school),
                detail=f"the role {_shown(role)} is still there",
            )


def _role_key(role: Role) -> tuple[int, int]:
    return role.school, -1 if role.group is None else role.group


def _shown(role: Role) -> str:
    group = "Default Group Access" if role.group is None else f"group {role.group}"
    return f"{group} at school {role.school}"


def _after_post(
    roles: Counter[Role], batches: list[tuple[int | None, list[int]]]
) -> tuple[Role, ...]:
    """``roles`` with the ``batches`` added: what a post should read back."""
    for group, schools in batches:
        roles += Counter(Role(school=school, group=group) for school in schools)
    return tuple(sorted(roles.elements(), key=_role_key))


def _batches(added: Counter[Role]) -> list[tuple[int | None, list[int]]]:
    """Added roles as (group, schools) posts: the dialog gives one role per post.

    A school appears once per post, so a second identical role needs its own post.
    """
    out: list[tuple[int | None, list[int]]] = []
    for role in sorted(added.elements(), key=_role_key):
        batch = next(
            (b for b in out if b[0] == role.group and role.school not in b[1]), None
        )
        if batch is None:
            out.append((role.group, [role.school]))
        else:
            batch[1].append(role.school)
    return out


def drop(form: Form, *fields: FieldMap) -> None:
    """Leave ``fields`` out of the post, as a page's script removes inputs."""
    names = {field.named() for field in fields}
    form.controls = [c for c in form.controls if c.name not in names]
