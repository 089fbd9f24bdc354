"""`toolsynth catalog` through the real entry point: malformed inputs give one line and exit 2; inspect, validate and
convert on the real catalogs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolsynth.artifacts import read_artifact, read_manifest
from toolsynth.catalog.model import Tool
from toolsynth.cli import app


def _toolsynth(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "toolsynth", *map(str, args)], capture_output=True, text=True, cwd=cwd
    )


FUNC = {
    "name": "f",
    "description": "d",
    "parameters": {"type": "object", "properties": {"a": {"type": "string"}}},
}

MALFORMED = [
    # (file name, content, command, expected one-line error after "error: <file>")
    ("trailing_comma.json", '[\n  {"name": "a",}\n]\n', "inspect", r":2:15: invalid JSON \(.+\)$"),
    (
        "bad_line.json",
        json.dumps(FUNC) + "\n" + json.dumps(FUNC) + "\n" + '{"name": "g", "parameters": {\n',
        "inspect",
        r":3:\d+: invalid JSON in JSONL record \(.+\)$",
    ),
    (
        "db.json",
        json.dumps({"users": {"u1": {}}, "orders": {}}),
        "inspect",
        r": not a tool catalog: a JSON object with keys orders, users: no tool list in it \(use --format",
    ),
    ("empty.json", "   \n", "inspect", r": file is empty$"),
    (
        "params_list.json",
        json.dumps([{"type": "function", "function": {**FUNC, "parameters": ["a", "b"]}}]),
        "validate",
        r":\$\[0\]\.function\.parameters: parameters must be an object, got list$",
    ),
    (
        "params_string.json",
        json.dumps([{"type": "function", "function": {**FUNC, "parameters": {"type": "string"}}}]),
        "validate",
        r":\$\[0\]\.function\.parameters: parameters must have type object, got 'string'$",
    ),
    (
        "broken_ref.jsonl",
        json.dumps({**FUNC, "parameters": {"type": "dict", "properties": {"x": {"$ref": "#/$defs/Gone"}}}})
        + "\n",
        "validate",
        r":1:\$\.parameters: \$ref '#/\$defs/Gone' points to a missing definition$",
    ),
    (
        "no_name.json",
        json.dumps({"tools": [{"inputSchema": {"type": "object"}, "description": "x"}]}),
        "validate",
        r":\$\.tools\[0\]: tool has no name$",
    ),
    (
        "spec_string.json",
        json.dumps([{"Name": "A", "Documentation": "{not json", "Function_Projection": {}}]),
        "validate",
        r":\$\[0\]\.Documentation: `Documentation` is not valid JSON \(.+\)$",
    ),
]


@pytest.mark.parametrize(("name", "content", "command", "pattern"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_input_is_one_line_exit_2(tmp_path, name, content, command, pattern):
    path = tmp_path / name
    path.write_text(content)
    proc = _toolsynth("catalog", command, path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"error: {path}")
    assert re.search(pattern, lines[0][len(f"error: {path}") :]), lines[0]


def test_other_user_errors_exit_2(tmp_path):
    missing = _toolsynth("catalog", "inspect", tmp_path / "nope")
    assert (
        missing.returncode == 2
        and missing.stderr.strip() == f"error: {tmp_path / 'nope'}: no such file or directory"
    )
    (tmp_path / "t.json").write_text(json.dumps([FUNC]))
    fmt = _toolsynth("catalog", "inspect", "--format", "yaml", tmp_path / "t.json")
    assert fmt.returncode == 2 and fmt.stderr.startswith("error: --format: unknown catalog format 'yaml'")


def test_skips_do_not_abort_without_strict(tmp_path):
    (tmp_path / "t.json").write_text(
        json.dumps(
            [{"type": "function", "function": FUNC}, {"type": "function", "function": {"parameters": {}}}]
        )
    )
    proc = _toolsynth("catalog", "inspect", "--json", tmp_path / "t.json")
    assert proc.returncode == 0, proc.stderr
    cat = json.loads(proc.stdout)["catalogs"][0]
    assert (cat["tools"], cat["skipped"]) == (1, 1)
    assert cat["skipped_tools"][0]["reason"] == "tool has no name"
    assert "skipped tool (unnamed)" in proc.stderr and "$[1].function" in proc.stderr


def test_inspect_shared_catalogs_json(shared_catalogs):
    r = CliRunner().invoke(app, ["catalog", "inspect", str(shared_catalogs), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    rows = {c["catalog"]: c for c in data["catalogs"]}
    assert {k: v["tools"] for k, v in rows.items()} == {
        "bfcl": 176,
        "mcp-servers": 52,
        "nestful": 133,
        "seal-tools": 514,
        "tau-bench": 29,
        "tau2-bench": 33,
        "toolace": 435,
        "toolalpaca": 94,
        "toolbench": 620,
    }
    assert all(c["skipped"] == 0 and c["skipped_tools"] == [] for c in data["catalogs"])
    assert data["totals"]["tools"] == sum(c["tools"] for c in data["catalogs"])
    assert rows["mcp-servers"]["tools_with_returns"] == 27 and rows["toolace"]["tools_with_returns"] == 0


def test_inspect_table_has_one_row_per_catalog_folder(shared_catalogs):
    r = CliRunner().invoke(app, ["catalog", "inspect", str(shared_catalogs)])
    assert r.exit_code == 0, r.output
    rows = [line for line in r.stdout.splitlines() if line.startswith("│")]
    assert [row.split("│")[1].strip() for row in rows] == [
        "bfcl",
        "mcp-servers",
        "nestful",
        "seal-tools",
        "tau-bench",
        "tau2-bench",
        "toolace",
        "toolalpaca",
        "toolbench",
        "total",
    ]
    assert "│   620 │" in rows[8]


def test_bundled_catalogs_load(shared_catalogs):
    bundled = Path(__file__).resolve().parents[2] / "tool_catalogs"
    r = CliRunner().invoke(app, ["catalog", "inspect", str(bundled), "--json"])
    assert r.exit_code == 0, r.output
    rows = {c["catalog"]: (c["tools"], c["skipped"]) for c in json.loads(r.stdout)["catalogs"]}
    assert rows == {
        "bfcl": (36, 0),
        "mcp-filesystem": (14, 0),
        "tau-bench-retail": (16, 0),
        "tau2-mock": (6, 0),
    }
    assert sum(f.stat().st_size for f in bundled.rglob("*") if f.is_file()) < 200_000


def test_validate_ok_is_one_line(shared_catalogs):
    proc = _toolsynth("catalog", "validate", shared_catalogs / "nestful")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (
        f"ok: {shared_catalogs / 'nestful'}: 133 tools from 3 files (nestful), 133 with returns, "
        "6 repeats merged, 3 non-catalog files ignored"
    )


def test_convert_writes_tools_and_manifest(shared_catalogs, tmp_path):
    out = tmp_path / "out" / "tools.jsonl"
    r = CliRunner().invoke(
        app, ["catalog", "convert", str(shared_catalogs / "tau2-bench"), "-o", str(out), "--json"]
    )
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    records = list(read_artifact(out, "tool"))
    assert len(records) == summary["tools"] == 33
    tools = [Tool.from_record(rec) for rec in records]
    assert {t.provenance.category for t in tools} == {"airline", "retail", "mock"}
    manifest = read_manifest(out)
    assert manifest["counts"]["tools"] == 33 and manifest["counts"]["duplicates_merged"] == 3
    assert manifest["inputs"][0]["files"] == len(list((shared_catalogs / "tau2-bench").rglob("*.*")))
    assert len(manifest["inputs"][0]["sha256"]) == 64
    # The converted file is itself a catalog: the same tools, the same names.
    again = CliRunner().invoke(app, ["catalog", "inspect", str(out), "--json"])
    cat = json.loads(again.stdout)["catalogs"][0]
    assert cat["tools"] == 33 and cat["formats"] == {"toolsynth": 33}
