r"""Making text safe to show: every character a reader cannot see is escaped.

Text from PowerSchool (group and staff names, incident codes, messages) reaches
plans, drift reports, PR comments and error lines. A right-to-left override, a
zero-width space, a carriage return or an escape sequence would make a line read
differently from what it holds, so each such character is written as a JSON-style
escape (``\u202e``; a character beyond U+FFFF as its surrogate pair), which stays
valid inside a JSON string and readable anywhere else.
"""

from __future__ import annotations

import re
import unicodedata

_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_ASCII_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def _escape(char: str) -> str:
    code = ord(char)
    if code > 0xFFFF:
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def printable(text: str, *, newlines: bool = True) -> str:
    r"""``text`` with every non-printable character escaped.

    ``newlines`` keeps ``\n`` as a line break (a whole document); without it a
    newline is escaped too (one line that must stay one line).
    """
    if text.isascii() and not _ASCII_CONTROL.search(text):
        return text if newlines or "\n" not in text else text.replace("\n", "\\u000a")
    out = []
    for char in text:
        if char == "\n" and newlines:
            out.append(char)
        elif unicodedata.category(char) in _HIDDEN_CATEGORIES:
            out.append(_escape(char))
        else:
            out.append(char)
    return "".join(out)


def printable_lines(lines: list[str]) -> str:
    """Lines joined by newlines, each escaped as one line (``newlines=False``)."""
    return "\n".join(printable(line, newlines=False) for line in lines)
