"""`toolsynth merge A B ... -o OUT`: shard outputs → the artifact one unsharded run would have written."""

from __future__ import annotations

from pathlib import Path

import typer

from toolsynth.commands.common import emit_json
from toolsynth.console import stderr


def command(
    inputs: list[Path] = typer.Argument(
        ...,
        help="Shard outputs of one stage (plans, dialogs or preference pairs); rejects files beside them follow.",
    ),
    output: Path = typer.Option(..., "--output", "-o", help="The merged artifact to write."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
) -> None:
    """Merge the outputs of `--shard I/N` jobs: dialogs and pairs by id, plans in shard order, with one manifest
    that lists every shard. Refuses incomplete or repeated shards and shards made with other settings."""
    from toolsynth.merge import merge

    result = merge(list(inputs), output)
    if as_json:
        emit_json(result)
        return
    shards = f" ({result['shards']} shards)" if result["shards"] else ""
    rejects = (
        f" + {result['rejects']} rejects → {result['rejects_file']}" if result["rejects"] is not None else ""
    )
    stderr.print(
        f"merge: {result['records']} {result['kind']} records from {result['inputs']} files{shards} → "
        f"{result['output']}{rejects}"
    )
