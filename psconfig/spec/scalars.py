"""Plain values of YAML scalars, from the tag the YAML resolver gave them.

Kept apart from the loader because it needs no YAML library: it is only arithmetic on
the scalar's text.
"""

from __future__ import annotations

import re
from typing import Any

_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")


def convert(tag: str, text: str) -> Any:
    """The value of a scalar whose resolved tag is ``tag`` (``!!int``, ``!!str``...).

    YAML 1.2 core schema: null, booleans, integers (decimal, ``0x``, ``0o``, ``0b``,
    ``_`` separators), floats; any other tag (timestamps...) stays text.
    """
    if tag == "!!null":
        return None
    if tag == "!!bool":
        return text.lower() == "true"
    if tag == "!!int":
        # Digits with a leading zero are octal to YAML 1.1 and decimal to 1.2;
        # as text they keep every digit (a staff ID like 007 stays "007"). No value
        # in a spec needs more than a few digits; a longer one stays text, so the
        # schema reports it at its position instead of int() raising past Python's
        # conversion limit.
        if _LEADING_ZERO.match(text) or len(text) > _MAX_INT_CHARS:
            return text
        return _int(text)
    if tag == "!!float":
        return _float(text)
    return text


_MAX_INT_CHARS = 64


def _int(text: str) -> int:
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
        if digits.lower().startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits)


def _float(text: str) -> float:
    lowered = text.replace("_", "").lower()
    if lowered.endswith((".inf", ".nan")):
        return float(lowered.replace(".", ""))
    return float(lowered)
