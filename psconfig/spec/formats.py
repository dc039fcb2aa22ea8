"""Single-value formats of the spec: names, URLs, IDs, references, IPs, times.

Each is an ``Annotated`` type whose validator raises ``ValueError`` with a short
message saying what is expected; the shape validator turns it into a located
problem. The JSON Schema of each type says the same for editors.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from psconfig.model import HHMM

FORMAT_VERSION = 1

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SIM_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_PAGE = re.compile(r"^/admin/[A-Za-z0-9._~/-]*$")
_USERNAME = re.compile(r"^\S{1,64}$")
_LOOPBACK_NAMES = {"localhost"}


def check_version(value: object) -> object:
    # The integer 1 only: true and 1.0 are equal to it in Python, not in a spec.
    if type(value) is not int or value != FORMAT_VERSION:
        raise ValueError(
            f"unsupported format version {value!r}; this psconfig reads `psconfig: 1`"
        )
    return value


def check_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(
            "a name is 1-64 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit"
        )
    return value


def check_url(value: str) -> str:
    """Normalize a server URL: ``https://``, ``sim://NAME``, or loopback ``http://``.

    Raises:
        ValueError: any other scheme, credentials in the URL, a query or fragment
            (other than ``?flavor=`` on sim://), or plain http to a remote host.

    """
    try:
        parts = urlsplit(value.strip())
        host = parts.hostname or ""
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        raise ValueError("not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme == "sim":
        return _check_sim(parts.netloc, parts.path, parts.query, parts.fragment)
    if scheme not in ("https", "http") or not host:
        raise ValueError("expected https://HOST, sim://NAME, or http:// on loopback")
    if parts.username is not None or parts.password is not None:
        raise ValueError("put credentials under server.username/password, not the URL")
    if parts.query or parts.fragment:
        raise ValueError("a server URL takes no query (?...) or fragment (#...)")
    if scheme == "http" and not _is_loopback(host):
        raise ValueError(
            "plain http:// is allowed only for loopback (127.0.0.1, localhost, [::1]); "
            "use https://"
        )
    netloc = parts.netloc.rsplit("@", 1)[-1].lower()
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def _check_sim(name: str, path: str, query: str, fragment: str) -> str:
    if not _SIM_NAME.match(name) or path not in ("", "/") or fragment:
        raise ValueError("expected sim://NAME (lowercase letters, digits, '-', '_')")
    if query and query not in ("flavor=legacy", "flavor=modern"):
        raise ValueError("sim:// takes only ?flavor=legacy or ?flavor=modern")
    return f"sim://{name}" + (f"?{query}" if query else "")


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _staff_id(value: object) -> object:
    # `id: 99999` unquoted is a number in YAML; staff IDs are text in PowerSchool.
    if type(value) is int:
        return str(value)
    return value


def _page_path(value: str) -> str:
    if not _PAGE.match(value):
        raise ValueError(
            "a page path starts with /admin/ and has no query, e.g. "
            "/admin/tech/dde/home.html"
        )
    # /admin/../x and /admin//x name other pages than they seem to, or none.
    if any(part in ("", ".", "..") for part in value.split("/")[2:-1]) or (
        value.rsplit("/", 1)[-1] in (".", "..")
    ):
        raise ValueError(
            "a page path has no '.', '..' or empty segments, e.g. "
            "/admin/tech/dde/home.html"
        )
    return value


def _ip(value: str) -> str:
    try:
        if "/" in value:
            return str(ipaddress.ip_network(value, strict=True))
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(
            f"{value!r} is not an IPv4/IPv6 address or network (CIDR with no host "
            "bits set, e.g. 203.0.113.0/24)"
        ) from None


def _sign_in_time(value: str) -> str:
    if not HHMM.match(value):
        raise ValueError('expected a time as "HH:MM" (24-hour), e.g. "06:30"')
    if value[3:] not in ("00", "30"):
        # PowerSchool's sign-in time menus offer half-hour steps (see the page
        # contract in psconfig/sim/PAGES.md); anything else cannot be applied.
        raise ValueError("sign-in times go in 30-minute steps (05:00, 05:30, ...)")
    return value


def _username(value: str) -> str:
    if not _USERNAME.match(value):
        raise ValueError("a username is 1-64 characters without spaces")
    return value


def _ref_check(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("expected a group number or a group name")
    if isinstance(value, int) and not 1 <= value <= 500:
        raise ValueError("group numbers are 1-500")
    if isinstance(value, str) and not value.strip():
        raise ValueError("expected a group number or a group name")
    return value


def _school_check(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("expected a school number or a school name")
    if isinstance(value, int) and value < 0:
        raise ValueError("school numbers are 0 (District Office) or more")
    return value


# The loader's validators give the precise messages; the schemas below only tell
# editors the same rules (patterns are a guide there, not the authority).
SpecName = Annotated[
    str,
    AfterValidator(check_name),
    WithJsonSchema({"type": "string", "pattern": _NAME.pattern}),
]
ServerUrl = Annotated[
    str,
    AfterValidator(check_url),
    WithJsonSchema({"type": "string", "pattern": r"^(https?|sim)://[^\s]+$"}),
]
StaffId = Annotated[
    str,
    BeforeValidator(_staff_id),
    # ASCII digits only: str.isdigit() and regex \d also take Arabic-Indic or
    # full-width digits, which render like 99999 and are another ID.
    Field(min_length=1, max_length=20, pattern=r"^[0-9]+$"),
    WithJsonSchema({"type": ["string", "integer"], "description": "The staff ID."}),
]
GroupNumber = Annotated[int, Field(ge=1, le=500)]
GroupRef = Annotated[
    int | str,
    BeforeValidator(_ref_check),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": 500},
                {"type": "string", "minLength": 1},
            ],
            "description": "A group number, a group named in this spec, or a "
            "built-in group name (Unassigned ... SPED Teachers, Group 12, Group 13).",
        }
    ),
]
SchoolRef = Annotated[
    int | str,
    BeforeValidator(_school_check),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string"}],
            "description": "A school number, District Office (0), or a name from "
            "the top-level schools map.",
        }
    ),
]
PagePath = Annotated[
    str,
    AfterValidator(_page_path),
    WithJsonSchema({"type": "string", "pattern": _PAGE.pattern}),
]
IpEntry = Annotated[
    str,
    AfterValidator(_ip),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9A-Fa-f.:]+(/[0-9]{1,3})?$"}),
]
SignInTime = Annotated[
    str,
    AfterValidator(_sign_in_time),
    WithJsonSchema({"type": "string", "pattern": r"^(?:[01]\d|2[0-3]):[03]0$"}),
]
Username = Annotated[
    str,
    AfterValidator(_username),
    WithJsonSchema({"type": "string", "pattern": _USERNAME.pattern}),
]
Text = Annotated[str, Field(max_length=200)]
