"""Terminal output with rich: tables and colour on a terminal, plain text in a pipe.

rich is imported on first use: JSON output and the agent hook never pay for it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from handrail.history import Progress as ProgressCallback

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def console() -> Console:
    from rich.console import Console

    out = Console(highlight=False, soft_wrap=True)
    # rich exits with status 1 when the reader closes the pipe; 1 means "needs action" here,
    # so hand the error to the CLI, which stops quietly with 0.
    out.on_broken_pipe = _reader_gone  # type: ignore[method-assign]
    return out


def _reader_gone() -> None:
    raise BrokenPipeError


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> Table:
    from rich.table import Table

    grid = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*(str(cell) for cell in row))
    return grid


@contextmanager
def progress_bar(label: str, enabled: bool) -> Iterator[ProgressCallback | None]:
    """A progress bar on stderr when it is a terminal; None (no reporting) otherwise."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield report
