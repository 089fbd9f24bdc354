"""JSONL artifacts: streaming, atomic, versioned records, and a sidecar manifest saying what made them.

Every stage reads its input and writes its output through this module, so the on-disk contract lives in one place:
- each record carries `"schema": "toolsynth.<kind>/<version>"`;
- a finished artifact appears under its final name only after it is complete (temp file + `os.replace`);
- resumable stages append to `<name>.partial` (one flushed line per record) and promote it when done;
- `<name>.manifest.json` records the command, options, input hashes, counts and toolsynth version.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import glob
import hashlib
import heapq
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from toolsynth import __version__
from toolsynth.errors import InputError, ToolsynthError

# The record kinds and their current versions. Bump a version when a record's meaning changes.
SCHEMA_VERSIONS: dict[str, int] = {
    "tool": 1,
    "graph_node": 1,
    "graph_edge": 1,
    "plan": 2,
    "plan_reject": 1,
    "dialog": 2,
    "dialog_reject": 2,
    "dialog_error": 1,
    "preference": 1,
    "preference_batch": 1,  # make-preferences journal: one finished dialog (its pairs and counts) per line
}

# Older versions that still read: kind → (oldest readable version, "module:function" that upgrades one record to the
# current version). Imported only when an old record is met.
_UPGRADERS: dict[str, tuple[int, str]] = {
    "dialog": (1, "toolsynth.synth.migrate:upgrade_dialog"),
    "dialog_reject": (1, "toolsynth.synth.migrate:upgrade_dialog"),
}

_DUMP_OPTS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_SERIALIZE_NUMPY


# Older versions a reader still accepts (the record models read them: the newer fields have defaults).
READABLE_VERSIONS: dict[str, frozenset[int]] = {"plan": frozenset({1, 2})}


def schema_tag(kind: str) -> str:
    if kind not in SCHEMA_VERSIONS:
        raise KeyError(f"unknown record kind {kind!r}")
    return f"toolsynth.{kind}/{SCHEMA_VERSIONS[kind]}"


def stamp(record: dict[str, Any], kind: str) -> dict[str, Any]:
    """Put the schema tag first so a person reading the file sees what each line is."""
    tag = schema_tag(kind)
    if record.get("schema") == tag:
        return record
    return {"schema": tag, **{k: v for k, v in record.items() if k != "schema"}}


def dumps(record: Any) -> bytes:
    return orjson.dumps(record, option=_DUMP_OPTS)


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def manifest_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".manifest.json")


def partial_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".partial")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _mkstemp_like_open(path: Path) -> tuple[int, str]:
    """mkstemp creates files 0600; artifacts should get the permissions a plain open() would give."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, 0o666 & ~_umask())
    return fd, tmp


def sweep_stale_temps(path: Path) -> None:
    """Remove the temp files a killed writer of `path` left (`.<name>.*.tmp`): the artifact they were meant to
    become has just been written whole, so they hold nothing anyone can use."""
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()


def write_failed(exc: OSError, path: Path) -> ToolsynthError:
    """A failed write (read-only directory, full disk, quota) as the one-line error the CLI prints (exit 2)."""
    return ToolsynthError(f"cannot write: {exc.strerror or exc}", where=str(path))


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    try:
        fd, tmp = _mkstemp_like_open(path)
    except OSError as exc:
        raise write_failed(exc, path) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        sweep_stale_temps(path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise write_failed(exc, path) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _ensure_dir(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ToolsynthError(
            f"cannot create output directory: {exc.strerror}", where=str(path.parent)
        ) from exc
    if not os.access(path.parent, os.W_OK):
        raise ToolsynthError("output directory is not writable", where=str(path.parent))


def write_manifest(
    path: str | Path,
    *,
    kind: str,
    counts: dict[str, Any],
    command: str | None = None,
    options: dict[str, Any] | None = None,
    inputs: Iterable[str | Path] = (),
    extra: dict[str, Any] | None = None,
) -> Path:
    """Sidecar JSON describing how `path` was made. Input hashes let a later stage notice a changed input."""
    path = Path(path)
    manifest = {
        "artifact": path.name,
        "schema": schema_tag(kind),
        "toolsynth_version": __version__,
        "created_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "command": command if command is not None else " ".join(["toolsynth", *sys.argv[1:]]),
        "options": options or {},
        "inputs": [_describe_input(Path(p)) for p in inputs],
        "counts": counts,
    }
    if extra:
        manifest.update(extra)
    mpath = manifest_path(path)
    _atomic_write_bytes(
        mpath, orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY)
    )
    return mpath


def _describe_input(p: Path) -> dict[str, Any]:
    if p.is_file():
        return {"path": str(p), "sha256": file_sha256(p), "bytes": p.stat().st_size}
    if p.is_dir():
        h = hashlib.sha256()
        n = 0
        for f in sorted(x for x in p.rglob("*") if x.is_file()):
            h.update(str(f.relative_to(p)).encode() + b"\0" + file_sha256(f).encode())
            n += 1
        return {"path": str(p), "sha256": h.hexdigest(), "files": n}
    return {"path": str(p), "missing": True}


def read_manifest(path: str | Path) -> dict[str, Any] | None:
    mpath = manifest_path(path)
    if not mpath.exists():
        return None
    try:
        return orjson.loads(mpath.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InputError(f"manifest is not valid JSON ({exc})", where=str(mpath)) from exc


class ArtifactWriter:
    """Write a JSONL artifact atomically: records stream to a temp file that replaces `path` only on success.

    Use as a context manager. If the block raises (or the process dies), the final name is left untouched.
    """

    def __init__(self, path: str | Path, kind: str) -> None:
        self.path = Path(path)
        self.kind = kind
        self.count = 0
        self._fh: Any = None
        self._tmp: Path | None = None

    def __enter__(self) -> ArtifactWriter:
        _ensure_dir(self.path)
        try:
            fd, tmp = _mkstemp_like_open(self.path)
        except OSError as exc:
            raise write_failed(exc, self.path) from exc
        self._tmp = Path(tmp)
        self._fh = os.fdopen(fd, "wb", buffering=1 << 16)
        return self

    def write(self, record: dict[str, Any]) -> None:
        try:
            self._fh.write(dumps(stamp(record, self.kind)))
        except OSError as exc:
            raise write_failed(exc, self.path) from exc
        self.count += 1

    def write_many(self, records: Iterable[dict[str, Any]]) -> None:
        for r in records:
            self.write(r)

    def write_line(self, line: bytes) -> None:
        """A record already serialized and stamped (`dumps(stamp(...))`): copied without parsing it again."""
        self._fh.write(line)
        self.count += 1

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        assert self._fh is not None and self._tmp is not None
        try:
            if exc_type is None:
                self._fh.flush()
                os.fsync(self._fh.fileno())
            self._fh.close()
            if exc_type is None:
                os.replace(self._tmp, self.path)
                sweep_stale_temps(self.path)
        except OSError as err:
            # A full disk often shows only at the final flush: the temp file goes, the final name stays as it was.
            with contextlib.suppress(OSError):
                self._fh.close()
            self._tmp.unlink(missing_ok=True)
            if exc_type is None:
                raise write_failed(err, self.path) from err
        finally:
            if self._tmp.exists() and (exc_type is not None):
                self._tmp.unlink(missing_ok=True)


def write_artifact(path: str | Path, kind: str, records: Iterable[dict[str, Any]]) -> int:
    with ArtifactWriter(path, kind) as w:
        w.write_many(records)
    return w.count


def iter_jsonl(
    path: str | Path, on_bad: Callable[[int, str], Any] | None = None
) -> Iterator[tuple[int, Any]]:
    """Yield (line number, record) from any JSONL file, streaming; a bad line raises InputError naming it, or, with
    `on_bad`, yields (line number, on_bad(line number, reason)) and the file goes on."""
    path = Path(path)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed in finally, generator-friendly
    except FileNotFoundError as exc:
        raise InputError("file not found", where=str(path)) from exc
    except IsADirectoryError as exc:
        raise InputError("expected a JSONL file, got a directory", where=str(path)) from exc
    try:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = orjson.loads(line)
                problem = (
                    None
                    if isinstance(rec, dict)
                    else f"expected a JSON object per line, got {type(rec).__name__}"
                )
            except orjson.JSONDecodeError as exc:
                problem = f"invalid JSON ({exc})"
            if problem is None:
                yield lineno, rec
            elif on_bad is None:
                raise InputError(problem, where=f"{path}:{lineno}")
            else:
                yield lineno, on_bad(lineno, problem)
    finally:
        fh.close()


def _upgrader(kind: str, tag: Any) -> Any:
    """The function that upgrades a record tagged `tag` (an older version of `kind`), or None."""
    if kind not in _UPGRADERS or not isinstance(tag, str) or not tag.startswith(f"toolsynth.{kind}/"):
        return None
    version = tag.rpartition("/")[2]
    oldest, target = _UPGRADERS[kind]
    if not version.isdigit() or not oldest <= int(version) < SCHEMA_VERSIONS[kind]:
        return None
    import importlib

    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def read_artifact(path: str | Path, kind: str | None = None) -> Iterator[dict[str, Any]]:
    """Stream records of a toolsynth artifact, checking each record's schema tag against `kind`; records of an older
    version that still reads are upgraded to the current one."""
    expected = schema_tag(kind) if kind else None
    for lineno, rec in iter_jsonl(path):
        if expected is not None and kind is not None:
            tag = rec.get("schema")
            if tag != expected and (upgrade := _upgrader(kind, tag)) is not None:
                rec = upgrade(rec)
                tag = rec.get("schema")
            if tag != expected and not _readable(tag, kind):
                hint = (
                    "written by a different toolsynth version"
                    if isinstance(tag, str) and tag.startswith(f"toolsynth.{kind}/")
                    else f"not a {kind} artifact"
                )
                raise InputError(
                    f"record schema is {tag!r}, expected {expected!r} ({hint})", where=f"{path}:{lineno}"
                )
        yield rec


def _readable(tag: Any, kind: str | None) -> bool:
    if not isinstance(tag, str) or kind not in READABLE_VERSIONS:
        return False
    prefix = f"toolsynth.{kind}/"
    version = tag[len(prefix) :]
    return tag.startswith(prefix) and version.isdigit() and int(version) in READABLE_VERSIONS[kind]


class ResumeMismatchError(InputError):
    """A journal left by an earlier run was made with other settings or inputs than this run's."""


def fingerprint_path(path: str | Path) -> Path:
    """Where a journal's fingerprint lives: beside `<name>.partial`."""
    return partial_path(path).with_name(partial_path(path).name + ".fingerprint.json")


def _short(value: Any) -> str:
    text = orjson.dumps(value, default=str).decode()
    return text if len(text) <= 40 else text[:37] + "..."


def fingerprint_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """`key: old → new` for every entry that differs (added and removed keys included), sorted by key."""
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key, "<unset>"), new.get(key, "<unset>")
        if a != b:
            out.append(f"{key}: {_short(a)} → {_short(b)}")
    return out


class JournalWriter:
    """Append-only journal for resumable stages (synthesize, make-preferences).

    Records go to `<path>.partial`, one flushed line each, so a killed run loses at most the line being written.
    On restart `done_ids()` tells what is already there (a torn last line is cut off), and `finalize()` promotes the
    journal to the final name atomically.

    `fingerprint`: what the records depend on (settings, prompts, model, toolsynth version, input hashes), as a flat
    mapping. It is written beside the journal when the journal starts; a later run that finds a journal made with
    another fingerprint refuses to continue it (`ResumeMismatchError`, naming what changed) rather than mix records
    made two ways, unless `restart=True`, which throws the old journal away.
    """

    def __init__(
        self,
        path: str | Path,
        kind: str,
        id_field: str = "id",
        *,
        fingerprint: dict[str, Any] | None = None,
        restart: bool = False,
    ) -> None:
        self.path = Path(path)
        self.kind = kind
        self.id_field = id_field
        self.partial = partial_path(self.path)
        self.fingerprint = fingerprint
        self.restart = restart
        self._fh: Any = None
        self._prepared = False
        self.count = 0

    @property
    def fingerprint_file(self) -> Path:
        return fingerprint_path(self.path)

    def prepare(self) -> JournalWriter:
        """Check (or, for a fresh journal, record) the fingerprint; with `restart`, drop an old journal first.
        Called by `done_ids` and `open`; idempotent."""
        if self._prepared:
            return self
        self._prepared = True
        if self.restart:
            self.discard()
        if self.fingerprint is None:
            return self
        fp_file = self.fingerprint_file
        if self.partial.exists():
            old: dict[str, Any] | None = None
            if fp_file.exists():
                try:
                    loaded = orjson.loads(fp_file.read_bytes())
                    old = loaded if isinstance(loaded, dict) else None
                except orjson.JSONDecodeError:
                    old = None
            if old is None:
                raise ResumeMismatchError(
                    "an earlier run's journal has no readable fingerprint, so it cannot be told whether it was "
                    "made with these settings; rerun with --restart to start over",
                    where=str(self.partial),
                )
            changes = fingerprint_changes(old, self.fingerprint)
            if changes:
                raise ResumeMismatchError(
                    "the unfinished journal of an earlier run was made differently ("
                    + "; ".join(changes)
                    + "); rerun with the same settings to resume it, or with --restart to start over",
                    where=str(self.partial),
                )
            return self
        _ensure_dir(self.path)
        _atomic_write_bytes(
            fp_file, orjson.dumps(self.fingerprint, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        )
        return self

    def discard(self) -> None:
        """Remove the journal and its fingerprint (after promotion, or to start over)."""
        self.partial.unlink(missing_ok=True)
        self.fingerprint_file.unlink(missing_ok=True)

    def _repair(self) -> None:
        """Cut a torn trailing line left by a kill mid-write."""
        if not self.partial.exists():
            return
        data = self.partial.read_bytes()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            with open(self.partial, "r+b") as fh:
                fh.truncate(cut)

    def iter_done_ids(self) -> Iterator[str]:
        """The ids already in the journal, streamed (a torn last line is cut off first)."""
        self.prepare()
        self._repair()
        if not self.partial.exists():
            return
        for r in read_artifact(self.partial, self.kind):
            yield str(r[self.id_field])

    def done_ids(self) -> set[str]:
        return set(self.iter_done_ids())

    def open(self) -> JournalWriter:
        _ensure_dir(self.path)
        self.prepare()
        self._repair()
        try:
            self._fh = open(self.partial, "ab")  # noqa: SIM115 - lifetime spans many writes
        except OSError as exc:
            raise write_failed(exc, self.partial) from exc
        return self

    def write(self, record: dict[str, Any]) -> None:
        try:
            self._fh.write(dumps(stamp(record, self.kind)))
            self._fh.flush()
        except OSError as exc:
            # What reached the disk is kept (a torn last line is cut on the next start); the run stops here.
            raise write_failed(exc, self.partial) from exc
        self.count += 1

    def close(self) -> None:
        if self._fh is not None:
            fh, self._fh = self._fh, None
            try:
                fh.flush()
                os.fsync(fh.fileno())
            except OSError as exc:
                with contextlib.suppress(OSError):
                    fh.close()
                raise write_failed(exc, self.partial) from exc
            fh.close()

    def finalize(self, sort_key: str | None = None) -> int:
        """Promote the journal to the final artifact; with `sort_key`, records are ordered so output is deterministic
        whatever order concurrent work finished in (sorted on disk: memory stays flat in the number of records)."""
        self.close()
        if sort_key:
            n = promote_sorted(self.partial, self.path, self.kind, key_field=sort_key, unique=False)
        else:
            n = write_artifact(
                self.path, self.kind, read_artifact(self.partial, self.kind) if self.partial.exists() else []
            )
        self.discard()
        return n

    def __enter__(self) -> JournalWriter:
        return self.open()

    def __exit__(self, *exc: Any) -> None:
        self.close()


# ---- bounded-memory sorting (sorted runs on disk, then a k-way merge) ----------------------------------------------


class ExternalSorter:
    """Sort (key, line) pairs by key in bounded memory; ties keep the order they were added in (stable).

    Lines are serialized records (`dumps`, one trailing newline). Up to `run_bytes` of them are held and sorted in
    memory; beyond that each full batch goes to a sorted run file in `tmp_dir`, and iteration merges the runs
    (at most `fan_in` files open at once: more runs are merged in consecutive groups first, which keeps the sort
    stable). Memory is ~`run_bytes` plus one read buffer per open run, whatever the number of records: a stage
    that must write its output sorted uses this instead of holding every record.

    Use as a context manager: the run files are removed on exit, also after an error.
    """

    def __init__(self, tmp_dir: str | Path, *, run_bytes: int = 8 << 20, fan_in: int = 64) -> None:
        self.tmp_root = Path(tmp_dir)
        self.run_bytes = run_bytes
        self.fan_in = max(2, fan_in)
        self.count = 0
        self._batch: list[tuple[str, int, bytes]] = []
        self._batch_bytes = 0
        self._runs: list[Path] = []
        self._dir: Path | None = None
        self._seq = 0

    def __enter__(self) -> ExternalSorter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._dir is not None:
            for p in self._dir.iterdir():
                p.unlink(missing_ok=True)
            self._dir.rmdir()
            self._dir = None
        self._runs = []
        self._batch = []

    def add(self, key: str, line: bytes) -> None:
        self._batch.append((key, self.count, line))
        self.count += 1
        self._batch_bytes += len(line) + len(key) + 64
        if self._batch_bytes >= self.run_bytes:
            self._spill()

    def _run_path(self) -> Path:
        if self._dir is None:
            self.tmp_root.mkdir(parents=True, exist_ok=True)
            self._dir = Path(tempfile.mkdtemp(prefix=".toolsynth-sort.", dir=self.tmp_root))
        self._seq += 1
        return self._dir / f"run-{self._seq:06d}"

    def _spill(self) -> None:
        if not self._batch:
            return
        self._batch.sort(key=lambda t: (t[0], t[1]))
        path = self._run_path()
        with open(path, "wb", buffering=1 << 16) as fh:
            for key, _, line in self._batch:
                # A JSON string never holds a raw tab or newline, so the first tab ends the key.
                fh.write(orjson.dumps(key) + b"\t" + line)
        self._runs.append(path)
        self._batch = []
        self._batch_bytes = 0

    @staticmethod
    def _read_run(path: Path) -> Iterator[tuple[str, bytes]]:
        with open(path, "rb", buffering=1 << 16) as fh:
            for raw in fh:
                cut = raw.index(b"\t")
                yield orjson.loads(raw[:cut]), raw[cut + 1 :]

    def _merge(self, runs: list[Path]) -> Iterator[tuple[str, bytes]]:
        # heapq.merge is stable across its inputs: on equal keys the earlier run (added earlier) comes first.
        return heapq.merge(*(self._read_run(p) for p in runs), key=lambda kv: kv[0])

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        if not self._runs:
            self._batch.sort(key=lambda t: (t[0], t[1]))
            for key, _, line in self._batch:
                yield key, line
            return
        self._spill()
        runs = self._runs
        while len(runs) > self.fan_in:
            merged: list[Path] = []
            for i in range(0, len(runs), self.fan_in):
                group = runs[i : i + self.fan_in]
                if len(group) == 1:
                    merged.append(group[0])
                    continue
                path = self._run_path()
                with open(path, "wb", buffering=1 << 16) as fh:
                    for key, line in self._merge(group):
                        fh.write(orjson.dumps(key) + b"\t" + line)
                for p in group:
                    p.unlink(missing_ok=True)
                merged.append(path)
            runs = merged
        self._runs = runs
        yield from self._merge(runs)


def sorted_unique(pairs: Iterable[tuple[str, bytes]]) -> Iterator[tuple[str, bytes]]:
    """The first line of each key from key-sorted pairs (a record journalled twice is written once)."""
    last: str | None = None
    for key, line in pairs:
        if key == last:
            continue
        last = key
        yield key, line


def promote_sorted(
    src: str | Path,
    dst: str | Path,
    kind: str,
    *,
    key_field: str = "id",
    keep: Any = None,
    unique: bool = True,
    run_bytes: int = 8 << 20,
) -> int:
    """Write the records of `src` to the artifact `dst` sorted by `key_field`, in bounded memory.

    `keep` (anything with `in`, e.g. an `IdSet`) limits the output to those keys; `unique` keeps only the first
    record of each key. Returns the number of records written."""
    src, dst = Path(src), Path(dst)
    _ensure_dir(dst)
    with ExternalSorter(dst.parent, run_bytes=run_bytes) as sorter:
        if src.exists():
            for rec in read_artifact(src, kind):
                key = str(rec.get(key_field))
                if keep is not None and key not in keep:
                    continue
                sorter.add(key, dumps(rec))
        pairs = sorted_unique(sorter) if unique else iter(sorter)
        with ArtifactWriter(dst, kind) as w:
            for _, line in pairs:
                w.write_line(line)
    return w.count
