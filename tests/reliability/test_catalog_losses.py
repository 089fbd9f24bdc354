"""Finding 7: catalogs that quietly become nothing. Zero usable tools is an error (exit 2) in `catalog convert`
and `build-graph`; an unread object that looks like a parameter list is named in a warning; `"required": "a"` is
read as `["a"]`, and said."""

from __future__ import annotations

import logging
from pathlib import Path

import orjson
import pytest
from cli_helpers import one_error_line, run_main

from toolsynth.catalog.load import load_catalog


def write(path: Path, doc: object) -> Path:
    path.write_bytes(orjson.dumps(doc))
    return path


UNUSABLE = [{"type": "function", "function": {"name": "x", "parameters": {"type": "string"}}}]


@pytest.mark.parametrize("command", [["catalog", "convert"], ["build-graph"]])
def test_a_catalog_with_no_usable_tool_is_an_error(tmp_path: Path, command: list[str], capsys) -> None:
    cat = write(tmp_path / "cat.json", UNUSABLE)
    out = tmp_path / "out" / ("tools.jsonl" if command[0] == "catalog" else "graph")
    code, _, err = run_main([*command, cat, "-o", out], capsys)
    line = one_error_line(err)
    assert code == 2
    assert line.startswith(f"error: {cat}: no usable tools") and "parameters must have type object" in line
    assert not out.is_file() and not (out / "nodes.jsonl").exists()


def test_an_unread_parameter_list_is_named(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    doc = [
        {
            "type": "function",
            "function": {
                "name": "search_flights",
                "description": "Find flights.",
                "input_fields": {"origin": {"type": "string"}, "destination": {"type": "string"}},
                "output_fields": {"price": {"type": "number"}},  # a return list: not an input
            },
        },
        {"type": "function", "function": {"name": "ping", "description": "No arguments, rightly."}},
    ]
    with caplog.at_level(logging.WARNING, logger="toolsynth"):
        res = load_catalog(write(tmp_path / "odd.json", doc))
    assert [t.name for t in res.tools] == ["search_flights", "ping"]
    (warning,) = res.warnings
    assert "odd.json:$[0]" in warning and "`input_fields`" in warning and "search_flights" in warning
    assert "output_fields" not in warning and any("input_fields" in m for m in caplog.messages)


def test_a_list_of_named_fields_under_an_unread_key_is_named_too(tmp_path: Path) -> None:
    doc = [
        {"name": "lookup", "description": "d", "args": [{"name": "q", "type": "string", "required": True}]}
    ]
    res = load_catalog(write(tmp_path / "odd.json", doc), fmt="openai")
    assert len(res.warnings) == 1 and "`args`" in res.warnings[0]


def test_required_as_a_string_is_read_as_a_list_and_said(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    doc = [
        {
            "type": "function",
            "function": {
                "name": "rm",
                "parameters": {"type": "object", "properties": {"a": {"type": "string"}}, "required": "a"},
            },
        }
    ]
    with caplog.at_level(logging.WARNING, logger="toolsynth"):
        (tool,) = load_catalog(write(tmp_path / "req.json", doc)).tools
    assert tool.parameters["required"] == ["a"]
    assert any("required: a string, not a list; read as ['a']" in m for m in caplog.messages)


def test_the_real_catalogs_raise_no_false_alarm(shared_catalogs: Path) -> None:
    for name in ("bfcl", "mcp-servers", "tau2-bench", "toolbench", "nestful"):
        res = load_catalog(shared_catalogs / name)
        assert res.tools and not [w for w in res.warnings if "looks like a parameter list" in w], name
