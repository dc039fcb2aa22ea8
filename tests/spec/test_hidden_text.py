"""Text that would read differently from what it is: refused in specs, at its place.

Unicode format characters (Cf: a right-to-left override, a zero-width space, a
byte-order mark) and control characters (Cc: NUL, BEL, CR, LF, ESC) are refused in
every text value and key of a spec, each at its own line and column; staff IDs are
ASCII digits; a group named like a built-in group it is not is warned about.
"""

from __future__ import annotations

import json

import pytest

from psconfig.errors import Problem, SpecError
from psconfig.spec import load_spec
from tests.spec.conftest import PRESET_SPEC, WriteSpec

HIDDEN = {
    "rlo": "\u202e",
    "zwsp": "\u200b",
    "bom": "\ufeff",
    "isolate": "\u2066",
    "tag": "\U000e0041",
    "nul": "\x00",
    "bel": "\x07",
    "cr": "\r",
    "lf": "\n",
    "esc": "\x1b",
    "line separator": "\u2028",
    "surrogate": "\udb40",
}

# Each spec part has one X where the hidden character goes.
FIELDS = {
    "server.username": "server:\n  url: https://ps.example.org\n  username: adminX\n"
    "  password: ${env:PS}\n",
    "group name": "security_groups:\n  - {number: 14, name: ExportX}\n",
    "incident type": (
        "security_groups:\n  - {number: 14, name: E, incident_types: [BULX]}\n"
    ),
    "preset group_name": "preset:\n  clever-dde-sync:\n    group_name: ExpX\n",
    "preset last_name": "preset:\n  clever-dde-sync:\n    last_name: SyncX\n",
    "preset username": "preset:\n  clever-dde-sync:\n    username: syncX\n",
    "staff last_name": "staff:\n  - {id: '5', last_name: SmithX}\n",
    "staff email": "staff:\n  - {id: '5', email: a@b.orgX}\n",
    "staff title": "staff:\n  - {id: '5', title: ClerkX}\n",
    "staff username": "staff:\n  - {id: '5', admin_access: {username: bobX}}\n",
    "school name key": "schools:\n  LincolnX: 5\n",
    "waiver reason": "policy:\n  waive:\n    - {rule: PS011, reason: firewallX}\n",
}

BASE = "psconfig: 1\nname: district\nserver: {url: sim://district}\n"


def _spec(fields: str) -> str:
    if fields.startswith("server:"):
        return "psconfig: 1\nname: district\n" + fields
    return BASE + fields


def _problems(write_spec: WriteSpec, text: str) -> list[Problem]:
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(text))
    return list(caught.value.problems)


# A waiver's reason is prose: a newline is fine there (see below).
CASES = [
    pytest.param(field, char, id=f"{field}-{name}")
    for field in FIELDS
    for name, char in HIDDEN.items()
    if not (field == "waiver reason" and char == "\n")
]


@pytest.mark.parametrize(("field", "char"), CASES)
def test_a_hidden_character_is_refused_at_its_value(
    write_spec: WriteSpec, field: str, char: str
) -> None:
    escaped = f"\\U{ord(char):08X}"  # a YAML double-quoted escape
    text = _spec(FIELDS[field]).replace("X", f'"{escaped}"', 1)
    # Quote the whole scalar: "Export\u202e" rather than Export"\u202e".
    text, where = _requote(text, escaped)
    problems = _problems(write_spec, text)
    code = f"U+{ord(char):04X}"
    found = [p for p in problems if code in p.message]
    assert found, problems
    (problem,) = found
    assert (problem.line, problem.col) == where, problem
    assert problem.severity == "error"
    assert "invisible control or format character" in problem.message
    assert char not in problem.message


def _requote(text: str, escaped: str) -> tuple[str, tuple[int, int]]:
    """``word"ESC"`` made ``"wordESC"`` (one quoted scalar), and where it starts."""
    marker = f'"{escaped}"'
    head, tail = text.split(marker, 1)
    cut = max(head.rfind(c) for c in " [{")
    word = head[cut + 1 :]
    before = head[: cut + 1]
    line = before.count("\n") + 1
    col = len(before) - (before.rfind("\n") + 1) + 1
    return f'{before}"{word}{escaped}"{tail}', (line, col)


def test_newlines_are_fine_in_a_waiver_reason_only(write_spec: WriteSpec) -> None:
    text = PRESET_SPEC.replace("    allowed_ips: [192.0.2.10]\n", "") + (
        "policy:\n  waive:\n    - rule: PS011\n      reason: >\n"
        "        the district firewall\n        enforces it\n"
    )
    (warning,) = load_spec(write_spec(text)).warnings
    assert warning.rule == "PS011" and warning.severity == "notice"


@pytest.mark.parametrize(
    "staff_id", ["\u0669\u0669\u0669", "\uff19\uff19", "1\u00b2", "99 99", "A100"]
)
def test_staff_ids_are_ascii_digits(write_spec: WriteSpec, staff_id: str) -> None:
    text = BASE + f"staff:\n  - {{id: {json.dumps(staff_id)}, last_name: X}}\n"
    problems = _problems(write_spec, text)
    assert any(
        (p.line, p.col) == (5, 10) and "ASCII digits" in p.message for p in problems
    ), problems


@pytest.mark.parametrize("name", ["Admin", "  admin ", "NURSE", "View  Only"])
def test_a_group_renamed_to_a_built_in_name_is_warned(
    write_spec: WriteSpec, name: str
) -> None:
    text = PRESET_SPEC + f"security_groups:\n  - {{number: 12, name: {name!r}}}\n"
    (warning,) = load_spec(write_spec(text)).warnings
    assert (warning.rule, warning.severity) == ("PS019", "warning")
    assert (warning.line, warning.col) == (9, 24)
    assert "built-in group" in warning.message


def test_a_built_in_group_keeping_its_name_is_fine(write_spec: WriteSpec) -> None:
    text = BASE + "security_groups:\n  - {number: 2, name: Admin}\n"
    assert load_spec(write_spec(text)).warnings == ()
