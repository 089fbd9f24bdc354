"""Every loader on the real catalogs: the tool counts each catalog's README states, and where our count differs from
the README's number, the difference is recomputed from the raw data so the explanation is checked too."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from toolsynth.catalog.layout import catalog_units
from toolsynth.catalog.load import load_catalog
from toolsynth.catalog.names import NAME_PATTERN


def _by(result, attr):
    return Counter(getattr(t.provenance, attr) for t in result.tools)


def test_bfcl_current_func_docs_162_over_12_classes(shared_catalogs):
    r = load_catalog(shared_catalogs / "bfcl" / "multi_turn_func_doc")
    assert len(r.tools) == 162 and not r.skipped and not r.duplicates
    assert {t.provenance.format for t in r.tools} == {"bfcl"}
    # README: class → count mapping (MULTI_TURN_FUNC_DOC_FILE_MAPPING).
    assert _by(r, "category") == {
        "GorillaFileSystem": 18,
        "MathAPI": 17,
        "MessageAPI": 10,
        "TwitterAPI": 14,
        "TicketAPI": 9,
        "TradingBot": 20,
        "TravelAPI": 18,
        "VehicleControlAPI": 22,
        "WebSearchAPI": 2,
        "MemoryAPI_kv": 15,
        "MemoryAPI_vector": 12,
        "MemoryAPI_rec_sum": 5,
    }
    # `response` on 161 of 162: all but web_search's search_engine_query.
    no_returns = [t.original_name for t in r.tools if t.returns is None]
    assert no_returns == ["search_engine_query"]


def test_bfcl_v3_func_docs_129(shared_catalogs):
    r = load_catalog(shared_catalogs / "bfcl" / "v3_samples" / "multi_turn_func_doc")
    assert len(r.tools) == 129 and len(r.files) == 8
    cats = _by(r, "category")
    assert cats["TradingBot"] == 22 and cats["TravelAPI"] == 17  # README: v3 → v4 went 22 → 20 and 17 → 18


def test_bfcl_folder_merges_v3_docs_identical_to_v4(shared_catalogs):
    r = load_catalog(shared_catalogs / "bfcl")
    # 162 + 129 entries; the v3 docs byte-identical (name, description, parameters, response) to a v4 doc merge.
    raw = {}
    for f in sorted((shared_catalogs / "bfcl").rglob("multi_turn_func_doc/*.json")):
        for line in f.read_text().splitlines():
            if line.strip():
                d = json.loads(line)
                raw.setdefault(json.dumps(d, sort_keys=True), 0)
                raw[json.dumps(d, sort_keys=True)] += 1
    assert len(r.tools) == len(raw) == 176
    assert len(r.tools) + len(r.duplicates) == 162 + 129
    # Task and answer files are recognised and ignored, none silently.
    assert len(r.ignored) == 20 and all(reason for _, reason in r.ignored)
    assert not any("multi_turn_func_doc" in f for f, _ in r.ignored)


def test_bfcl_single_turn_entries_load_when_named(shared_catalogs):
    r = load_catalog(shared_catalogs / "bfcl" / "v3_samples" / "BFCL_v3_multiple.json")
    fn_docs = [
        fn
        for line in (shared_catalogs / "bfcl" / "v3_samples" / "BFCL_v3_multiple.json")
        .read_text()
        .splitlines()
        for fn in json.loads(line)["function"]
    ]
    assert len(fn_docs) == 127 and len(r.tools) == 127  # 127 docs, 126 names: one name has two definitions
    assert len({t.original_name for t in r.tools}) == 126


@pytest.mark.parametrize(("domain", "count"), [("retail", 16), ("airline", 14)])
def test_tau_bench_domains(shared_catalogs, domain, count):
    r = load_catalog(shared_catalogs / "tau-bench" / domain)
    # tools.openai.json and tools.with_returns.json list the same tools; the copy with `x-returns` wins.
    assert len(r.tools) == count and len(r.duplicates) == count
    assert all(t.returns is not None for t in r.tools)
    assert {f.rsplit("/", 1)[-1]: fmt for f, fmt in r.files.items()} == {
        "tools.openai.json": "openai",
        "tools.with_returns.json": "openai",
    }
    assert sorted(f.rsplit("/", 1)[-1] for f, _ in r.ignored) == [
        "db_sample.json",
        "tasks_test_sample10.json",
    ]


def test_tau_bench_folder_merges_the_one_tool_identical_in_both_domains(shared_catalogs):
    r = load_catalog(shared_catalogs / "tau-bench")
    assert len(r.tools) == 16 + 14 - 1
    shared = [t for t in r.tools if (t.provenance.attributes or {}).get("also_in")]
    assert [(t.name, t.provenance.category, t.provenance.attributes["also_in"]) for t in shared] == [
        ("transfer_to_human_agents", "airline", ["retail"])
    ]
    # Same name, different return text per domain: two tools, both named validly.
    calc = sorted((t.name, t.provenance.category) for t in r.tools if t.original_name == "calculate")
    assert calc == [("calculate", "airline"), ("calculate_2", "retail")]


@pytest.mark.parametrize(("domain", "agent", "user"), [("airline", 14, 0), ("retail", 16, 0), ("mock", 4, 2)])
def test_tau2_domains(shared_catalogs, domain, agent, user):
    r = load_catalog(shared_catalogs / "tau2-bench" / domain)
    user_tools = [t for t in r.tools if (t.provenance.attributes or {}).get("user_tool")]
    assert len(r.tools) == agent + user and len(user_tools) == user
    assert all(t.returns is not None for t in r.tools)  # x-returns on every tau2 tool
    assert all(t.provenance.attributes["tool_type"] in ("read", "write", "generic") for t in r.tools)


def test_tau2_tool_types_match_readme(shared_catalogs):
    # README: "36 read, 37 write, 6 generic across all toolkits" (including telecom, not collected): ours are a subset.
    r = load_catalog(shared_catalogs / "tau2-bench")
    types = Counter(t.provenance.attributes["tool_type"] for t in r.tools)
    assert types["read"] <= 36 and types["write"] <= 37 and types["generic"] <= 6
    assert len(r.tools) + len(r.duplicates) == 14 + 16 + 4 + 2


def test_toolbench_620_apis_200_tools_47_categories(shared_catalogs):
    r = load_catalog(shared_catalogs / "toolbench")
    assert len(r.tools) == 620 and not r.skipped and not r.duplicates
    assert len({t.provenance.attributes["tool"] for t in r.tools}) == 200
    assert len({t.provenance.category for t in r.tools}) == 47
    # README: template_response "present on 451/620"; 12 of those are `{}` (no field), so 439 describe a return.
    raw = json.loads((shared_catalogs / "toolbench" / "tools_sample200.json").read_text())
    apis = [a for tool in raw for a in tool["api_list"]]
    present = [a for a in apis if a.get("template_response") is not None]
    assert len(present) == 451
    assert sum(1 for t in r.tools if t.returns is not None) == sum(
        1 for a in present if a["template_response"]
    )
    assert sum(1 for t in r.tools if t.returns is not None) == 439
    # The query file (API lists inline) and the answer trajectory are not catalogs.
    assert sorted(f.rsplit("/", 1)[-1] for f, _ in r.ignored) == [
        "answer_example_588_CoT@1.json",
        "queries_sample60.json",
    ]


def test_toolalpaca_functions(shared_catalogs):
    r = load_catalog(shared_catalogs / "toolalpaca")
    # README says 64 + 51 = 115 "functions": that counts the keys of `Function_Description`, each of which has a
    # pseudo-entry `components` (the schema section). The functions are the `Function_Projection` entries: 54 + 40.
    for name, readme_count, functions in (("eval_simulated.json", 64, 54), ("eval_real.json", 51, 40)):
        records = json.loads((shared_catalogs / "toolalpaca" / name).read_text())
        assert sum(len(rec["Function_Description"]) for rec in records) == readme_count
        assert all("components" in rec["Function_Description"] for rec in records)
        assert sum(len(rec["Function_Projection"]) for rec in records) == functions
        assert sum(1 for t in r.tools if t.provenance.source_file.endswith(name)) == functions
    assert len(r.tools) == 94 and not r.skipped
    assert len({t.provenance.attributes["api"] for t in r.tools}) == 21
    assert all(t.returns is not None for t in r.tools)
    assert [f.rsplit("/", 1)[-1] for f, _ in r.ignored] == ["public_apis_sample100.json"]


def test_seal_tools_514_over_146_fields(shared_catalogs):
    r = load_catalog(shared_catalogs / "seal-tools")
    assert len(r.tools) == 514 and not r.skipped
    assert len({t.provenance.category.split("/")[0] for t in r.tools}) == 146
    assert all(t.returns is not None and t.returns.fields for t in r.tools)  # `responses` on all


def test_nestful_specs(shared_catalogs):
    r = load_catalog(shared_catalogs / "nestful")
    per_file = Counter(t.provenance.source_file.rsplit("/", 1)[-1] for t in r.tools)
    dup_files = Counter(d.file.rsplit("/", 1)[-1] for d in r.duplicates)
    assert per_file["executable-spec.json"] == 39
    assert per_file["non-executable-sgd-spec.json"] == 30
    # README: 70 Glaive functions; 6 of the 70 rows repeat an earlier row exactly (search_product ×3, ...).
    glaive = json.loads(
        (shared_catalogs / "nestful/non-executable/non-executable-glaive-spec.json").read_text()
    )
    assert len(glaive) == 70 and len({json.dumps(g, sort_keys=True) for g in glaive}) == 64
    assert (
        per_file["non-executable-glaive-spec.json"] == 64
        and dup_files["non-executable-glaive-spec.json"] == 6
    )
    assert all(t.returns is not None for t in r.tools)  # output_parameters on all
    assert len(r.ignored) == 3  # the three *-data.json task files


def test_mcp_52_tools_over_7_servers(shared_catalogs):
    r = load_catalog(shared_catalogs / "mcp-servers")
    # The README table sums to 52 (its closing "78 tools in all" is a slip).
    assert _by(r, "category") == {
        "filesystem": 14,
        "memory": 9,
        "everything": 13,
        "sequential-thinking": 1,
        "fetch": 1,
        "git": 12,
        "time": 2,
    }
    with_output = Counter(t.provenance.category for t in r.tools if t.returns is not None)
    assert with_output == {
        "filesystem": 14,
        "memory": 9,
        "sequential-thinking": 1,
        "time": 2,
        "everything": 1,
    }


def test_toolace_446_entries_429_names(shared_catalogs):
    r = load_catalog(shared_catalogs / "toolace")
    raw = json.loads((shared_catalogs / "toolace" / "tool_lists_100.json").read_text())
    entries = [t for rec in raw for t in rec["tools"]]
    assert len(entries) == 446 and len({t["name"] for t in entries}) == 429
    # 435 distinct definitions: 6 names appear with two or three different definitions; the 11 exact repeats merge.
    assert len(r.tools) == 435 and len(r.duplicates) == 11
    assert len({t.original_name for t in r.tools}) == 429
    assert any(" " in t.original_name for t in r.tools)
    assert r.ignored and "system prompt" in r.ignored[0][1]


def test_every_shared_catalog_loads_without_skips(shared_catalogs):
    units = catalog_units(shared_catalogs)
    assert [u.name for u in units] == [
        "bfcl",
        "mcp-servers",
        "nestful",
        "seal-tools",
        "tau-bench",
        "tau2-bench",
        "toolace",
        "toolalpaca",
        "toolbench",
    ]
    whole = load_catalog(shared_catalogs)
    assert not whole.skipped and not whole.warnings
    names = [t.name for t in whole.tools]
    assert len(names) == len(set(names)) and all(NAME_PATTERN.match(n) for n in names)
    # Loaded as one collection, every tool still names the catalog folder it came from.
    assert {t.provenance.catalog for t in whole.tools} == {u.name for u in units}
    assert len(whole.tools) == sum(len(load_catalog(u).tools) for u in units)
