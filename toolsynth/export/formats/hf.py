"""`hf`: a `datasets.DatasetDict` per kind (`sft/`, `preference/`) saved with `save_to_disk`, and the same rows as
Parquet (`parquet/<kind>/<split>.parquet`). Rows are the `trl-sft` / `trl-dpo` records; message lists and tool lists
are `Json` columns (stored as JSON text, read back as objects), because one Arrow struct cannot hold different
tools' argument dicts."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from toolsynth.errors import ToolsynthError
from toolsynth.export.formats import trl_dpo, trl_sft
from toolsynth.export.formats.base import FileKind

NAME = "hf"
SFT = FileKind("sft.", trl_sft.SFT.features)
PAIRS = FileKind("preference.", trl_dpo.PAIRS.features, config="preference")
sft = trl_sft.sft
pair = trl_dpo.pair
check_sft = trl_sft.check_sft
check_pair = trl_dpo.check_pair
KINDS = {"sft": ("sft", SFT), "pairs": ("preference", PAIRS)}


def require_datasets() -> Any:
    try:
        import datasets
    except ImportError as exc:
        raise ToolsynthError(
            "the hf format needs the `datasets` package (pip install 'toolsynth[export]')",
            where="--format hf",
        ) from exc
    # Progress bars and info logs belong to a person's terminal, not to a command's stderr.
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    return datasets


def features(kind: FileKind) -> Any:
    datasets = require_datasets()
    return datasets.Features({f["name"]: datasets.List(datasets.Json()) for f in kind.features})


def _stable_fingerprints(saved: Path) -> None:
    """`datasets` fingerprints a loaded dataset by its source files' paths and times (a staging folder here), so
    `state.json` would differ between two exports of the same data: make it a hash of the saved Arrow data."""
    import hashlib

    import orjson

    for state_file in sorted(saved.glob("*/state.json")):
        h = hashlib.sha256()
        for arrow in sorted(state_file.parent.glob("*.arrow")):
            with arrow.open("rb") as fh:
                for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    h.update(chunk)
        state = orjson.loads(state_file.read_bytes())
        state["_fingerprint"] = h.hexdigest()[:16]
        # the same layout datasets writes (indent 2, sorted keys), so the file reads back as its own
        state_file.write_text(orjson.dumps(state, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())


def finish(directory: Path, files: dict[str, list[str]]) -> dict[str, int]:
    """Turn the staged JSONL files into DatasetDicts and Parquet files; rows per kind and split."""
    datasets = require_datasets()
    rows: dict[str, int] = {}
    cache = directory / ".cache"
    for kind, names in files.items():
        if not names:
            continue
        label, file_kind = KINDS[kind]
        data_files = {n.rsplit(".", 2)[-2]: str(directory / n) for n in names}
        dd = datasets.load_dataset(
            "json", data_files=data_files, features=features(file_kind), cache_dir=str(cache)
        )
        dd.save_to_disk(str(directory / label))
        _stable_fingerprints(directory / label)
        for split, ds in dd.items():
            pq = directory / "parquet" / label / f"{split}.parquet"
            pq.parent.mkdir(parents=True, exist_ok=True)
            ds.to_parquet(str(pq))
            rows[f"{label}/{split}"] = len(ds)
        del dd
    for n in [n for names in files.values() for n in names]:
        (directory / n).unlink()
    shutil.rmtree(cache, ignore_errors=True)
    return rows


def check_dir(directory: Path, rows: dict[str, int]) -> None:
    """Read back what `finish` wrote: both stores hold the expected rows, records check like trl's."""
    datasets = require_datasets()
    for label in {k.split("/")[0] for k in rows}:
        dd = datasets.load_from_disk(str(directory / label))
        check = check_sft if label == "sft" else check_pair
        for split, ds in dd.items():
            if len(ds) != rows[f"{label}/{split}"]:
                raise ToolsynthError(
                    f"{label}/{split} holds {len(ds)} rows, expected {rows[f'{label}/{split}']}"
                )
            for rec in ds:
                check(rec)
            pq = datasets.Dataset.from_parquet(
                str(directory / "parquet" / label / f"{split}.parquet"), cache_dir=str(directory / ".cache")
            )
            if len(pq) != len(ds):
                raise ToolsynthError(f"parquet/{label}/{split} holds {len(pq)} rows, expected {len(ds)}")
    shutil.rmtree(directory / ".cache", ignore_errors=True)
