"""The USERS and SCHOOLSTAFF columns ``drift --via api`` reads, and nothing else.

One list serves both sides: the plugin package asks PowerSchool for read-only
access to exactly these columns (``access_request``), and the driver projects
exactly these (``projection``), so the plugin never holds a grant psconfig does not
use and the driver never asks for a column the plugin was not granted.
``password`` and ``teacherloginpw`` are deliberately absent.
"""

from __future__ import annotations

USERS = "users"
SCHOOLSTAFF = "schoolstaff"

USERS_FIELDS: tuple[str, ...] = (
    "dcid",
    "teachernumber",
    "last_name",
    "first_name",
    "middle_name",
    "email_addr",
    "title",
    "homeschoolid",
    "psaccess",
    "loginid",
    "adminldapenabled",
    "groupvalue",
    "allowloginstart",
    "allowloginend",
    "ipaddrrestrict",
    "ptaccess",
)
"""Identity, name, and every admin sign-in setting of Admin Access and Roles bar
the roles (no public table a plugin may read) and the write-only password."""

SCHOOLSTAFF_FIELDS: tuple[str, ...] = (
    "dcid",
    "users_dcid",
    "schoolid",
    "status",
    "staffstatus",
)
"""The home school's status (Current / No longer here) and staff type."""

GRANTS: dict[str, tuple[str, ...]] = {
    USERS: USERS_FIELDS,
    SCHOOLSTAFF: SCHOOLSTAFF_FIELDS,
}
