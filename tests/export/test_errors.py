"""Hostile and broken inputs: one clear line, exit 2, earlier output untouched."""

from __future__ import annotations

import orjson
from helpers import export, export_json

from toolsynth.artifacts import write_artifact


def _err(r) -> str:
    assert r.exit_code == 2, (r.output, r.exception)
    return r.output.strip()


def test_a_rejects_file_is_never_exported(real_dialogs, tmp_path):
    rej = tmp_path / "dialogs.rejects.jsonl"
    rec = orjson.loads(real_dialogs.read_bytes().splitlines()[0])
    rec["schema"] = "toolsynth.dialog_reject/1"
    rej.write_bytes(orjson.dumps(rec) + b"\n")
    r = export(str(rej), "-o", str(tmp_path / "o"), ok=False)
    assert "rejects file" in str(r.exception) and f"{rej}:1" in str(r.exception)
    assert not (tmp_path / "o" / "trl-sft").exists()


def test_errors_name_the_file_line_and_field(real_dialogs, tmp_path):
    lines = real_dialogs.read_bytes().splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(lines[0] + b"\n{not json\n")
    r = export(str(broken), "-o", str(tmp_path / "o"), ok=False)
    assert f"{broken}:2" in str(r.exception) and "invalid JSON" in str(r.exception)
    bad = orjson.loads(lines[0])
    bad["messages"][1]["role"] = "wizard"
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_bytes(orjson.dumps(bad) + b"\n")
    r = export(str(wrong), "-o", str(tmp_path / "o"), ok=False)
    assert f"{wrong}:1" in str(r.exception) and "messages.1.role" in str(r.exception)
    dup = tmp_path / "dup.jsonl"
    dup.write_bytes(lines[0] + b"\n" + lines[0] + b"\n")
    r = export(str(dup), "-o", str(tmp_path / "o"), ok=False)
    assert "appears twice" in str(r.exception) and f"{dup}:1" in str(r.exception)


def test_bad_options_and_recipe_fields_are_user_errors(real_dialogs, tmp_path):
    r = export(str(real_dialogs), "-o", str(tmp_path / "o"), "--format", "trl-dpo", ok=False)
    assert "give --preferences" in str(r.exception)
    r = export(str(real_dialogs), "-o", str(tmp_path / "o"), "--format", "csv", ok=False)
    assert "export.formats.0" in str(r.exception)
    recipe = tmp_path / "r.yaml"
    recipe.write_text("strategy: magnet\ncatalog: x\nexport:\n  split: {validation: 0.6, test: 0.5}\n")
    r = export(str(real_dialogs), "-o", str(tmp_path / "o"), "--recipe", str(recipe), ok=False)
    assert "validation + test" in str(r.exception)
    recipe.write_text("strategy: magnet\ncatalog: x\nexport:\n  dedupe: {threshold: 0.9}\n")
    r = export(str(real_dialogs), "-o", str(tmp_path / "o"), "--recipe", str(recipe), ok=False)
    assert "export.dedupe" in str(r.exception)


def test_a_failed_export_leaves_the_earlier_output_as_it_was(real_dialogs, prefs_file, tmp_path):
    out = tmp_path / "o"
    export_json(str(real_dialogs), "-o", str(out), "--format", "trl-sft,openai")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad_pairs = tmp_path / "p.jsonl"
    rec = orjson.loads(prefs_file.read_bytes().splitlines()[0])
    rec["chosen"] = []
    write_artifact(bad_pairs, "preference", [rec])
    r = export(
        str(real_dialogs), "-p", str(bad_pairs), "-o", str(out), "--format", "trl-sft,openai", ok=False
    )
    assert "chosen must start with the assistant action" in str(r.exception) and f"{bad_pairs}:1" in str(
        r.exception
    )
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in out.iterdir() if p.name.startswith(".export-staging")]


def test_cli_prints_one_line_and_exits_2(real_dialogs, tmp_path):
    import subprocess
    import sys

    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolsynth",
            "export",
            str(tmp_path / "missing.jsonl"),
            "-o",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "file not found" in r.stderr
    assert "Traceback" not in r.stderr


def test_an_empty_dialogs_file_exports_nothing_and_says_so(tmp_path):
    src = tmp_path / "dialogs.jsonl"
    src.write_bytes(b"")
    s = export_json(str(src), "-o", str(tmp_path / "o"))
    assert s["dialogs"]["input"] == 0 and s["dialogs"]["kept"] == 0
    assert not (tmp_path / "o" / "trl-sft" / "train.jsonl").exists()
    assert (tmp_path / "o" / "export.manifest.json").exists()
