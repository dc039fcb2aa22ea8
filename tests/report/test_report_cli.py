"""``psconfig report``: real plan, drift and verify results -> one HTML page."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pytest
from lxml.html import HtmlElement

from tests.report.conftest import HOSTILE, Evidence, cli


def page(*args: str) -> HtmlElement:
    result = cli("report", *args)
    assert result.exit_code == 0, result.output
    return lxml.html.document_fromstring(result.stdout)


def texts(doc: HtmlElement, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in doc.xpath(xpath)]


@pytest.fixture
def everything(evidence: Evidence) -> HtmlElement:
    return page(str(evidence.drift), str(evidence.verify), str(evidence.plan))


def test_critical_findings_come_first(everything: HtmlElement) -> None:
    items = texts(everything, "//ol[@class='attention']/li")
    levels = [item.split()[0] for item in items]
    assert levels[0] == "CRITICAL"
    assert levels == sorted(levels, key=["CRITICAL", "ERROR", "REVIEW"].index)
    critical = [i for i in items if i.startswith("CRITICAL")]
    # the drift escalation and the probe it makes fail, both springfield's
    assert any("group.12" in i and "log_types added: health" in i for i in critical)
    assert any("verify log-health" in i for i in critical)
    assert all(" springfield " in i for i in critical)
    errors = [i for i in items if i.startswith("ERROR")]
    assert len(errors) == 1 and "shelbyville" in errors[0]


def test_districts_are_ordered_by_how_bad(everything: HtmlElement) -> None:
    rows = [r.split() for r in texts(everything, "//table[@class='summary']/tbody/tr")]
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("springfield", "CRITICAL", "drift,"),  # its verify report joined it
        ("shelbyville", "failed", "drift"),
        ("lincoln", "clean", "drift"),
        ("lincoln", "clean", "plan"),  # a run of its own
    ]
    assert rows[0][4:7] == ["verify", "drift,", "verify"]


def test_a_hostile_name_from_powerschool_stays_text(evidence: Evidence) -> None:
    result = cli("report", str(evidence.drift))
    assert HOSTILE not in result.stdout
    doc = lxml.html.document_fromstring(result.stdout)
    assert doc.xpath("//img") == []
    changes = texts(doc, "//pre[@class='change']")
    shown = json.dumps(HOSTILE)  # as plan lines write values
    assert any(f'~ name: "Read-Only Export" -> {shown}' in text for text in changes), (
        changes
    )


def test_the_page_is_self_contained(everything: HtmlElement) -> None:
    assert everything.xpath("//script | //link | //iframe | //img | //object") == []
    assert all(href.startswith("#") for href in everything.xpath("//a/@href"))
    [policy] = everything.xpath(
        "//meta[@http-equiv='Content-Security-Policy']/@content"
    )
    assert "default-src 'none'" in policy


def test_each_district_says_when_and_against_what(
    everything: HtmlElement, evidence: Evidence
) -> None:
    [springfield] = everything.xpath("//section[@id='district-1']")
    runs = texts(springfield, ".//dl[@class='runs']/dd")
    assert len(runs) == 2  # drift and verify
    assert all("sim://springfield" in run for run in runs)
    assert all(
        "PowerSchool 25." in run and "specs/springfield.yaml" in run for run in runs
    )
    assert all(run.startswith("at 20") and "sha256:" in run for run in runs)
    kinds = texts(everything, "//table[@class='sources']/tbody/tr/td[2]")
    assert kinds == ["fleet", "verify", "plan"]


def test_failed_probes_lead_the_probe_table(everything: HtmlElement) -> None:
    outcomes = texts(
        everything, "//section[@id='district-1']//table[@class='probes']/tbody/tr/td[1]"
    )
    assert outcomes[0] == "fail"
    assert outcomes.count("fail") == 1 and outcomes.count("pass") > 20


def test_a_district_template_overrides_blocks(
    evidence: Evidence, tmp_path: Path
) -> None:
    (tmp_path / "report.html.j2").write_text(
        '{% extends "psconfig/report.html.j2" %}\n'
        "{% block title %}Springfield USD: {{ report.title }}{% endblock %}\n"
        '{% block footer %}<p id="contact">Questions: it@springfield.example, '
        "{{ report.attention[0].subject }}</p>{% endblock %}\n"
    )
    doc = page(str(evidence.drift), "--template", str(tmp_path), "--title", "<b>x</b>")
    assert doc.findtext(".//title") == "Springfield USD: <b>x</b>"  # escaped, as text
    assert texts(doc, "//p[@id='contact']") == [
        "Questions: it@springfield.example, group.12"
    ]
    assert texts(doc, "//ol[@class='attention']/li")[0].startswith("CRITICAL")


def test_an_operator_template_is_autoescaped_too(
    evidence: Evidence, tmp_path: Path
) -> None:
    (tmp_path / "report.html.j2").write_text(
        "{% for c in report.districts[0].changes %}{{ c.lines | map(attribute='text')"
        " | join('\\n') }}{% endfor %}"
    )
    result = cli("report", str(evidence.drift), "--template", str(tmp_path))
    assert result.exit_code == 0
    assert HOSTILE not in result.stdout and "&lt;img src=x" in result.stdout


def test_out_writes_the_page_and_stdin_is_read(
    evidence: Evidence, tmp_path: Path
) -> None:
    out = tmp_path / "pages" / "report.html"
    result = cli("report", "-", "--out", str(out), stdin=evidence.verify.read_text())
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    doc = lxml.html.document_fromstring(out.read_text())
    assert texts(doc, "//table[@class='sources']/tbody/tr/td[1]") == ["<stdin>"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "bad.json:1:2: not JSON"),
        (
            '{"format_version": "1.0", "hello": 1}',
            "bad.json: not a psconfig plan, drift",
        ),
        (
            '{"format_version": "2.0", "mode": "plan", "changes": []}',
            "bad.json: format_version '2.0'",
        ),
        ("[]", "bad.json: not a psconfig result"),
    ],
)
def test_a_document_it_cannot_use_is_one_error_line(
    tmp_path: Path, content: str, message: str
) -> None:
    (tmp_path / "bad.json").write_text(content)
    result = cli("report", "bad.json")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {message}")
    assert len(result.stderr.splitlines()) == 1 and result.stdout == ""


def test_template_and_input_mistakes_are_one_error_line(
    evidence: Evidence, tmp_path: Path
) -> None:
    (tmp_path / "report.html.j2").write_text("line one\n{% if %}\n")
    cases = {
        ("report",): "error: report needs at least one RESULT.json",
        ("report", "missing.json"): "error: cannot read missing.json: No such file",
        ("report", str(evidence.plan), "--template", "nowhere"): (
            "error: --template: nowhere is not a directory"
        ),
        (
            "report",
            str(evidence.plan),
            "--template",
            str(tmp_path),
        ): "report.html.j2:2:",
    }
    for args, message in cases.items():
        result = cli(*args)
        assert result.exit_code == 1, args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output


def test_the_docs_template_example_works(evidence: Evidence, tmp_path: Path) -> None:
    doc_page = Path(__file__).resolve().parents[2] / "docs" / "operator.md"
    readme = doc_page.read_text()
    block = readme.split("```jinja\n", 1)[1].split("```", 1)[0]
    (tmp_path / "report.html.j2").write_text(block)
    doc = page(str(evidence.plan), "--template", str(tmp_path))
    added = texts(doc, "//p[following-sibling::footer]")  # before the built-in one
    assert added[-1] == "Springfield USD IT, it@springfield.example"
    assert texts(doc, "//table[@class='sources']/tbody/tr/td[2]") == ["plan"]
