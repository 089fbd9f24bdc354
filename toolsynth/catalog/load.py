"""Load a tool catalog (a file, or a directory of files in any mix of formats) into normalized `Tool`s.

The loaders only reshape their format into drafts; everything that must be the same for every format happens here:
JSON-Schema normalization and `$ref` inlining, return fields, unique sanitized names, merging of tools listed twice,
and the accounting of what was skipped or ignored and why.

Per-tool problems (no name, parameters that are not an object, a broken `$ref`) skip that tool with a warning and
never abort the load, unless `strict`; file-level problems (invalid JSON, a named file in no known format) raise
`InputError`, which the CLI prints as one line and exit code 2.
"""

from __future__ import annotations

from pathlib import Path

from toolsynth.catalog.build import ToolBuilder
from toolsynth.catalog.detect import Detection, detect, parse_file
from toolsynth.catalog.layout import catalog_units, iter_catalog_files
from toolsynth.catalog.loaders import LOADERS, get_loader
from toolsynth.catalog.loaders.base import ShapeError, SourceFile
from toolsynth.catalog.result import LoadResult
from toolsynth.errors import InputError


def _catalog_name(root: Path) -> str:
    if root.is_dir():
        return root.resolve().name
    src_stem = SourceFile(root, str(root), None).stem
    return src_stem


def load_catalog(path: str | Path, fmt: str | None = None, strict: bool = False) -> LoadResult:
    """Load every tool of a catalog file or directory. See the module docstring for what is skipped and why."""
    root = Path(path)
    if not root.exists():
        raise InputError("no such file or directory", where=str(path))
    if fmt is not None:
        fmt = get_loader(fmt).FORMAT
    units = catalog_units(root)
    collection = root.is_dir() and units != [root]
    builder = ToolBuilder(root, _catalog_name(root), strict, collection)

    if root.is_file():
        src = parse_file(root, str(path))
        if fmt is None:
            det = detect(src.doc)
            if det.fmt is None:
                raise InputError(
                    f"not a tool catalog: {det.reason} (use --format to force one of "
                    f"{', '.join(sorted(LOADERS))})",
                    where=src.display,
                )
            fmt = det.fmt
        builder.add_file(src, fmt)
        return builder.finish()

    for f in iter_catalog_files(root):
        src = parse_file(f)
        if fmt is not None:
            try:
                builder.add_file(src, fmt)
            except ShapeError as exc:
                builder.result.ignored.append((src.display, f"not {fmt}: {exc.message}"))
            continue
        det: Detection = detect(src.doc)
        if det.role != "catalog" or det.fmt is None:
            reason = det.reason
            if det.role == "tasks":
                reason += "; load this file by name to use its inline tools"
            builder.result.ignored.append((src.display, reason))
            continue
        builder.add_file(src, det.fmt)
    return builder.finish()
