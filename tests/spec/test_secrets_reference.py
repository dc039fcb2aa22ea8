"""resolve_reference: a secret reference given outside a spec (a command-line value).

It resolves ``${env:NAME}`` and ``${file:PATH}`` like a spec's references do, and
refuses a literal, a malformed reference or an unresolvable one with a one-line
``SecretError`` that names where the text came from, never a value.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psconfig.errors import SecretError
from psconfig.spec import resolve_reference

FLAG = "--sync-password"


def refused(text: str, base_dir: Path, env: dict[str, str] | None = None) -> str:
    """The one problem message of the SecretError ``text`` raises."""
    with pytest.raises(SecretError) as caught:
        resolve_reference(text, base_dir, name=FLAG, env=env or {})
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.col) == (FLAG, 0, 0)
    assert "\n" not in problem.message
    return problem.message


def test_an_env_reference_resolves_from_the_given_environment(tmp_path: Path) -> None:
    env = {"CLEVER_SYNC_PASSWORD": "s3cret-from-env"}
    value = resolve_reference("${env:CLEVER_SYNC_PASSWORD}", tmp_path, env=env)
    assert value.get_secret_value() == "s3cret-from-env"
    assert "s3cret" not in repr(value)


def test_the_environment_defaults_to_the_process_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PSCONFIG_TEST_REFERENCE", "from-the-process")
    value = resolve_reference("${env:PSCONFIG_TEST_REFERENCE}", tmp_path)
    assert value.get_secret_value() == "from-the-process"


def test_a_file_reference_is_relative_to_base_dir(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "sync").write_text("from-a-file\n", encoding="utf-8")
    value = resolve_reference("${file:secrets/sync}", tmp_path, env={})
    assert value.get_secret_value() == "from-a-file"  # one trailing newline dropped


@pytest.mark.parametrize("literal", ["hunter2-the-password", "", "{env:CANARY}"])
def test_a_literal_is_refused_without_repeating_it(
    tmp_path: Path, literal: str
) -> None:
    message = refused(literal, tmp_path)
    assert message.startswith(f"{FLAG} takes a reference such as ${{env:NAME}}")
    assert "never the password itself" in message
    if literal:
        assert literal not in message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("${env:NOT-A-NAME}", "needs a variable name"),
        ("${file: }", "needs a path"),
        ("${vault:x}", "malformed secret reference"),
        ("${env:X", "malformed secret reference"),
    ],
)
def test_a_malformed_reference_is_refused(tmp_path: Path, text: str, says: str) -> None:
    message = refused(text, tmp_path)
    assert message.startswith(f"{FLAG}: ")
    assert says in message


def test_an_unset_variable_names_the_reference(tmp_path: Path) -> None:
    message = refused("${env:NOT_SET_ANYWHERE}", tmp_path, env={"OTHER": "x"})
    assert (
        message == f"{FLAG}: ${{env:NOT_SET_ANYWHERE}}: environment variable is not set"
    )


def test_an_empty_variable_is_refused(tmp_path: Path) -> None:
    message = refused("${env:EMPTY}", tmp_path, env={"EMPTY": ""})
    assert message == f"{FLAG}: ${{env:EMPTY}}: the secret is empty"


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    message = refused("${file:nowhere/sync}", tmp_path)
    assert message.startswith(f"{FLAG}: ${{file:nowhere/sync}}: cannot read ")
    assert "nowhere/sync" in message


def test_an_unreadable_file_value_never_reaches_the_message(tmp_path: Path) -> None:
    (tmp_path / "latin1").write_bytes(b"caf\xe9-canary-value")
    message = refused("${file:latin1}", tmp_path)
    assert message == f"{FLAG}: ${{file:latin1}}: the file is not UTF-8 text"
    assert "canary" not in message


@given(
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=40
    )
)
def test_any_literal_is_refused_and_never_echoed(text: str) -> None:
    secret = "canary-" + text
    with pytest.raises(SecretError) as caught:
        resolve_reference(secret, Path(), name=FLAG, env={})
    assert secret not in str(caught.value)
