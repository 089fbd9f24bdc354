import os
import subprocess
import sys
import textwrap

import orjson
import pytest

from toolsynth.artifacts import (
    ArtifactWriter,
    JournalWriter,
    manifest_path,
    read_artifact,
    read_manifest,
    write_artifact,
    write_manifest,
)
from toolsynth.artifacts.files import _umask
from toolsynth.errors import InputError


def test_records_carry_schema_tag_and_roundtrip(tmp_path):
    out = tmp_path / "tools.jsonl"
    n = write_artifact(out, "tool", ({"name": f"t{i}", "x": i} for i in range(3)))
    assert n == 3
    lines = out.read_bytes().splitlines()
    assert orjson.loads(lines[0]) == {"schema": "toolsynth.tool/1", "name": "t0", "x": 0}
    assert [r["x"] for r in read_artifact(out, "tool")] == [0, 1, 2]
    assert out.stat().st_mode & 0o777 == 0o666 & ~_umask()  # not mkstemp's 0600


def test_exception_inside_writer_leaves_no_final_file_and_keeps_old_one(tmp_path):
    out = tmp_path / "plans.jsonl"
    write_artifact(out, "plan", [{"id": "old"}])
    with pytest.raises(RuntimeError), ArtifactWriter(out, "plan") as w:
        w.write({"id": "new-1"})
        raise RuntimeError("boom")
    assert [r["id"] for r in read_artifact(out, "plan")] == ["old"]
    assert [p.name for p in tmp_path.iterdir()] == ["plans.jsonl"]  # temp file cleaned up


def test_killed_process_mid_write_leaves_no_final_file(tmp_path):
    out = tmp_path / "dialogs.jsonl"
    script = textwrap.dedent(
        f"""
        import os
        from toolsynth.artifacts import ArtifactWriter
        with ArtifactWriter({str(out)!r}, "dialog") as w:
            for i in range(1000):
                w.write({{"id": str(i), "pad": "x" * 1000}})
                if i == 500:
                    w._fh.flush()
                    os._exit(9)  # a hard kill: no cleanup handlers run
        """
    )
    proc = subprocess.run([sys.executable, "-c", script])
    assert proc.returncode == 9
    assert not out.exists()


def test_wrong_kind_and_bad_line_are_named(tmp_path):
    out = tmp_path / "x.jsonl"
    write_artifact(out, "tool", [{"name": "a"}])
    with pytest.raises(
        InputError, match=r"x.jsonl:1: record schema is 'toolsynth.tool/1', expected 'toolsynth.plan/2'"
    ):
        list(read_artifact(out, "plan"))
    out.write_bytes(b'{"schema": "toolsynth.tool/1"}\n{not json\n')
    with pytest.raises(InputError, match=r"x.jsonl:2: invalid JSON"):
        list(read_artifact(out, "tool"))


def test_manifest_records_inputs_and_counts(tmp_path):
    src = tmp_path / "in.json"
    src.write_text("[]")
    out = tmp_path / "tools.jsonl"
    write_artifact(out, "tool", [])
    write_manifest(out, kind="tool", counts={"tools": 0}, command="toolsynth x", inputs=[src])
    m = read_manifest(out)
    assert manifest_path(out).name == "tools.jsonl.manifest.json"
    assert m["counts"] == {"tools": 0} and m["schema"] == "toolsynth.tool/1"
    assert m["inputs"][0]["sha256"] == "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"


def test_journal_resumes_after_torn_line_and_finalizes_sorted(tmp_path):
    out = tmp_path / "dialogs.jsonl"
    with JournalWriter(out, "dialog") as j:
        j.write({"id": "b"})
        j.write({"id": "a"})
    # simulate a kill in the middle of the third line
    with open(j.partial, "ab") as fh:
        fh.write(b'{"schema": "toolsynth.dialog/1", "id": "c", "mess')
    j2 = JournalWriter(out, "dialog")
    assert j2.done_ids() == {"a", "b"}
    with j2:
        j2.write({"id": "c"})
    assert j2.finalize(sort_key="id") == 3
    assert [r["id"] for r in read_artifact(out, "dialog")] == ["a", "b", "c"]
    assert not j2.partial.exists()


def test_unwritable_output_dir_is_a_clear_error(tmp_path):
    if os.geteuid() == 0:
        target = "/proc/toolsynth-cannot-write/x.jsonl"
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        target = str(ro / "x.jsonl")
    from toolsynth.errors import ToolsynthError

    with pytest.raises(ToolsynthError, match="output directory"):
        write_artifact(target, "tool", [])
