"""The public loading API: LoadedSpec, credentials, secrets, expand_paths."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from psconfig.errors import SecretError, SpecError
from psconfig.spec import SIM_PASSWORD, SecretRef, expand_paths, load_spec
from tests.spec.conftest import PRESET_SPEC, WriteSpec

HTTPS = """\
psconfig: 1
name: real
server:
  url: HTTPS://PS.Example.org:8443/
  username: ${env:PS_ADMIN_USER}
  password: ${file:admin.secret}
preset:
  clever-dde-sync:
    password: ${env:CLEVER_SYNC_PASSWORD}
    allowed_ips: [192.0.2.10]
"""


def test_identity_of_a_loaded_spec(write_spec: WriteSpec) -> None:
    path = write_spec(PRESET_SPEC)
    loaded = load_spec(path)
    assert loaded.path == path
    assert loaded.name == "district"
    assert loaded.digest == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.name = "other"  # type: ignore[misc]


def test_the_server_target_is_normalized(write_spec: WriteSpec) -> None:
    server = load_spec(write_spec(HTTPS)).server
    assert server.url == "https://ps.example.org:8443"
    assert server.flavor == "auto"
    assert server.username == SecretRef("env", "PS_ADMIN_USER")
    assert server.password == SecretRef("file", "admin.secret")
    assert not server.is_sim


@pytest.mark.parametrize(
    ("url", "flavor"),
    [("sim://demo", "auto"), ("sim://demo?flavor=legacy", "legacy")],
)
def test_sim_targets_and_their_flavor(
    write_spec: WriteSpec, url: str, flavor: str
) -> None:
    text = PRESET_SPEC.replace("sim://district", url)
    server = load_spec(write_spec(text)).server
    assert (server.url, server.flavor, server.is_sim) == (url, flavor, True)


def test_sim_credentials_default_to_the_demo_admin(write_spec: WriteSpec) -> None:
    username, password = load_spec(write_spec(PRESET_SPEC)).credentials()
    assert (username, password.get_secret_value()) == ("admin", SIM_PASSWORD)


def test_credentials_resolve_env_and_file_references(
    write_spec: WriteSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PS_ADMIN_USER", "psadmin")
    spec = write_spec(HTTPS, "sub/spec.yaml")
    # ${file:...} is relative to the spec's directory; one trailing newline dropped.
    (spec.parent / "admin.secret").write_text("s3cret pass\n\n")
    username, password = load_spec(spec).credentials()
    assert username == "psadmin"
    assert password.get_secret_value() == "s3cret pass\n"


def sync_password(spec: Path) -> str:
    desired = load_spec(spec).desired(resolve_secrets=True)
    return desired.passwords["99999"].get_secret_value()


def test_a_file_reference_may_be_absolute(
    write_spec: WriteSpec, tmp_path: Path
) -> None:
    # /run/secrets/... (Docker, Kubernetes) is the usual home of a mounted secret.
    secret = tmp_path / "run" / "secrets" / "clever-sync"
    secret.parent.mkdir(parents=True)
    secret.write_text("absolute-pass\n")
    text = PRESET_SPEC.replace("${env:CLEVER_SYNC_PASSWORD}", f"${{file:{secret}}}")
    assert sync_password(write_spec(text, "specs/district.yaml")) == "absolute-pass"


def test_a_relative_file_reference_is_read_from_the_spec_directory(
    write_spec: WriteSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ``..`` may climb out of the spec's directory; the working directory (here
    # one that holds a decoy of the same name) plays no part.
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "sync").write_text("beside-the-specs\n")
    decoy = tmp_path / "elsewhere"
    (decoy / "secrets").mkdir(parents=True)
    (decoy / "secrets" / "sync").write_text("decoy")
    text = PRESET_SPEC.replace("${env:CLEVER_SYNC_PASSWORD}", "${file:../secrets/sync}")
    spec = write_spec(text, "specs/district.yaml")
    monkeypatch.chdir(decoy / "secrets")
    assert sync_password(spec) == "beside-the-specs"


def test_desired_resolves_passwords_only_when_asked(
    write_spec: WriteSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLEVER_SYNC_PASSWORD", "canary-never-print")
    loaded = load_spec(write_spec(PRESET_SPEC))
    plain = loaded.desired(resolve_secrets=False)
    assert plain.passwords == {}
    assert plain.password_refs == {"99999": "${env:CLEVER_SYNC_PASSWORD}"}
    resolved = loaded.desired(resolve_secrets=True)
    assert resolved.passwords["99999"].get_secret_value() == "canary-never-print"
    assert "canary-never-print" not in repr(resolved) + repr(loaded)


def test_unresolvable_references_name_the_reference_and_its_place(
    write_spec: WriteSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLEVER_SYNC_PASSWORD", raising=False)
    loaded = load_spec(write_spec(PRESET_SPEC))
    with pytest.raises(SecretError) as caught:
        loaded.desired(resolve_secrets=True)
    assert str(caught.value) == (
        f"{loaded.path}:6:15: error: ${{env:CLEVER_SYNC_PASSWORD}}: "
        "environment variable is not set"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        (b"", "the secret is empty"),
        (b"\xff\xfe", "not UTF-8"),
        (b"x" * 70_000, "larger than 64 KiB"),
    ],
)
def test_bad_secret_files(
    write_spec: WriteSpec, content: bytes | None, message: str
) -> None:
    text = PRESET_SPEC.replace("${env:CLEVER_SYNC_PASSWORD}", "${file:pw.txt}")
    spec = write_spec(text)
    if content is not None:
        (spec.parent / "pw.txt").write_bytes(content)
    with pytest.raises(SecretError) as caught:
        load_spec(spec).desired(resolve_secrets=True)
    (problem,) = caught.value.problems
    assert problem.message.startswith("${file:pw.txt}: ")
    assert message in problem.message
    assert (problem.line, problem.col) == (6, 15)


def test_an_empty_environment_variable_is_refused(
    write_spec: WriteSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLEVER_SYNC_PASSWORD", "")
    with pytest.raises(SecretError, match="the secret is empty"):
        load_spec(write_spec(PRESET_SPEC)).desired(resolve_secrets=True)


def test_warnings_stay_on_the_loaded_spec(write_spec: WriteSpec) -> None:
    text = PRESET_SPEC.replace("    allowed_ips: [192.0.2.10]\n", "")
    (warning,) = load_spec(write_spec(text)).warnings
    assert warning.rule == "PS011"


def test_errors_come_before_warnings(write_spec: WriteSpec) -> None:
    text = PRESET_SPEC.replace("    allowed_ips: [192.0.2.10]\n", "") + (
        "security_groups:\n  - {number: 12, language_translator: true}\n"
    )
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(text))
    assert [p.severity for p in caught.value.problems] == ["error", "warning"]


def test_an_unreadable_path_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r":1:1: error: cannot read the file"):
        load_spec(tmp_path)


def test_expand_paths_walks_directories_sorted(tmp_path: Path) -> None:
    for name in ("b.yaml", "a.yml", "sub/c.yaml", ".hidden/d.yaml", "sub/.e.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / "notes.txt").write_text("x")
    single = tmp_path / "b.yaml"
    found = expand_paths([single, tmp_path])
    assert found == [single, tmp_path / "sub" / "c.yaml"]
    assert expand_paths([tmp_path / "a.yml"]) == [tmp_path / "a.yml"]


def test_expand_paths_reports_every_missing_path(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(SpecError) as caught:
        expand_paths([tmp_path / "nope.yaml", tmp_path / "empty"])
    messages = [p.message for p in caught.value.problems]
    assert messages == ["no such file or directory", "no *.yaml files here"]
