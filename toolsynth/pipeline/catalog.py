"""Catalog stage: any catalog path → `tools.jsonl` (+ manifest), and the tool loading build-graph shares."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ConvertResult:
    output: Path
    tools: int
    summary: dict[str, Any]  # the loader's counts (catalog, path, files, tools, skipped, ...)

    def to_json(self) -> dict[str, Any]:
        return {"output": str(self.output), **self.summary}


def require_tools(result: Any, path: Path) -> None:
    """A catalog that yields no usable tool is an error, never an empty tools.jsonl every later stage chokes on."""
    from toolsynth.errors import InputError

    if result.tools:
        return
    if result.skipped:
        first = result.skipped[0]
        more = f" (and {len(result.skipped) - 1} more skipped)" if len(result.skipped) > 1 else ""
        raise InputError(
            f"no usable tools: every tool was skipped; first: {first.where or first.file}: {first.reason}{more}",
            where=str(path),
        )
    raise InputError("no usable tools in this catalog", where=str(path))


def convert(catalog: Path, output: Path, *, fmt: str | None = None, strict: bool = False) -> ConvertResult:
    """Write the normalized catalog as `tools.jsonl` (one `toolsynth.tool/1` record per tool) plus its manifest."""
    from toolsynth.artifacts import ArtifactWriter, write_manifest
    from toolsynth.catalog.load import load_catalog

    result = load_catalog(catalog, fmt=fmt, strict=strict)
    require_tools(result, catalog)
    with ArtifactWriter(output, "tool") as writer:
        for tool in result.tools:
            writer.write(tool.to_record())
    summary = result.summary()
    write_manifest(
        output,
        kind="tool",
        counts={k: v for k, v in summary.items() if k not in ("catalog", "path")},
        options={"format": fmt, "strict": strict},
        inputs=[catalog],
        extra={
            "skipped_tools": [s.__dict__ for s in result.skipped],
            "ignored_files": [{"file": f, "reason": r} for f, r in result.ignored],
        },
    )
    return ConvertResult(output=output, tools=writer.count, summary=summary)


def _is_tools_artifact(path: Path) -> bool:
    """A toolsynth `tools.jsonl` (first record tagged `toolsynth.tool/N`), read as is rather than re-loaded."""
    if not path.is_file():
        return False
    try:
        with open(path, "rb") as fh:
            for line in fh:
                if line.strip():
                    return b'"schema":"toolsynth.tool/' in line.replace(b" ", b"")
    except OSError:
        return False
    return False


def load_tools(path: Path, fmt: str | None = None) -> tuple[list[Any], dict[str, Any]]:
    """Tools from a tools.jsonl artifact or any catalog path, plus what the load skipped (for the summary)."""
    from toolsynth.errors import InputError

    if not path.exists():
        raise InputError("no such file or directory", where=str(path))
    if fmt is None and _is_tools_artifact(path):
        from toolsynth.artifacts import read_artifact
        from toolsynth.catalog.model import Tool

        tools = []
        for i, rec in enumerate(read_artifact(path, "tool"), 1):
            try:
                tools.append(Tool.from_record(rec))
            except ValueError as exc:
                raise InputError(f"not a valid tool record ({exc})", where=f"{path}:{i}") from exc
        return tools, {"source": "tools.jsonl", "skipped": 0}
    from toolsynth.catalog.load import load_catalog

    res = load_catalog(path, fmt=fmt)
    if not res.tools and res.skipped:
        require_tools(res, path)  # says why every tool was skipped
    return list(res.tools), {"source": "catalog", "files": len(res.files), "skipped": len(res.skipped)}
