"""The PCAS recipe (the research notes' test vector), stored hashes, md5.js."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psconfig.sim.pcas import (
    b64_md5,
    hash_password,
    pcas_dbpw,
    pcas_password,
    verify_pcas,
    verify_plain,
)
from tests.sim.browser import Browser

KEY = "0123456789ABCDEF0123456789ABCDEF"


def test_research_notes_vector() -> None:
    assert b64_md5("Secret#1") == "s5ZW0mXUtLQz2XDS5QGSGA"
    assert pcas_password(KEY, "Secret#1") == "e8736b240da44be031eb410438872168"
    assert pcas_dbpw(KEY, "Secret#1") == "ae116ac9fcbdbade072965758dc19e70"


def test_stored_hash_is_salted_and_verifies() -> None:
    one, two = (
        hash_password("Secret#1", pcas=False),
        hash_password("Secret#1", pcas=False),
    )
    assert one.salt != two.salt and one.hash != two.hash
    assert one.pcas_b64_md5 is None
    assert "Secret#1" not in one.model_dump_json()
    assert verify_plain(one, "Secret#1")
    assert not verify_plain(one, "secret#1")
    assert not verify_plain(None, "Secret#1")
    assert not verify_pcas(one, KEY, pcas_password(KEY, "Secret#1"))


@given(password=st.text(min_size=1, max_size=40), key=st.text(min_size=1, max_size=40))
def test_pcas_challenge_accepts_exactly_the_right_password(
    password: str, key: str
) -> None:
    stored = hash_password(password, pcas=True)
    assert verify_pcas(stored, key, pcas_password(key, password))
    assert not verify_pcas(stored, key, pcas_password(key, password + "x"))
    assert not verify_pcas(stored, key + "x", pcas_password(key, password))


@pytest.mark.anyio
@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
@pytest.mark.parametrize("flavor", ["legacy"], indirect=True)
async def test_served_md5_js_computes_the_same_recipe(anon: Browser) -> None:
    source = (await anon.get("/admin/javascript/md5.js")).text
    samples = ["Secret#1", "", "héllo wörld ✓", "x" * 100]
    script = source + (
        f"\nconst key = {json.dumps(KEY)};"
        f"\nconsole.log(JSON.stringify({json.dumps(samples)}.map(p => ["
        "b64_md5(p), hex_hmac_md5(key, b64_md5(p)), "
        "hex_hmac_md5(key, p.toLowerCase())])));"
    )
    node = shutil.which("node")
    assert node is not None
    result = subprocess.run(
        [node, "-e", script], capture_output=True, text=True, check=True
    )
    expected = [[b64_md5(p), pcas_password(KEY, p), pcas_dbpw(KEY, p)] for p in samples]
    assert json.loads(result.stdout) == expected
