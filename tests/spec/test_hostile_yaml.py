"""Hostile YAML: refused with a located error, no traceback, in bounded time and memory.

Two kinds of cases, each run through ``psconfig validate`` in-process:

- the corpus files ``corpus/hostile-*.yaml`` (their ``# expect:`` header, as the
  rest of the corpus): alias tricks, unsafe and unneeded tags, duplicate keys,
  encodings that are not UTF-8, control characters, odd keys, nesting, numbers
  that are not numbers, injected newlines;
- cases generated here in the test's directory because they are big: documents
  over 1 MiB, a billion-laughs alias bomb, nesting 100 000 deep, a one-megabyte
  line, an unclosed quote running to the end of a megabyte, UTF-16 and UTF-32.

Every case must exit 1, print ``FILE:LINE:COL: error: ...`` at the expected place,
print no traceback, use under ``MAX_CPU_SECONDS`` of CPU time (timed alone: CPU
time, unlike the wall clock, does not grow when other work loads the machine), end
within ``MAX_WALL_SECONDS`` (roomy: it only catches a hang or a blow-up that waits
rather than computes) and allocate under ``MAX_MIB`` at its peak (``tracemalloc``,
in a second run, since tracing slows Python several times over).

Tens of thousands of YAML nodes under the 1 MiB limit are refused at the node past
the loader's bound (``MAX_NODES``), and an integer of thousands of digits at its
position; both once escaped the bounds and are pinned here.
"""

from __future__ import annotations

import codecs
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.events import NodeEvent
from typer.testing import Result

from psconfig.spec.loader import MAX_NODES
from tests.spec.conftest import CORPUS, Invoke
from tests.spec.test_corpus import Expected, assert_reported, expectations

MAX_CPU_SECONDS = 3.0
MAX_WALL_SECONDS = 60.0
MAX_MIB = 50
HEAD = "psconfig: 1\nname: corpus\nserver: {url: sim://corpus}\n"
MIB = 1024 * 1024


class CrashedError(AssertionError):
    """The command raised instead of reporting a located error."""


class TooSlowError(AssertionError):
    """The command used more than ``MAX_CPU_SECONDS`` of CPU or ``MAX_WALL_SECONDS``."""


class TooBigError(AssertionError):
    """The command's peak allocation went over ``MAX_MIB``."""


def refused_in_bounds(cli: Invoke, path: Path, expected: list[Expected]) -> None:
    """Validate ``path``: exit 1 at the expected place, within time and memory."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = cli("validate", str(path))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    check_refused(result, path, expected)
    if cpu >= MAX_CPU_SECONDS or wall >= MAX_WALL_SECONDS:
        raise TooSlowError(f"{path.name}: {cpu:.2f} s of CPU, {wall:.2f} s in all")
    tracemalloc.start()
    try:
        cli("validate", str(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    if peak >= MAX_MIB * MIB:
        raise TooBigError(f"{path.name}: peak {peak / MIB:.0f} MiB")


def check_refused(result: Result, path: Path, expected: list[Expected]) -> None:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise CrashedError(f"{path.name}: {type(result.exception).__name__}")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.stdout + result.stderr
    assert_reported(result.stdout, path, expected)


HOSTILE = sorted(CORPUS.glob("hostile-*.yaml"))


def test_the_hostile_corpus_is_there() -> None:
    assert len(HOSTILE) >= 30
    assert len(list(CORPUS.glob("*.yaml"))) >= 50


@pytest.mark.parametrize("case", HOSTILE, ids=[c.stem for c in HOSTILE])
def test_hostile_corpus_case(cli: Invoke, case: Path) -> None:
    refused_in_bounds(cli, case, expectations(case))


# ---------------------------------------------------------------------------
# Generated cases


@dataclass(frozen=True)
class Generated:
    """A case too big to commit: its bytes and where the error must point."""

    make: Callable[[], bytes]
    line: int
    col: int
    text: str


def _laughs() -> bytes:
    levels = [f"l0: &l0 [{', '.join(['lol'] * 9)}]"]
    for n in range(1, 10):
        refs = ", ".join([f"*l{n - 1}"] * 9)
        levels.append(f"l{n}: &l{n} [{refs}]")
    return (HEAD + "\n".join(levels) + "\n").encode()


GENERATED = {
    "over-1-mib": Generated(
        lambda: (HEAD + "# " + "x" * MIB + "\n").encode(), 1, 1, "larger than 1 MiB"
    ),
    "one-byte-over-1-mib": Generated(
        lambda: (HEAD + "#" * (MIB + 1 - len(HEAD))).encode(),
        1,
        1,
        "larger than 1 MiB",
    ),
    "huge-realistic-spec": Generated(
        lambda: (
            HEAD
            + "security_groups:\n"
            + "".join(
                f"  - number: {n % 500 + 1}\n    name: G{n}\n" for n in range(40000)
            )
        ).encode(),
        1,
        1,
        "larger than 1 MiB",
    ),
    "billion-laughs": Generated(_laughs, 6, 45, "more than 16 aliases"),
    "nesting-100000-deep": Generated(
        lambda: HEAD.replace(
            "corpus\n", "[" * 100_000 + "]" * 100_000 + "\n", 1
        ).encode(),
        2,
        38,
        "nested deeper than 32 levels",
    ),
    "block-nesting-500-deep": Generated(
        lambda: (HEAD + "".join("  " * i + f"k{i}:\n" for i in range(500))).encode(),
        36,
        65,
        "nested deeper than 32 levels",
    ),
    "one-megabyte-line": Generated(
        lambda: (HEAD + "title: " + "y" * 1_000_000 + "\n").encode(),
        4,
        1,
        "title: unknown key",
    ),
    "unclosed-quote-to-the-end": Generated(
        lambda: (HEAD + 'title: "' + "z" * 1_000_000 + "\n").encode(),
        5,
        1,
        "found unexpected end of stream",
    ),
    "utf-16": Generated(
        lambda: HEAD.encode("utf-16"), 1, 1, "not UTF-8 text (byte 0xff)"
    ),
    "utf-32": Generated(
        lambda: codecs.BOM_UTF32_BE + HEAD.encode("utf-32-be"),
        1,
        3,  # the BOM's two NUL bytes are valid UTF-8; its 0xfe is not
        "not UTF-8 text (byte 0xfe)",
    ),
}


def write_case(root: Path, name: str, case: Generated) -> Path:
    path = root / f"hostile-{name}.yaml"
    path.write_bytes(case.make())
    return path


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_hostile_case(cli: Invoke, tmp_path: Path, name: str) -> None:
    case = GENERATED[name]
    path = write_case(tmp_path, name, case)
    refused_in_bounds(cli, path, [Expected(case.line, case.col, "", case.text)])


# ---------------------------------------------------------------------------
# Tens of thousands of nodes under the 1 MiB limit: refused at the node past
# the loader's bound, found here from the YAML parser's own events.

MANY_NODES = {
    "hundred-thousand-unknown-keys": lambda: (
        HEAD + "".join(f"k{i}: v\n" for i in range(95_000))
    ),
    "flow-sequence-of-150000": lambda: (
        HEAD + "schools: [" + ",".join(["1"] * 150_000) + "]\n"
    ),
    "anchored-list-of-100000": lambda: (
        HEAD + "a: &a [" + ",".join(["x"] * 100_000) + "]\nb: [*a]\n"
    ),
}


def node_past_the_bound(text: str) -> tuple[int, int]:
    """1-based line and column of the first YAML node beyond ``MAX_NODES``."""
    events = YAML(typ="safe", pure=True).parse(text)
    nodes = (e for e in events if isinstance(e, NodeEvent))
    for count, event in enumerate(nodes, start=1):
        if count > MAX_NODES:
            return event.start_mark.line + 1, event.start_mark.column + 1
    raise AssertionError("the case is not over the bound")


@pytest.mark.parametrize("name", sorted(MANY_NODES))
def test_tens_of_thousands_of_nodes_are_refused_quickly(
    cli: Invoke, tmp_path: Path, name: str
) -> None:
    text = MANY_NODES[name]()
    path = tmp_path / f"hostile-{name}.yaml"
    path.write_text(text, encoding="utf-8")
    assert path.stat().st_size < MIB
    line, col = node_past_the_bound(text)
    expected = Expected(line, col, "", f"more than {MAX_NODES} YAML values")
    refused_in_bounds(cli, path, [expected])


@pytest.mark.parametrize(
    ("key", "line", "col"),
    [("psconfig", 1, 11), ("number", 5, 13)],
)
def test_an_integer_of_5000_digits_is_a_located_error(
    cli: Invoke, tmp_path: Path, key: str, line: int, col: int
) -> None:
    digits = "9" * 5000
    if key == "psconfig":
        text = HEAD.replace("psconfig: 1", f"psconfig: {digits}")
    else:
        text = HEAD + f"security_groups:\n  - number: {digits}\n    name: x\n"
    path = tmp_path / "hostile-huge-integer.yaml"
    path.write_text(text, encoding="utf-8")
    refused_in_bounds(cli, path, [Expected(line, col, "", "")])
