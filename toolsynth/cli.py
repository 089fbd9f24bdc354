"""The `toolsynth` command: a thin Typer layer over the library. Each subcommand lives in `toolsynth/commands/`.

Nothing heavy is imported here: torch, sentence-transformers, faiss and litellm load only inside the commands that
need them, so `toolsynth --help` is instant.
"""

from __future__ import annotations

import sys

import click
import typer

from toolsynth import __version__
from toolsynth.commands import (
    build_graph,
    catalog,
    export,
    make_preferences,
    merge,
    report,
    run,
    sample_plans,
    synthesize,
    train,
    verify,
)
from toolsynth.commands.common import STATE
from toolsynth.console import setup_logging
from toolsynth.errors import ToolsynthError

app = typer.Typer(
    name="toolsynth",
    help="Turn real tool catalogs into multi-turn function-calling training data (ToolFlow and MAGNET).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"toolsynth {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="More log output on stderr (-vv for debug)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors on stderr."),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks for errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    STATE.debug = debug
    STATE.verbosity = -1 if quiet else verbose
    setup_logging(STATE.verbosity)


app.add_typer(catalog.app, name="catalog")
app.command("build-graph")(build_graph.command)
app.command("sample-plans")(sample_plans.command)
app.command("synthesize")(synthesize.command)
app.command("verify")(verify.command)
app.command("make-preferences")(make_preferences.command)
app.command("export")(export.command)
app.command("report")(report.command)
app.command("merge")(merge.command)
app.command("run")(run.command)
app.add_typer(train.app, name="train")


def main() -> None:
    try:
        app()
    except ToolsynthError as exc:
        if STATE.debug:
            raise
        sys.stderr.write(f"error: {exc.one_line()}\n")
        sys.exit(exc.exit_code)
    except OSError as exc:
        # The machine said no (read-only or full disk, too many open files) somewhere a stage does its own I/O:
        # one line naming the file, exit 2, like any other environment problem. A bug still shows with --debug.
        if STATE.debug:
            raise
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        sys.stderr.write(f"error: {where}{exc.strerror or exc}\n")
        sys.exit(2)
    except (KeyboardInterrupt, click.exceptions.Abort):
        sys.stderr.write("error: interrupted; finished records are kept, rerun the same command to resume\n")
        sys.exit(130)


if __name__ == "__main__":
    main()
