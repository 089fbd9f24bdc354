"""Malformed recipes and malformed catalogs of our own making: each is one line on stderr naming the file and the
field (or JSON path), exit code 2, no traceback, and no artifact written."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import one_error_line, run_main

GOOD = "name: t\nstrategy: magnet\ncatalog: cat.json\noutput_dir: out\n"
TOOL = '{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}'

# (recipe text, what the error line must name)
BAD_RECIPES: dict[str, tuple[str, str]] = {
    "invalid_yaml": ("name: [unclosed\nstrategy: magnet\n", "invalid YAML"),
    "not_a_mapping": ("- one\n- two\n", "must be a YAML mapping"),
    "empty_file": ("", "must be a YAML mapping"),
    "unknown_top_key": (GOOD + "stratgy: magnet\n", "stratgy: Extra inputs are not permitted"),
    "missing_strategy": ("catalog: cat.json\n", "strategy: Field required"),
    "bad_strategy": (GOOD.replace("magnet", "vibes"), "strategy: Input should be 'toolflow' or 'magnet'"),
    "temperature_text": (GOOD + "llm: {temperature: hot}\n", "llm.temperature"),
    "negative_plans": (GOOD + "plans: {n: -5}\n", "plans.n"),
    "unknown_check": (GOOD + "synth: {required_checks: [vibes]}\n", "synth.required_checks[0]"),
    "too_many_regenerations": (GOOD + "synth: {max_regenerations: 1000}\n", "synth.max_regenerations"),
    "nested_unknown_key": (GOOD + "graph: {embedding: {modle: x}}\n", "graph.embedding.modle"),
    "error_rate_above_one": (GOOD + "synth: {max_error_rate: 2}\n", "synth.max_error_rate"),
    "missing_catalog": (GOOD.replace("cat.json", "no-such-catalog.json"), "catalog"),
}


@pytest.mark.parametrize("case", sorted(BAD_RECIPES))
def test_malformed_recipe(tmp_path: Path, case: str, capsys) -> None:
    text, field = BAD_RECIPES[case]
    (tmp_path / "cat.json").write_text(f"[{TOOL}]")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(text)
    code, _, err = run_main(["run", recipe], capsys)
    line = one_error_line(err)
    assert code == 2
    assert str(recipe) in line and field in line, line
    assert not (tmp_path / "out").exists()


# (file name, content, what the error line must name besides the file)
BAD_CATALOGS: dict[str, tuple[str, bytes, str]] = {
    "invalid_json": ("cat.json", b'[{"name": "f",', "invalid JSON"),
    "a_number": ("cat.json", b"42", "not a tool catalog"),
    "an_object_without_tools": ("cat.json", b'{"foo": 1}', "not a tool catalog"),
    "a_list_of_strings": ("cat.json", b'["a", "b"]', "cat.json"),
    "empty_file": ("cat.json", b"", "cat.json"),
    "binary_garbage": ("cat.json", bytes(range(256)), "cat.json"),
    "torn_jsonl_line": ("cat.jsonl", (TOOL + "\n" + TOOL[:30] + "\n").encode(), "cat.jsonl:2"),
    "parameters_a_string": (
        "cat.json",
        b'[{"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}}]',
        "$[0].function.parameters",
    ),
    "broken_ref": (
        "cat.json",
        b'[{"type": "function", "function": {"name": "f", "parameters": {"$ref": "#/$defs/nope"}}}]',
        "points to a missing definition",
    ),
    "tool_without_name": (
        "cat.json",
        b'[{"type": "function", "function": {"parameters": {"type": "object", "properties": {}}}}]',
        "no usable tools",
    ),
    "properties_a_list": (
        "cat.json",
        b'[{"type": "function", "function": {"name": "f", "parameters": {"properties": [1, 2]}}}]',
        "properties",
    ),
    "mcp_with_bad_input_schema": (
        "cat.json",
        b'{"tools": [{"name": "f", "inputSchema": 7}]}',
        "no usable tools",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CATALOGS))
def test_malformed_catalog(tmp_path: Path, case: str, capsys) -> None:
    name, content, field = BAD_CATALOGS[case]
    cat = tmp_path / name
    cat.write_bytes(content)
    out = tmp_path / "out" / "tools.jsonl"
    code, _, err = run_main(["catalog", "convert", cat, "-o", out], capsys)
    line = one_error_line(err)
    assert code == 2
    assert name in line and field in line, line
    assert not out.exists()


def test_a_folder_with_no_catalog_in_it(tmp_path: Path, capsys) -> None:
    d = tmp_path / "cats"
    d.mkdir()
    (d / "README.md").write_text("# notes")
    (d / "tasks.json").write_text('[{"question": "what?", "answer": 1}]')
    out = tmp_path / "out" / "tools.jsonl"
    code, _, err = run_main(["catalog", "convert", d, "-o", out], capsys)
    assert code == 2 and str(d) in one_error_line(err) and not out.exists()
