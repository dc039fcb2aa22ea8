"""PowerSchool's PCAS sign-in hashing (research notes §1.3B), as the browser does it.

PowerSchool's ``md5.js`` is Paul Johnston's MD5 library with ``b64pad = ""`` and
UTF-8 input. Legacy sign-in pages run ``doPCASLogin``, which replaces the typed
password before posting:

- ``password`` = ``hex_hmac_md5(key, b64_md5(password))``
- ``dbpw``     = ``hex_hmac_md5(key, password.lower())``

where ``key`` is the per-page-load ``pskey`` / ``contextData``. Test vector (notes):
key ``0123456789ABCDEF0123456789ABCDEF``, password ``Secret#1`` gives b64_md5
``s5ZW0mXUtLQz2XDS5QGSGA``, password field ``e8736b240da44be031eb410438872168`` and
dbpw ``ae116ac9fcbdbade072965758dc19e70``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def b64_md5(text: str) -> str:
    """Base64 of the MD5 of ``text`` (UTF-8), without ``=`` padding (22 chars)."""
    digest = hashlib.md5(text.encode("utf-8"), usedforsecurity=False).digest()
    return base64.b64encode(digest).decode("ascii").rstrip("=")


def hex_hmac_md5(key: str, data: str) -> str:
    """Lower-case hex HMAC-MD5 of ``data`` under ``key`` (both UTF-8)."""
    return hmac.new(key.encode("utf-8"), data.encode("utf-8"), "md5").hexdigest()


def hashed_password(key: str, password: str) -> str:
    """The value PCAS posts in the admin form's ``password`` field."""
    return hex_hmac_md5(key, b64_md5(password))


def hashed_dbpw(key: str, password: str) -> str:
    """The value PCAS posts in the hidden ``dbpw`` field."""
    return hex_hmac_md5(key, password.lower())
