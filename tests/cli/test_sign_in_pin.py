"""``server.sign_in`` reaches the driver: it settles an unclear sign-in page.

Without it, a page whose hashing markers disagree gets no password at all (the
request log holds no post); with ``sign_in: pcas`` the same page signs in.
"""

from __future__ import annotations

import json
from pathlib import Path

from psconfig.sim import request_log_path, save_state, seed_state
from tests.cli.helpers import error_lines, run, state_file, write_demo


def _unclear_legacy_server() -> Path:
    state = seed_state(flavor="legacy")
    state.settings.signin_markers = "pskey_without_md5js"
    state.request_log = True
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    save_state(state, path)
    return path


def _posts(path: Path) -> list[str]:
    log = request_log_path(path)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    return [r["path"] for r in records if r["is_write"]]


def test_an_unclear_page_is_refused_in_one_line_posting_nothing() -> None:
    path = _unclear_legacy_server()
    spec = write_demo()
    result = run("plan", str(spec))
    assert result.exit_code == 1, result.output
    [line] = error_lines(result)
    assert "sign-in refused before posting any password" in line
    assert "var pskey, no md5.js script" in line
    assert line.endswith(
        "set server.sign_in: pcas or plain in the spec to say which it uses"
    )
    assert _posts(path) == []


def test_the_spec_pin_signs_in_on_the_same_page() -> None:
    path = _unclear_legacy_server()
    spec = write_demo()
    text = spec.read_text().replace(
        'server: {url: "sim://demo"}', 'server: {url: "sim://demo", sign_in: pcas}'
    )
    spec.write_text(text)
    result = run("plan", str(spec))
    assert result.exit_code in (0, 2), result.output
    posts = _posts(path)
    assert posts[0] == "/admin/home.html" and posts.count("/admin/home.html") == 1


def test_doctor_reports_an_unclear_page_and_takes_the_pin_as_a_flag() -> None:
    path = _unclear_legacy_server()
    refused = run("doctor", "--server", "sim://demo")
    assert refused.exit_code == 1, refused.output
    assert "sign-in refused before posting any password" in refused.output
    assert _posts(path) == []
    pinned = run("doctor", "--server", "sim://demo", "--sign-in", "pcas")
    assert "signed in as 'admin'" in pinned.output, pinned.output
    assert _posts(path) == ["/admin/home.html"]
