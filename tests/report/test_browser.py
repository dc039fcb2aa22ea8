"""The report in a real browser: Debian's Chromium, headless, driven by Playwright.

The page is loaded from a local file, as an auditor opens a CI artifact. The test
checks that it renders without a console error, that what needs attention is at the
top and CRITICAL, that a hostile name from PowerSchool is shown as text, and that
the page's Content-Security-Policy really keeps outside resources out. It writes a
full-page screenshot to ``$PSCONFIG_TEST_ARTIFACTS`` (default ``.artifacts/`` at the
repository root, git-ignored) for a person to look at.

The browser is the system's (``.ci/run`` installs Debian's ``chromium`` when it is
missing), never one Playwright downloads; without one the tests skip and say why.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.report.conftest import HOSTILE, Evidence, cli

REPO = Path(__file__).resolve().parents[2]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def artifacts_dir() -> Path:
    where = Path(os.environ.get("PSCONFIG_TEST_ARTIFACTS") or REPO / ".artifacts")
    where.mkdir(parents=True, exist_ok=True)
    return where


def chromium_or_skip() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip(
            "no Chromium on this machine: install Debian's chromium package "
            "(.ci/run does) to run the report's browser tests"
        )
    return found


@dataclass
class Visit:
    """A page load and everything the browser said about it."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    executable = chromium_or_skip()
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (the dev extra)"
    )
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh user-data-dir
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            headless=True,
            args=FLAGS,
            viewport={"width": 1200, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


@contextmanager
def visit(browser: Any, html: Path) -> Iterator[Visit]:
    page = browser.new_page()
    seen = Visit(page)
    page.on(
        "console",
        lambda m: seen.console_errors.append(m.text) if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: seen.console_errors.append(str(e)))
    page.on("request", lambda r: seen.requests.append(r.url))
    page.on("requestfailed", lambda r: seen.failed.append((r.url, r.failure)))

    def on_dialog(dialog: Any) -> None:  # an alert() would mean script ran
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(html.as_uri(), wait_until="load")
    try:
        yield seen
    finally:
        page.close()


def write_report(out: Path, *args: str) -> Path:
    result = cli("report", *args, "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_the_report_renders_in_chromium(
    browser: Any, evidence: Evidence, tmp_path: Path
) -> None:
    html = write_report(
        tmp_path / "report.html",
        str(evidence.drift),
        str(evidence.verify),
        str(evidence.plan),
    )
    with visit(browser, html) as seen:
        page = seen.page
        assert seen.console_errors == []
        assert seen.dialogs == []  # the hostile onerror never ran
        assert seen.requests == [html.as_uri()]  # nothing but the page itself
        assert page.title() == "psconfig evidence report"

        first = page.locator("ol.attention li").first
        assert first.is_visible()
        assert first.inner_text().startswith("CRITICAL")
        assert "springfield" in first.inner_text()
        badge = page.locator("ol.attention li .badge.critical").first
        red = badge.evaluate("e => getComputedStyle(e).backgroundColor")
        assert red == "rgb(180, 35, 24)"  # the inline stylesheet applied
        table = page.locator("table.summary").bounding_box()
        assert first.bounding_box()["y"] < table["y"]  # attention above the table

        assert page.locator("img").count() == 0
        changes = page.locator("section#district-1 pre.change").first.inner_text()
        assert json.dumps(HOSTILE) in changes  # shown as text, as plan lines show it
        assert page.locator("section#district-1 table.probes tr.fail").count() == 1

        shot = artifacts_dir() / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_page_policy_blocks_outside_resources(
    browser: Any, evidence: Evidence, tmp_path: Path
) -> None:
    """The guard behind 'self-contained': a template that reaches out is stopped."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "report.html.j2").write_text(
        '{% extends "psconfig/report.html.j2" %}{% block footer %}'
        '<img id="beacon" src="http://127.0.0.1:9/pixel.png">{% endblock %}'
    )
    html = write_report(
        tmp_path / "report.html", str(evidence.drift), "--template", str(templates)
    )
    with visit(browser, html) as seen:
        assert seen.page.locator("#beacon").count() == 1
        assert any("Content Security Policy" in e for e in seen.console_errors)
        beacon = ("http://127.0.0.1:9/pixel.png", "csp")  # blocked, never sent
        assert seen.failed == [beacon]
