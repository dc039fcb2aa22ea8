"""Staff operations: create, update, set password, delete, deactivate.

A staff member spans three forms (Edit Information, Teachers and Affiliations, Admin
Access and Roles); an update writes only the forms whose values differ. Revoking
admin sign-in is written first and granting it last, so a half-applied change never
leaves more access than either end state. Rows that do not exist yet (a new
affiliation, a new role) are added one per post through the form's "add" row, as
the page allows, before the main post sets every row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from psconfig.drivers.portal import bind
from psconfig.drivers.portal.controls import Form, Where
from psconfig.drivers.portal.map_parts import FieldMap
from psconfig.drivers.portal.maps import PortalMap
from psconfig.drivers.portal.reader import StaffRef, validated
from psconfig.drivers.portal.session import UncertainWriteError
from psconfig.errors import (
    AccessDeniedError,
    ConnectError,
    DriverError,
    WriteNotAppliedError,
)
from psconfig.model import (
    AdminAccess,
    Affiliation,
    CreateStaff,
    DeactivateStaff,
    DeleteStaff,
    Role,
    SetStaffPassword,
    SignInWindow,
    Staff,
    UpdateStaff,
)

if TYPE_CHECKING:
    from psconfig.drivers.portal.writer import Writer

StaffOp = CreateStaff | UpdateStaff | SetStaffPassword | DeleteStaff | DeactivateStaff


class StaffWriter:
    """The staff half of ``Writer`` (same session, reader and write shape)."""

    def __init__(self, writer: Writer) -> None:
        self.w = writer

    @property
    def map(self) -> PortalMap:
        return self.w.map

    async def apply(self, op: StaffOp) -> None:
        if isinstance(op, CreateStaff):
            await self.create(op)
        elif isinstance(op, UpdateStaff):
            ref = await self.w.require_staff(op.before.id)
            password = self.w.secret(op.password)
            await self.update_pages(ref, op.before, op.after, password)
        elif isinstance(op, SetStaffPassword):
            await self.set_password(op)
        elif isinstance(op, DeleteStaff):
            await self.delete(op)
        else:
            await self.deactivate(op)

    # -- operations --------------------------------------------------------------

    async def create(self, op: CreateStaff) -> None:
        """Switch to the staff member's school, create it, then set its security."""
        after = op.after
        await self.switch_school(after.school)
        ref = await self.new_record(after)
        current = await self.w.reader.staff_member(ref)
        await self.update_pages(ref, current, after, self.w.secret(op.password))

    async def deactivate(self, op: DeactivateStaff) -> None:
        """Admin sign-in off, every role removed, status No longer here."""
        before = op.before
        admin = before.admin_access.model_copy(update={"enabled": False, "roles": ()})
        after = before.model_copy(
            update={"status": "no_longer_here", "admin_access": admin}
        )
        ref = await self.w.require_staff(before.id)
        await self.update_pages(ref, before, after, None)

    async def delete(self, op: DeleteStaff) -> None:
        page = self.map.staff_delete
        ref = await self.w.reader.find_staff(op.before.id)
        if ref is None:
            return  # already gone: deleting is idempotent
        path = page.path(frn=ref.frn)

        async def verify() -> None:
            if await self.w.reader.find_staff(op.before.id) is not None:
                raise WriteNotAppliedError(
                    page=path, field="(record)", detail="the staff member still exists"
                )

        await self.w.write(path, page, lambda form: None, verify)

    async def set_password(self, op: SetStaffPassword) -> None:
        """Post a new admin password; it is write-only, so the save must confirm."""
        page = self.map.admin_access
        ref = await self.w.require_staff(op.staff_id)
        path = page.path(frn=ref.frn)
        secret = op.password.get_secret_value()

        def fill(form: Form) -> None:
            bind.require_all(form, page.fields)
            bind.TEXT.write(form, page.fields.password, {}, secret)

        try:
            answer = await self.w.session.submit(path, page.form, fill)
            doc = self.w.check_answer(answer, path)
        except UncertainWriteError as exc:
            raise ConnectError(
                f"{exc}; a password cannot be read back, so whether it was set is "
                "unknown: set it again"
            ) from None
        if doc is not None and not doc.texts(self.map.markers.saved_xpath):
            raise WriteNotAppliedError(
                page=path,
                field=page.fields.password.name,
                detail="PowerSchool did not confirm the save",
            )

    # -- steps -------------------------------------------------------------------

    async def switch_school(self, school: int) -> None:
        """Make ``school`` the session's current school (District Office is 0)."""
        home, page = self.map.home, self.map.school_context

        async def current() -> str | None:
            return (await self.w.session.document(home.url)).text(home.school_xpath)

        if await current() == str(school):
            return

        def fill(form: Form) -> None:
            name = bind.control_name(form, page.fields.school)
            if str(school) not in form.choices(name):
                raise AccessDeniedError(
                    f"{page.url}: {self.w.session.username!r} may not switch to "
                    f"school {school}"
                )
            form.set(name, str(school))

        async def verify() -> None:
            now = await current()
            if now != str(school):
                raise WriteNotAppliedError(
                    page=page.url,
                    field=page.fields.school.name,
                    detail=f"the session's school is {now!r}, not {school}",
                )

        await self.w.write(page.url, page, fill, verify)

    async def new_record(self, after: Staff) -> StaffRef:
        """Post New Staff Member; the school comes from the session's context."""
        page = self.map.staff_new
        found: list[StaffRef] = []

        def fill(form: Form) -> None:
            name = bind.control_name(form, page.fields.school)
            if form.value(name) != str(after.school):
                raise DriverError(
                    f"{page.url}: the form is for school {form.value(name)!r}, not "
                    f"{after.school}: switching the school context did not take"
                )
            bind.write_all(form, page.fields, bind.STAFF_NEW, after)

        async def verify() -> None:
            ref = await self.w.reader.find_staff(after.id)
            if ref is None:
                raise WriteNotAppliedError(
                    page=page.url,
                    field=page.fields.id.name,
                    detail=f"no staff member has ID {after.id!r} after saving",
                )
            found.append(ref)

        await self.w.write(page.url, page, fill, verify)
        return found[-1]

    async def update_pages(
        self, ref: StaffRef, before: Staff, after: Staff, password: str | None
    ) -> None:
        """Write each staff form whose values differ; revocations go first.

        Changes the portal cannot make are refused before anything is posted.
        """
        self._refuse_impossible(before, after)
        revoking = before.admin_access.enabled and not after.admin_access.enabled
        if revoking:
            await self.write_admin(ref, before.admin_access, after.admin_access, None)
        steps = [self.write_edit, self.write_affiliations]
        if _homes(before) != _homes(after):
            # Edit Information's Staff Type is the home row's: move the home first,
            # so the type lands on the new home row and the old row keeps its own.
            steps.reverse()
        for step in steps:
            await step(ref, before, after)
        if not revoking:
            await self.write_admin(
                ref, before.admin_access, after.admin_access, password
            )

    def _refuse_impossible(self, before: Staff, after: Staff) -> None:
        # The staff member's school is its home school, which moves with the
        # home-school radio of Teachers and Affiliations; nothing else moves it.
        homes = {a.school for a in after.affiliations if a.home}
        if before.school != after.school and homes != {after.school}:
            raise DriverError(
                f"staff member {after.id!r}: moving to school {after.school} needs "
                "the home affiliation there (affiliations: home: true)"
            )
        gone = sorted(
            {a.school for a in before.affiliations}
            - {a.school for a in after.affiliations}
        )
        if gone:
            raise DriverError(
                f"staff member {after.id!r}: PowerSchool cannot remove the "
                f"affiliation with school {gone[0]}; make it inactive "
                "(active: false) instead"
            )

    async def write_edit(self, ref: StaffRef, before: Staff, after: Staff) -> None:
        page = self.map.staff_edit
        todo = bind.changed(bind.STAFF_EDIT, before, after)
        if not todo:
            return
        path = page.path(frn=ref.frn)

        async def verify() -> None:
            back = self._merged(after, await self.w.reader.person(ref), path)
            self.w.mismatch(path, todo, page.fields, back, after)

        await self.w.write(
            path,
            page,
            lambda form: bind.write_all(form, page.fields, todo, after),
            verify,
        )

    async def write_affiliations(
        self, ref: StaffRef, before: Staff, after: Staff
    ) -> None:
        page = self.map.affiliations
        fields, path = page.fields, page.path(frn=ref.frn)
        if (before.teacher_access, before.affiliations) == (
            after.teacher_access,
            after.affiliations,
        ):
            return
        old = {a.school: a for a in before.affiliations}
        new = {a.school: a for a in after.affiliations}
        for school in sorted(new.keys() - old.keys()):
            await self.add_row(ref, fields.new_school, new[school])

        def fill(form: Form) -> None:
            bind.write_all(
                form, fields, bind.changed(bind.TEACHER_ACCESS, before, after), after
            )
            for school, aff in new.items():
                prior = old.get(school)
                todo = bind.changed(bind.AFFILIATION_ROW, prior, aff)
                bind.write_all(form, fields, todo, aff, school=school)
                if aff.home and not (prior and prior.home):
                    form.set(bind.control_name(form, fields.home), str(school))

        async def verify() -> None:
            teacher, rows = await self.w.reader.affiliation_page(ref)
            values = {"teacher_access": teacher, "affiliations": rows}
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

    async def add_row(
        self, ref: StaffRef, school_field: FieldMap, row: Affiliation | Role
    ) -> None:
        """Add one affiliation or role through its form's "add" row."""
        affiliation = isinstance(row, Affiliation)
        page = self.map.affiliations if affiliation else self.map.admin_access
        path = page.path(frn=ref.frn)

        def fill(form: Form) -> None:
            bind.NUMBER.write(form, school_field, {}, row.school)
            if isinstance(row, Affiliation):
                type_field = self.map.affiliations.fields.new_staff_type
                bind.CHOICE.write(form, type_field, {}, row.staff_type)
            else:
                group_field = self.map.admin_access.fields.new_role_group
                bind.OPTIONAL_NUMBER.write(form, group_field, {}, row.group)

        async def verify() -> None:
            if affiliation:
                schools = {
                    a.school for a in (await self.w.reader.affiliation_page(ref))[1]
                }
            else:
                schools = {
                    r.school for r in (await self.w.reader.admin_page(ref)).roles
                }
            if row.school not in schools:
                raise WriteNotAppliedError(
                    page=path,
                    field=school_field.name,
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
        fields = self.map.affiliations.fields
        got = {a.school: a for a in back}
        for aff in want:
            have = got.get(aff.school)
            if have is None:
                raise WriteNotAppliedError(
                    page=path,
                    field=fields.new_school.name,
                    detail=f"no row for school {aff.school}",
                )
            if have.home != aff.home:
                raise WriteNotAppliedError(
                    page=path,
                    field=fields.home.name,
                    detail=f"home is {have.home!r} for school {aff.school}",
                )
            self.w.mismatch(
                path, bind.AFFILIATION_ROW, fields, have, aff, school=aff.school
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


def _homes(staff: Staff) -> set[int]:
    """The schools of ``staff``'s home affiliation rows (one, or none read yet)."""
    return {a.school for a in staff.affiliations if a.home}
