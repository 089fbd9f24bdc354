"""Where output goes: results on stdout, logs and progress on stderr; quiet and plain off a terminal."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)

log = logging.getLogger("toolsynth")


class _PlainFormatter(logging.Formatter):
    """Progress (INFO) reads as a plain line; only warnings and errors carry their level."""

    def format(self, record: logging.LogRecord) -> str:
        msg = super().format(record)
        return msg if record.levelno == logging.INFO else f"{record.levelname.lower()}: {msg}"


# Stage progress (`toolsynth run`): INFO records of this child logger reach the handler below at the default verbosity,
# while every other INFO line still needs -v (a command's stderr stays one line on a user error).
progress_log = logging.getLogger("toolsynth.progress")


def setup_logging(verbosity: int) -> None:
    """verbosity: -1 quiet (errors only), 0 warnings and stage progress, 1 info, 2 debug."""
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    progress_log.setLevel(logging.ERROR if verbosity < 0 else min(level, logging.INFO))
    handler: logging.Handler
    if stderr.is_terminal:
        from rich.logging import RichHandler

        handler = RichHandler(console=stderr, show_time=False, show_path=False, markup=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_PlainFormatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


def progress_enabled() -> bool:
    return stderr.is_terminal and log.level <= logging.WARNING


@contextmanager
def progress(description: str, total: int | None) -> Iterator:
    """A rich progress bar on a terminal; a no-op object elsewhere (CI logs stay quiet)."""
    if not progress_enabled():

        class _Quiet:
            def advance(self, n: int = 1, **fields: object) -> None:
                pass

            def update(self, **fields: object) -> None:
                pass

        yield _Quiet()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
        console=stderr,
        transient=False,
    ) as bar:
        task = bar.add_task(description, total=total, status="")

        class _Bar:
            def advance(self, n: int = 1, **fields: object) -> None:
                bar.update(task, advance=n, **fields)

            def update(self, **fields: object) -> None:
                bar.update(task, **fields)

        yield _Bar()
