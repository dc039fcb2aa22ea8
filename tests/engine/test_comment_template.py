"""The PR comment's templates: untrusted text stays inert, an override is escaped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psconfig.engine.planning.plan import Plan
from psconfig.errors import PsconfigError
from psconfig.render.markdown import comment_templates, render_markdown
from psconfig.render.templating import md, md_code, md_comment
from tests.engine.builders import clever_desired, plan_for
from tests.engine.fakes import fresh_state

# What a group or staff name from PowerSchool, or a spec path from a pull request,
# might hold to break a comment out of its place.
HOSTILE = (
    "Ops | `x` <!-- @district-admins [click](https://evil.example) **\\\n"
    "next &#64;security"
)


def hostile_plan() -> Plan:
    """A plan whose messages, notes and addresses carry ``HOSTILE``."""
    plan = plan_for(clever_desired(), fresh_state())
    changes = []
    for change in plan.changes:
        if change.address == "group.12":
            change = change.model_copy(update={"address": f"group[{HOSTILE}]"})
        elif change.findings:
            message = f"renamed to {HOSTILE}"
            findings = (change.findings[0].model_copy(update={"message": message}),)
            change = change.model_copy(update={"findings": findings})
        changes.append(change)
    return plan.model_copy(
        update={"changes": tuple(changes), "notes": (f"staff {HOSTILE} noted",)}
    )


def assert_inert(markdown: str) -> None:
    """No hostile text acts as Markdown: one marker, no mention, link or tag.

    Code spans are left out: nothing inside one is interpreted.
    """
    markdown = re.sub(r"`[^`\n]*`", "", markdown)
    # no HTML comment but the marker psconfig writes, which hides the rest
    assert "<!--" not in markdown.removeprefix("<!-- psconfig:")
    assert "@district-admins" not in markdown  # no mention notifies anyone
    assert "](https://evil" not in markdown  # no link
    assert "&#64;" not in markdown  # no mention spelled as a character reference
    assert "**\\" not in markdown
    for line in markdown.splitlines():
        # a hostile value never starts a line of its own
        assert not line.startswith("next"), line


def test_hostile_names_stay_inert_in_the_default_comment() -> None:
    markdown = render_markdown(hostile_plan())
    assert_inert(markdown.split("<details>")[0])
    assert "- Note: staff Ops \\| 'x' &lt;!-- @&#8203;district-admins" in markdown
    assert "- `group[Ops | 'x' <!-- @district-admins [click](https://evil" in markdown
    assert "**privilege escalation**: renamed to Ops \\| 'x' &lt;!--" in markdown
    # The full plan sits in a diff fence, which holds no fence of its own.
    assert markdown.count("```") == 2


def test_an_override_gets_escaped_values_unless_it_asks_for_raw(
    tmp_path: Path,
) -> None:
    (tmp_path / "plan.md.j2").write_text(
        "<!-- psconfig:{{ mode }} name={{ name }} -->\n"
        "{% for note in notes %}\n"
        "escaped: {{ note }}\n"
        "raw: {{ note|md_raw }}\n"
        "{% endfor %}\n"
    )
    markdown = render_markdown(hostile_plan(), templates=comment_templates(tmp_path))
    escaped, raw = markdown.splitlines()[1:3]
    assert_inert(escaped)
    assert raw.startswith("raw: staff Ops | `x` <!--")


def test_an_override_that_prints_too_much_is_still_cut_to_the_limit(
    tmp_path: Path,
) -> None:
    (tmp_path / "plan.md.j2").write_text(
        '{% extends "psconfig/plan.md.j2" %}\n'
        "{% block footer %}\n{{ body }}{{ body }}{% endblock %}\n"
    )
    markdown = render_markdown(
        hostile_plan(), limit=3_000, templates=comment_templates(tmp_path)
    )
    assert len(markdown) <= 3_000
    assert markdown.endswith("see the CI log or the JSON plan\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("line one\n{% if %}\n", r"plan\.md\.j2:2: template: Expected an expression"),
        ("{{ nothing.here }}\n", r"plan\.md\.j2:1: template: 'nothing' is undefined"),
        ("{{ 1 / 0 }}\n", r"plan\.md\.j2:1: template: ZeroDivisionError"),
    ],
)
def test_a_broken_override_names_its_file_and_line(
    tmp_path: Path, content: str, message: str
) -> None:
    (tmp_path / "plan.md.j2").write_text(content)
    with pytest.raises(PsconfigError, match=message) as caught:
        render_markdown(hostile_plan(), templates=comment_templates(tmp_path))
    assert str(tmp_path) in str(caught.value)
    assert "\n" not in str(caught.value)


@given(st.text())
def test_escaped_text_is_one_line_with_no_live_markup(text: str) -> None:
    for escaped in (md(text), md_code(text, cell=True), md_comment(text)):
        assert "\n" not in escaped and "\r" not in escaped
    assert "`" not in md(text) and "`" not in md_code(text)
    assert "-->" not in md_comment(text) and "--" not in md_comment(text)
    assert "<" not in md(text)
    assert not re.search(r"(?<![\\])\]\(", md(text))
    assert not re.search(r"(?:^|[^\\])(?:\\\\)*\|", md(text))  # every | escaped
    assert not re.search(r"(?:^|[^\w@])@(?!&#8203;)[\w-]", md(text))
    # the only character references are the ones the escaping wrote
    assert not re.search(r"&(?!amp;|lt;|#8203;)#?\w+;", md(text))


def test_a_template_cannot_reach_python_internals(tmp_path: Path) -> None:
    (tmp_path / "plan.md.j2").write_text("{{ plan.__class__.__init__.__globals__ }}\n")
    with pytest.raises(PsconfigError, match=r"plan\.md\.j2:1: template: .*unsafe"):
        render_markdown(hostile_plan(), templates=comment_templates(tmp_path))
