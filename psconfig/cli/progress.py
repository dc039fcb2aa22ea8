"""Fleet progress on stderr: a rich bar on a terminal, one plain line otherwise.

A single spec reports nothing here (its own output says it all); a fleet run
reports each district as it finishes. While an operator answers questions the
progress comes as lines, never a live bar over the prompt.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from psconfig.cli import common

if TYPE_CHECKING:
    from psconfig.engine.fleet.runner import DistrictResult, Shard

OnDone = Callable[["DistrictResult"], None]


def district_error(district: DistrictResult) -> str:
    """A failed district's error lines, naming its spec unless they already do.

    Every character shows (``render.printable``): the error may quote PowerSchool.
    """
    from psconfig.render.printable import printable

    return printable(common.error_text(district.error or "", path=district.path))


@contextmanager
def progress(
    paths: list[Path],
    command: str,
    *,
    fleet: bool,
    shard: Shard | None,
    prompts: bool,
) -> Iterator[OnDone]:
    """A callback reporting each finished district while the block runs."""
    from psconfig.engine.fleet.runner import select_shard

    if not fleet:
        yield _quiet
        return
    if common.is_quiet():
        yield _errors_only
        return
    total = len(select_shard(paths, shard))
    if common.stderr_is_tty() and not prompts:
        with _bar(command, total) as on_done:
            yield on_done
    else:
        yield _PlainLines(command, total).done


def _quiet(district: DistrictResult) -> None:
    """A single spec reports nothing beyond its own output."""


def _errors_only(district: DistrictResult) -> None:
    """``--quiet``: a failed district's error, and nothing about the others."""
    if district.error is not None:
        common.err(district_error(district))


class _PlainLines:
    """One stderr line per finished district, numbered, for logs."""

    def __init__(self, command: str, total: int) -> None:
        self.command = command
        self.total = total
        self.finished = 0

    def done(self, district: DistrictResult) -> None:
        from psconfig.render.fleet import progress_line

        self.finished += 1
        width = len(str(self.total))
        count = f"[{self.finished:>{width}}/{self.total}]"
        common.err(f"{self.command} {count} {progress_line(district)}")
        if district.error is not None:
            common.err(district_error(district))


@contextmanager
def _bar(command: str, total: int) -> Iterator[OnDone]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    console = Console(stderr=True, force_terminal=True, highlight=False)
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        # Output to a piped stdout must stay there, not move above the bar.
        redirect_stdout=common.stdout_is_tty(),
        redirect_stderr=True,
    )
    task = bar.add_task(command, total=total)
    seen: Counter[str] = Counter()

    def done(district: DistrictResult) -> None:
        if district.error is not None:
            bar.console.print(Text(district_error(district), style="bold red"))
        seen[district.result] += 1
        counts = ", ".join(f"{n} {result}" for result, n in sorted(seen.items()))
        bar.update(task, advance=1, description=f"{command}: {counts}")

    with bar:
        yield done
