"""Secret and spec files must be regular files: a FIFO, a socket, a device or a
directory is one located error, never a hang and never silently skipped."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from psconfig.errors import SecretError, SpecError
from psconfig.spec import expand_paths, load_spec
from tests.spec.conftest import PRESET_SPEC, WriteSpec

# Generous: the read either returns at once or blocks forever.
HANG_S = 20.0


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


@contextmanager
def _socket(path: Path) -> Iterator[Path]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    try:
        yield path
    finally:
        sock.close()


def _unblock(path: Path) -> None:
    """Open a FIFO for writing, so a reader stuck on it (before the fix) returns."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return
    os.close(fd)


def _bounded(call: Callable[[], object], fifo: Path | None) -> BaseException | None:
    """What ``call`` raised, failing the test if it did not return in time."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as exc:  # handed back to the test
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(HANG_S)
    if worker.is_alive():
        if fifo is not None:
            _unblock(fifo)
        worker.join(HANG_S)
        pytest.fail(f"hung for {HANG_S:g} s on a non-regular file")
    return outcome[0]


@pytest.mark.parametrize("shape", ["fifo", "directory", "socket", "device"])
def test_a_secret_reference_to_a_non_regular_file_is_one_located_error(
    write_spec: WriteSpec, tmp_path: Path, shape: str
) -> None:
    target = {"device": "/dev/null", "socket": "pw.sock"}.get(shape, "pw")
    spec = write_spec(
        PRESET_SPEC.replace("${env:CLEVER_SYNC_PASSWORD}", f"${{file:{target}}}")
    )
    fifo = None
    with ExitStack() as stack:
        if shape == "fifo":
            fifo = _fifo(spec.parent / "pw")
        elif shape == "directory":
            (spec.parent / "pw").mkdir()
        elif shape == "socket":
            stack.enter_context(_socket(spec.parent / "pw.sock"))
        loaded = load_spec(spec)
        raised = _bounded(lambda: loaded.desired(resolve_secrets=True), fifo)
    assert isinstance(raised, SecretError), raised
    (problem,) = raised.problems
    assert (problem.line, problem.col) == (6, 15)
    assert problem.message.startswith(f"${{file:{target}}}: ")
    assert "not a regular file" in problem.message
    assert "\n" not in problem.message


def test_a_fifo_named_as_a_spec_is_refused_without_reading(tmp_path: Path) -> None:
    fifo = _fifo(tmp_path / "district.yaml")
    raised = _bounded(lambda: load_spec(fifo), fifo)
    assert isinstance(raised, SpecError), raised
    (problem,) = raised.problems
    assert "not a regular file" in problem.message


@pytest.mark.parametrize("shape", ["fifo", "socket", "dangling link"])
def test_a_non_regular_yaml_file_in_a_spec_directory_is_reported(
    tmp_path: Path, shape: str
) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "a.yaml").write_text(PRESET_SPEC)
    odd = specs / "b.yaml"
    with ExitStack() as stack:
        if shape == "fifo":
            _fifo(odd)
        elif shape == "socket":
            stack.enter_context(_socket(odd))
        else:
            odd.symlink_to(specs / "gone.yaml")
        with pytest.raises(SpecError) as caught:
            expand_paths([specs])
    (problem,) = caught.value.problems
    assert problem.file == str(odd)
    expected = "cannot read" if shape == "dangling link" else "not a regular file"
    assert expected in problem.message
