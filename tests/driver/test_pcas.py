"""The PCAS hashing recipe, checked against the research notes' test vector."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from psconfig.drivers.portal.http import pcas

KEY = "0123456789ABCDEF0123456789ABCDEF"


def test_notes_test_vector() -> None:
    assert pcas.b64_md5("Secret#1") == "s5ZW0mXUtLQz2XDS5QGSGA"
    assert pcas.hashed_password(KEY, "Secret#1") == "e8736b240da44be031eb410438872168"
    assert pcas.hashed_dbpw(KEY, "Secret#1") == "ae116ac9fcbdbade072965758dc19e70"


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_hashes_are_hmac_md5_hex_of_unpadded_base64(key: str, password: str) -> None:
    b64 = pcas.b64_md5(password)
    assert len(b64) == 22 and "=" not in b64
    expected = hmac.new(key.encode(), b64.encode(), hashlib.md5).hexdigest()
    assert pcas.hashed_password(key, password) == expected
    assert pcas.hashed_dbpw(key, password) == pcas.hex_hmac_md5(key, password.lower())
