"""A read-only or full output directory: one clear line (exit 2), and no partial artifact under a final name."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import orjson
import pytest
from bfcl_plan_fixtures import all_plans, install_good_model
from cli_helpers import one_error_line, run_main

from toolsynth.artifacts import files, journal, manifest, partial_path, read, sort, write, write_artifact
from toolsynth.testing.scripted import ScriptedModel

CATALOG = [
    {
        "type": "function",
        "function": {
            "name": f"tool_{i}",
            "description": "A tool.",
            "parameters": {"type": "object", "properties": {"x": {"type": "string"}}},
        },
    }
    for i in range(50)
]


def read_only_dir(tmp_path: Path) -> Path:
    """A directory this process cannot write: chmod for a normal user; for root (who ignores modes), /sys."""
    if os.geteuid() != 0:
        d = tmp_path / "ro"
        d.mkdir()
        d.chmod(0o555)
        return d
    probe = Path("/sys") / f"toolsynth-probe-{os.getpid()}"
    try:
        probe.write_bytes(b"")
    except OSError:
        return Path("/sys")
    probe.unlink()
    pytest.skip("running as root with no read-only directory to write into")


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    path = tmp_path / "cat.json"
    path.write_bytes(orjson.dumps(CATALOG))
    return path


@pytest.mark.parametrize("command", [["catalog", "convert"], ["build-graph"]])
def test_a_read_only_output_directory(tmp_path: Path, catalog: Path, command: list[str], capsys) -> None:
    ro = read_only_dir(tmp_path)
    out = ro / ("tools.jsonl" if command[0] == "catalog" else "graph")
    before = sorted(p.name for p in ro.iterdir()) if ro != Path("/sys") else None
    code, _, err = run_main([*command, catalog, "-o", out], capsys)
    line = one_error_line(err)
    assert code == 2 and str(ro) in line
    assert not out.exists()
    if before is not None:
        assert sorted(p.name for p in ro.iterdir()) == before


class FullDisk:
    """A file whose writes fail with ENOSPC once `budget` bytes have gone through (shared across files)."""

    budget = 0

    def __init__(self, fh: Any) -> None:
        self._fh = fh

    def write(self, data: bytes) -> int:
        if FullDisk.budget < len(data):
            raise OSError(errno.ENOSPC, "No space left on device")
        FullDisk.budget -= len(data)
        return self._fh.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)

    def __iter__(self) -> Any:
        return iter(self._fh)

    def __enter__(self) -> FullDisk:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._fh.close()


def fill_disk_after(monkeypatch: pytest.MonkeyPatch, budget: int) -> None:
    real_fdopen, real_open = os.fdopen, open
    FullDisk.budget = budget
    monkeypatch.setattr(os, "fdopen", lambda *a, **k: FullDisk(real_fdopen(*a, **k)))
    # Every module of the artifacts package (one module when this test was written) opens through the wrapper.
    for module in (files, journal, manifest, read, sort, write):
        monkeypatch.setattr(module, "open", lambda *a, **k: FullDisk(real_open(*a, **k)), raising=False)


def test_a_full_disk_keeps_the_previous_artifact(tmp_path: Path, catalog: Path, monkeypatch, capsys) -> None:
    out = tmp_path / "out" / "tools.jsonl"
    code, _, err = run_main(["catalog", "convert", catalog, "-o", out], capsys)
    assert code == 0, err
    good = out.read_bytes()
    fill_disk_after(monkeypatch, 2_000)  # the disk fills part-way through the next conversion
    code, _, err = run_main(["catalog", "convert", catalog, "-o", out], capsys)
    line = one_error_line(err)
    assert code == 2 and "No space left on device" in line and "tools.jsonl" in line
    assert out.read_bytes() == good  # the earlier artifact is untouched
    assert sorted(p.name for p in out.parent.iterdir()) == ["tools.jsonl", "tools.jsonl.manifest.json"]


def test_a_full_disk_during_synthesize_keeps_the_journal(tmp_path: Path, monkeypatch, capsys) -> None:
    ScriptedModel.reset()
    install_good_model()
    try:
        plans = tmp_path / "plans.jsonl"
        write_artifact(plans, "plan", (p.to_record() for p in all_plans()))
        out = tmp_path / "out" / "dialogs.jsonl"
        fill_disk_after(monkeypatch, 40_000)  # room for about two dialogs
        args = ["synthesize", plans, "-o", out, "--model", "scripted/good", "--no-cache", "-c", "1"]
        code, _, err = run_main(args, capsys)
        line = one_error_line(err)
        assert code == 2 and "No space left on device" in line
        assert not out.exists()  # never promoted
        kept = partial_path(out).read_bytes()
        assert kept.count(b"\n") >= 1
        monkeypatch.undo()  # space again: the rerun resumes from what the journal kept
        code, _, err = run_main([*args, "--json"], capsys)
        assert code == 0, err
        assert len(out.read_bytes().splitlines()) == 5 and not partial_path(out).exists()
    finally:
        ScriptedModel.reset()
