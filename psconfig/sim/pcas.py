"""Password recipes: PowerSchool's PCAS browser hashing and the stored password hash.

PCAS recipe (PowerSchool's md5.js, Paul Johnston's library with ``b64pad=""``):

- ``b64_md5(x)`` = base64(MD5(utf8(x))) without ``=`` padding (22 characters);
- the admin ``password`` field = ``hex_hmac_md5(key, b64_md5(plaintext))``;
- ``dbpw`` = ``hex_hmac_md5(key, plaintext.lower())``;

where ``key`` is the per-page ``pskey``/``contextData``. Stored passwords are salted
PBKDF2-SHA256; legacy-flavor states also keep ``b64_md5(pw)``, which the PCAS
challenge needs (see ``PasswordHash``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache

from psconfig.sim.state import PasswordHash

PBKDF2_ITERATIONS = 100_000
"""Work factor for new password hashes (stored per hash, so old ones still verify)."""


def b64_md5(text: str) -> str:
    """Base64 of MD5 of the UTF-8 text, without padding."""
    digest = hashlib.md5(text.encode("utf-8"), usedforsecurity=False).digest()
    return base64.b64encode(digest).decode("ascii").rstrip("=")


def hex_hmac_md5(key: str, data: str) -> str:
    """Hex HMAC-MD5 of UTF-8 ``data`` under UTF-8 ``key``."""
    return hmac.new(key.encode("utf-8"), data.encode("utf-8"), hashlib.md5).hexdigest()


def pcas_password(key: str, plaintext: str) -> str:
    """The value a PCAS sign-in page's script puts in the ``password`` field."""
    return hex_hmac_md5(key, b64_md5(plaintext))


def pcas_dbpw(key: str, plaintext: str) -> str:
    """The value a PCAS sign-in page's script puts in the ``dbpw`` field."""
    return hex_hmac_md5(key, plaintext.lower())


def new_key() -> str:
    """A fresh per-page sign-in key: 32 upper-case hex characters."""
    return secrets.token_hex(16).upper()


def hash_password(plaintext: str, *, pcas: bool) -> PasswordHash:
    """Hash a new password; ``pcas`` also keeps the PCAS verifier (legacy flavor)."""
    salt = secrets.token_bytes(16)
    return PasswordHash(
        iterations=PBKDF2_ITERATIONS,
        salt=salt.hex(),
        hash=_pbkdf2(plaintext, salt, PBKDF2_ITERATIONS),
        pcas_b64_md5=b64_md5(plaintext) if pcas else None,
    )


@lru_cache(maxsize=4)
def cached_hash(plaintext: str, *, pcas: bool) -> PasswordHash:
    """``hash_password`` computed once per process (for seeding demo credentials)."""
    return hash_password(plaintext, pcas=pcas)


def verify_plain(stored: PasswordHash | None, plaintext: str) -> bool:
    """True when ``plaintext`` matches the stored PBKDF2 hash."""
    if stored is None or not plaintext:
        return False
    salt = bytes.fromhex(stored.salt)
    candidate = _pbkdf2(plaintext, salt, stored.iterations)
    return hmac.compare_digest(candidate, stored.hash)


def verify_pcas(stored: PasswordHash | None, key: str, posted: str) -> bool:
    """True when ``posted`` is the PCAS ``password`` value for ``key``."""
    if stored is None or stored.pcas_b64_md5 is None or not posted:
        return False
    expected = hex_hmac_md5(key, stored.pcas_b64_md5)
    return hmac.compare_digest(expected, posted.strip().lower())


def _pbkdf2(plaintext: str, salt: bytes, iterations: int) -> str:
    raw = hashlib.pbkdf2_hmac("sha256", plaintext.encode("utf-8"), salt, iterations)
    return raw.hex()
