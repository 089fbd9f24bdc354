"""Which files a catalog path holds, and whether a directory is one catalog or a collection of them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from toolsynth.catalog.detect import JSON_SUFFIXES

README_NAMES = ("README.md", "README", "README.txt", "readme.md")


def _has_readme(d: Path) -> bool:
    return any((d / n).is_file() for n in README_NAMES)


def iter_catalog_files(root: Path) -> Iterator[Path]:
    """JSON/JSONL files under `root`, sorted, skipping hidden paths and toolsynth's own manifests."""
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        if p.is_file() and p.suffix.lower() in JSON_SUFFIXES and not p.name.endswith(".manifest.json"):
            yield p


def catalog_units(path: str | Path) -> list[Path]:
    """The catalogs a path holds: itself, or each subfolder of a collection.

    A directory is a collection of catalogs (like `../shared/catalogs` or `tool_catalogs/`) when it holds no JSON
    files of its own and its subfolders document themselves with a README; otherwise it is one catalog, however
    deeply its files are nested (`bfcl/` with `multi_turn_func_doc/` and `v3_samples/` is one catalog).
    """
    root = Path(path)
    if not root.is_dir():
        return [root]
    own_files = [p for p in root.iterdir() if p.is_file() and p.suffix.lower() in JSON_SUFFIXES]
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))
    if own_files or not any(_has_readme(d) for d in subdirs):
        return [root]
    return [d for d in subdirs if next(iter_catalog_files(d), None) is not None]
