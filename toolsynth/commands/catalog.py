"""`toolsynth catalog`: inspect, validate and convert tool catalogs."""

from __future__ import annotations

import typer

app = typer.Typer(help="Inspect, validate and convert tool catalogs.", no_args_is_help=True)
