"""File-level primitives every artifact shares: atomic writes, the sidecar and partial paths, temp-file sweeping."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import tempfile
from pathlib import Path

from toolsynth.errors import ToolsynthError


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


def mkstemp_like_open(path: Path) -> tuple[int, str]:
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


def atomic_write_bytes(path: Path, data: bytes) -> None:
    try:
        fd, tmp = mkstemp_like_open(path)
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


def ensure_dir(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ToolsynthError(
            f"cannot create output directory: {exc.strerror}", where=str(path.parent)
        ) from exc
    if not os.access(path.parent, os.W_OK):
        raise ToolsynthError("output directory is not writable", where=str(path.parent))
