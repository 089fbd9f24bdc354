"""JSONL artifacts: streaming, atomic, versioned records, and a sidecar manifest saying what made them.

Every stage reads its input and writes its output through this package, so the on-disk contract lives in one place:
- each record carries `"schema": "toolsynth.<kind>/<version>"` (`schemas.py`: one table of kinds and versions);
- a finished artifact appears under its final name only after it is complete (temp file + `os.replace`; `write.py`);
- resumable stages append to `<name>.partial` (one flushed line per record) and promote it when done (`journal.py`);
- `<name>.manifest.json` records the command, options, input hashes, counts and toolsynth version (`manifest.py`);
- readers stream and check records, upgrading older versions (`read.py`); big outputs sort on disk (`sort.py`).

The names below are the package's API; import them from `toolsynth.artifacts`.
"""

from toolsynth.artifacts.files import (
    atomic_write_bytes,
    file_sha256,
    manifest_path,
    partial_path,
    sweep_stale_temps,
    write_failed,
)
from toolsynth.artifacts.journal import (
    JournalWriter,
    ResumeMismatchError,
    fingerprint_changes,
    fingerprint_path,
)
from toolsynth.artifacts.manifest import read_manifest, write_manifest
from toolsynth.artifacts.read import iter_jsonl, read_artifact
from toolsynth.artifacts.schemas import SCHEMA_VERSIONS, SCHEMAS, RecordSchema, dumps, schema_tag, stamp
from toolsynth.artifacts.sort import ExternalSorter, promote_sorted, sorted_unique
from toolsynth.artifacts.write import ArtifactWriter, write_artifact

__all__ = [
    "SCHEMAS",
    "SCHEMA_VERSIONS",
    "ArtifactWriter",
    "ExternalSorter",
    "JournalWriter",
    "RecordSchema",
    "ResumeMismatchError",
    "atomic_write_bytes",
    "dumps",
    "file_sha256",
    "fingerprint_changes",
    "fingerprint_path",
    "iter_jsonl",
    "manifest_path",
    "partial_path",
    "promote_sorted",
    "read_artifact",
    "read_manifest",
    "schema_tag",
    "sorted_unique",
    "stamp",
    "sweep_stale_temps",
    "write_artifact",
    "write_failed",
    "write_manifest",
]
