"""The init example of docs/operator.md, run as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tests.init.test_init import run

README = Path(__file__).resolve().parents[2] / "docs" / "operator.md"


def example(heading: str, language: str) -> str:
    section = README.read_text().split(heading, 1)[1]
    match = re.search(rf"```{language}\n(.*?)```", section, re.DOTALL)
    assert match, f"no {language} block under {heading}"
    return match.group(1)


def test_the_readme_init_example_runs_as_written() -> None:
    commands = example("### A starter spec: init", "sh").replace("\\\n", " ")
    for line in commands.strip().splitlines():
        program, *args = shlex.split(line)
        assert program == "psconfig"
        result = run(*args)
        assert result.exit_code == 0, (line, result.output)
    spec = Path("springfield.yaml").read_text()
    assert 'name: "springfield-usd"' in spec and '- "203.0.113.0/28"' in spec
