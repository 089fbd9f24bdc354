"""Detection, naming, repeats, skips and strictness of `load_catalog`, on small files written by the tests (for
formats with no real sample in ../shared, e.g. xLAM) and on copies of real catalog files."""

from __future__ import annotations

import json
import logging
import shutil

import pytest

from toolsynth.catalog.detect import detect, parse_file
from toolsynth.catalog.layout import catalog_units
from toolsynth.catalog.load import load_catalog
from toolsynth.catalog.model import Tool
from toolsynth.catalog.names import NAME_PATTERN
from toolsynth.errors import InputError


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


# The record of the xlam-function-calling-60k dataset card (the dataset itself is gated, so not in ../shared).
XLAM_RECORD = {
    "id": 0,
    "query": "Where can I find live giveaways for beta access and games?",
    "answers": '[{"name": "live_giveaways_by_type", "arguments": {"type": "beta"}}]',
    "tools": json.dumps(
        [
            {
                "name": "live_giveaways_by_type",
                "description": "Retrieve live giveaways from the GamerPower API based on the specified type.",
                "parameters": {
                    "type": {
                        "description": "The type of giveaways to retrieve (e.g., game, loot, beta).",
                        "type": "str",
                        "default": "game",
                    }
                },
            },
            {
                "name": "get_prices",
                "description": "Prices of items.",
                "parameters": {
                    "items": {"description": "Item ids.", "type": "List[int]"},
                    "currency": {"description": "ISO code.", "type": "str, optional"},
                },
            },
        ]
    ),
}


def test_bfcl_jsonl_with_json_extension_is_sniffed(shared_catalogs):
    src = parse_file(shared_catalogs / "bfcl/multi_turn_func_doc/math_api.json")
    assert isinstance(src.doc, list) and len(src.doc) == 17 and src.linenos[:3] == [1, 2, 3]
    assert detect(src.doc).fmt == "bfcl"


def test_xlam_record_and_flat_tools(tmp_path):
    rec = load_catalog(_write(tmp_path / "xlam_row.json", XLAM_RECORD))
    assert rec.files == {str(tmp_path / "xlam_row.json"): "xlam"}
    give = next(t for t in rec.tools if t.name == "live_giveaways_by_type")
    assert give.properties["type"] == {
        "description": "The type of giveaways to retrieve (e.g., game, loot, beta).",
        "type": "string",
        "default": "game",
    }
    assert give.required == []  # has a default
    prices = next(t for t in rec.tools if t.name == "get_prices")
    assert prices.properties["items"]["type"] == "array"
    assert prices.properties["items"]["items"] == {"type": "integer"}
    assert prices.properties["currency"]["type"] == "string"  # `str, optional`
    assert prices.required == ["items"]
    # The same tools as a plain list are a catalog; inside a directory the task row is ignored.
    flat = _write(tmp_path / "cat" / "tools.json", json.loads(XLAM_RECORD["tools"]))
    _write(tmp_path / "cat" / "rows.jsonl", json.dumps(XLAM_RECORD) + "\n")
    r = load_catalog(flat.parent)
    assert r.files == {str(flat): "xlam"} and len(r.tools) == 2
    assert r.ignored[0][0].endswith("rows.jsonl") and "xLAM" in r.ignored[0][1]


def test_plain_function_list_and_openapi(tmp_path):
    fns = [
        {
            "name": "get_weather",
            "description": "Weather now.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
                "required": ["city"],
            },
        }
    ]
    r = load_catalog(_write(tmp_path / "fns.json", fns))
    assert r.tools[0].provenance.format == "functions" and r.tools[0].required == ["city"]
    spec = {
        "openapi": "3.0.0",
        "info": {"title": "Pets"},
        "paths": {
            "/pets/{id}": {
                "parameters": [{"$ref": "#/components/parameters/PetId"}],
                "get": {
                    "operationId": "getPet",
                    "summary": "One pet.",
                    "responses": {
                        "200": {
                            "description": "the pet",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}},
                        }
                    },
                },
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"name": {"type": "string"}},
                                    "required": ["name"],
                                }
                            }
                        }
                    },
                    "responses": {"201": {"description": "created"}},
                },
            }
        },
        "components": {
            "parameters": {"PetId": {"name": "id", "in": "path", "schema": {"type": "integer"}}},
            "schemas": {
                "Pet": {
                    "type": "object",
                    "properties": {"id": {"type": "integer"}, "tag": {"type": "string"}},
                }
            },
        },
    }
    r = load_catalog(_write(tmp_path / "pets.json", spec))
    by_name = {t.name: t for t in r.tools}
    assert set(by_name) == {"getPet", "pets_id_post"}
    assert by_name["getPet"].properties == {"id": {"type": "integer"}} and by_name["getPet"].required == [
        "id"
    ]
    assert {f.name for f in by_name["getPet"].returns.fields} == {"id", "tag"}
    assert by_name["pets_id_post"].required == ["id", "name"]


def test_name_collisions_get_unique_valid_names(tmp_path):
    fns = [
        {"name": n, "description": f"variant {i}", "parameters": {"type": "object", "properties": {}}}
        for i, n in enumerate(
            ["get weather", "get_weather", "get.weather", "Get Weather Forecast!", "x" * 90]
        )
    ]
    r = load_catalog(_write(tmp_path / "fns.json", fns))
    names = [t.name for t in r.tools]
    assert names[:4] == ["get_weather", "get_weather_2", "get_weather_3", "Get_Weather_Forecast"]
    assert len(names[4]) <= 64 and all(NAME_PATTERN.match(n) for n in names)
    assert [t.original_name for t in r.tools][:3] == ["get weather", "get_weather", "get.weather"]


def test_exact_repeats_merge_and_bring_returns(tmp_path):
    fn = {
        "name": "f",
        "description": "d",
        "parameters": {"type": "object", "properties": {"a": {"type": "int"}}},
    }
    _write(tmp_path / "a" / "one.json", [{"type": "function", "function": fn}])
    _write(
        tmp_path / "a" / "two.json",
        [{"type": "function", "function": {**fn, "x-returns": {"type": "string"}}}],
    )
    _write(tmp_path / "a" / "three.json", [{"type": "function", "function": {**fn, "description": "other"}}])
    r = load_catalog(tmp_path / "a")
    assert [t.name for t in r.tools] == ["f", "f_2"]
    assert r.tools[0].returns.fields[0].type == "string" and len(r.duplicates) == 1


def test_unusable_tools_are_skipped_with_reason(tmp_path, caplog):
    tools = [
        {"type": "function", "function": {"name": "ok", "parameters": {"type": "object", "properties": {}}}},
        {"type": "function", "function": {"description": "no name", "parameters": {"type": "object"}}},
        {"type": "function", "function": {"name": "listy", "parameters": ["a"]}},
        {
            "type": "function",
            "function": {"name": "ref", "parameters": {"properties": {"a": {"$ref": "#/$defs/X"}}}},
        },
        "not a tool",
    ]
    path = _write(tmp_path / "tools.json", tools)
    with caplog.at_level(logging.WARNING, logger="toolsynth"):
        r = load_catalog(path)
    assert [t.name for t in r.tools] == ["ok"]
    reasons = [(s.where.split(":", 1)[1], s.reason) for s in r.skipped]
    assert reasons == [
        ("$[1].function", "tool has no name"),
        ("$[2].function.parameters", "parameters must be an object, got list"),
        ("$[3].function.parameters", "$ref '#/$defs/X' points to a missing definition"),
        ("$[4]", "tool entry must be a JSON object, got str"),
    ]
    assert all(s.file == str(path) for s in r.skipped)
    assert sum("skipped tool" in rec.getMessage() for rec in caplog.records) == 4
    with pytest.raises(InputError, match=r"tools\.json:\$\[1\]\.function: tool has no name"):
        load_catalog(path, strict=True)


def test_file_level_errors(tmp_path):
    bad = _write(tmp_path / "bad.json", '[\n  {"name": "a",}\n]\n')
    with pytest.raises(InputError) as exc:
        load_catalog(bad)
    assert exc.value.where == f"{bad}:2:15"  # line:column as orjson reports it
    jl = _write(tmp_path / "bad.jsonl", '{"name": "a", "parameters": {}}\n\n{"name": \n')
    with pytest.raises(InputError, match=r"bad\.jsonl:3:\d+: invalid JSON in JSONL record"):
        load_catalog(jl)
    # Inside a directory: other JSON files are ignored with a reason, but broken JSON is still an error.
    d = tmp_path / "dir"
    _write(d / "db.json", {"users": {}})
    _write(d / "tools.json", [{"name": "a", "parameters": {"type": "object"}}])
    r = load_catalog(d)
    assert len(r.tools) == 1 and r.ignored == [
        (str(d / "db.json"), "a JSON object with keys users: no tool list in it")
    ]
    _write(d / "zz_broken.json", "{")
    with pytest.raises(InputError, match="zz_broken.json:1:2: invalid JSON"):
        load_catalog(d)


def test_forced_format(shared_catalogs, tmp_path):
    seal = shared_catalogs / "seal-tools" / "tool_sample.jsonl"
    with pytest.raises(InputError, match="not an MCP tools list"):
        load_catalog(seal, fmt="mcp")
    assert len(load_catalog(seal, fmt="seal-tools").tools) == 514  # alias
    with pytest.raises(InputError, match="unknown catalog format 'nope'"):
        load_catalog(seal, fmt="nope")
    # Forced on a directory: files that are not that format are ignored with the loader's reason.
    d = tmp_path / "mix"
    shutil.copy(seal, d.mkdir() or d / "tool_sample.jsonl")
    shutil.copy(shared_catalogs / "seal-tools" / "queries_sample35.jsonl", d / "q.jsonl")
    r = load_catalog(d, fmt="seal")
    assert len(r.tools) == 514 and r.ignored[0][1].startswith("not seal: no entry has `api_name`")


def test_collection_detection(shared_catalogs, tmp_path):
    assert catalog_units(shared_catalogs / "bfcl") == [shared_catalogs / "bfcl"]  # nested, but one catalog
    assert len(catalog_units(shared_catalogs)) == 9
    # A folder of undocumented subfolders is one catalog.
    _write(tmp_path / "c" / "x" / "t.json", [{"name": "a", "parameters": {"type": "object"}}])
    assert catalog_units(tmp_path / "c") == [tmp_path / "c"]


def test_records_round_trip_through_the_model(shared_catalogs):
    r = load_catalog(shared_catalogs / "tau2-bench")
    for t in r.tools:
        rec = json.loads(json.dumps(t.to_record()))
        assert Tool.from_record(rec) == t


def test_relative_paths_keep_catalog_and_source_names(shared_catalogs, monkeypatch):
    monkeypatch.chdir(shared_catalogs / "bfcl")
    r = load_catalog(".")
    assert r.catalog == "bfcl" and len(r.tools) == 176
    assert r.tools[0].provenance.source_file == "bfcl/multi_turn_func_doc/gorilla_file_system.json"
    monkeypatch.chdir(shared_catalogs)
    whole = load_catalog(".")
    assert {t.provenance.catalog for t in whole.tools} >= {"bfcl", "toolbench"}
