"""The graph of BFCL `travel_booking` + `gorilla_file_system`: edges a person would expect, each with its reason;
generic fields suppressed; artifacts that load back; an unchanged re-run embeds nothing."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from toolsynth.artifacts import read_manifest
from toolsynth.catalog.load import load_catalog
from toolsynth.catalog.model import Tool
from toolsynth.graph.build import GraphBuild, build_graph, make_embedder
from toolsynth.graph.config import GraphConfig
from toolsynth.graph.store import EDGES_FILE, NODE_LINK_FILE, NODES_FILE, Edge, load_graph, write_graph


def _edge(build: GraphBuild, kind: str, a: str, b: str) -> Edge | None:
    for e in build.graph.edges:
        if e.kind == kind and (
            (e.source, e.target) == (a, b) or (not e.directed and (e.source, e.target) == (b, a))
        ):
            return e
    return None


def _family(tool: Tool) -> str:
    return Path(tool.provenance.source_file).stem


# (producer, consumer, output field, parameter): data flows anyone reading the two APIs would name.
EXPECTED_FLOWS = [
    ("authenticate_travel", "book_flight", "access_token", "access_token"),
    ("authenticate_travel", "retrieve_invoice", "access_token", "access_token"),
    ("register_credit_card", "purchase_insurance", "card_id", "card_id"),
    ("register_credit_card", "get_credit_card_balance", "card_id", "card_id"),
    ("book_flight", "cancel_booking", "booking_id", "booking_id"),
    ("purchase_insurance", "retrieve_invoice", "insurance_id", "insurance_id"),
    ("get_nearest_airport_by_city", "get_flight_cost", "nearest_airport", "travel_to"),
    ("pwd", "cd", "current_working_directory", "folder"),
]


@pytest.mark.parametrize(("src", "dst", "out_field", "param"), EXPECTED_FLOWS)
def test_expected_return_param_edges(bfcl_build: GraphBuild, src, dst, out_field, param) -> None:
    e = _edge(bfcl_build, "return_param", src, dst)
    assert e is not None, f"missing {src}.{out_field} -> {dst}.{param}"
    assert e.directed
    assert e.reason["source_field"] == f"return:{out_field}"
    assert e.reason["target_field"] == f"param:{param}"
    assert e.score >= 0.6


def test_expected_param_param_edges(bfcl_build: GraphBuild) -> None:
    for a, b, field in [
        ("book_flight", "get_flight_cost", "travel_date"),
        ("cancel_booking", "retrieve_invoice", "booking_id"),
        ("get_credit_card_balance", "purchase_insurance", "card_id"),
        ("cp", "mv", "destination"),
    ]:
        e = _edge(bfcl_build, "param_param", a, b)
        assert e is not None, f"missing {a} <-> {b}"
        assert not e.directed
        assert {e.reason["source_field"], e.reason["target_field"]} == {f"param:{field}"}


def test_no_nonsense_edges(bfcl_build: GraphBuild) -> None:
    tools = bfcl_build.graph.tools
    # Sharing a parameter between a file command and a travel call never means they belong together.
    for e in bfcl_build.graph.edges:
        if e.kind == "param_param":
            assert _family(tools[e.source]) == _family(tools[e.target]), e
    # The auth token feeds travel calls only, never file commands.
    auth_targets = {e.target for e in bfcl_build.graph.edges if e.source == "authenticate_travel"}
    assert auth_targets and all(_family(tools[t]) == "travel_booking" for t in auth_targets)
    assert _edge(bfcl_build, "return_param", "authenticate_travel", "cat") is None


def test_edges_are_explained_and_bounded(bfcl_build: GraphBuild, graph_config: GraphConfig) -> None:
    tools = bfcl_build.graph.tools
    out_degree: dict[str, int] = {}
    for e in bfcl_build.graph.edges:
        assert e.source != e.target
        assert e.source in tools and e.target in tools
        side, path = e.reason["source_field"].split(":", 1)
        fields = tools[e.source].return_fields() if side == "return" else tools[e.source].param_fields()
        assert path in {f.path for f in fields}
        tside, tpath = e.reason["target_field"].split(":", 1)
        assert tside == "param" and tpath in {f.path for f in tools[e.target].param_fields()}
        assert -1 <= e.reason["similarity"] <= 1
        if e.kind == "return_param":
            out_degree[e.source] = out_degree.get(e.source, 0) + 1
    assert max(out_degree.values()) <= graph_config.return_param.max_out
    assert sum(out_degree.values()) / len(tools) <= graph_config.return_param.max_out


def test_generic_fields_suppressed(bfcl_build: GraphBuild, bfcl_two, graph_config, embedder) -> None:
    generic = bfcl_build.report["generic_fields"]
    assert generic.get("access_token") == 8 and generic.get("file_name") == 8
    assert "booking_id" not in generic  # 4 of 36 tools: specific enough to relate them

    def generic_pp(build: GraphBuild) -> list[Edge]:
        return [
            e
            for e in build.graph.edges
            if e.kind == "param_param"
            and {e.reason["source_field"], e.reason["target_field"]}
            & {"param:access_token", "param:file_name"}
        ]

    assert generic_pp(bfcl_build) == []
    off = graph_config.model_copy(deep=True)
    off.generic.enabled = False
    without = build_graph(bfcl_two, off, embedder=embedder)
    flooded = generic_pp(without)
    # Without the rule, sharing a token or a file name links tools that do unrelated things.
    assert len(flooded) >= 5
    assert sum(1 for e in without.graph.edges if e.kind == "param_param") > sum(
        1 for e in bfcl_build.graph.edges if e.kind == "param_param"
    )
    # The real data flow through a generic name survives: the token still goes from login to booking.
    assert _edge(bfcl_build, "return_param", "authenticate_travel", "book_flight") is not None


def test_artifacts_round_trip(bfcl_build: GraphBuild, tmp_path: Path) -> None:
    paths = write_graph(
        tmp_path / "g", bfcl_build.graph, options={"x": 1}, extra={"build": bfcl_build.report}
    )
    assert {p.name for p in paths.values()} == {NODES_FILE, EDGES_FILE, NODE_LINK_FILE}
    g = load_graph(tmp_path / "g")
    assert set(g.tools) == set(bfcl_build.graph.tools)
    assert [e.to_record() for e in g.edges] == [e.to_record() for e in bfcl_build.graph.edges]
    nl = nx.node_link_graph(json.loads((tmp_path / "g" / NODE_LINK_FILE).read_text()), edges="edges")
    assert nl.number_of_nodes() == 36
    undirected = sum(1 for e in bfcl_build.graph.edges if not e.directed)
    assert nl.number_of_edges() == len(bfcl_build.graph.edges) + undirected
    m = read_manifest(tmp_path / "g" / EDGES_FILE)
    assert m is not None and m["counts"]["edges"] == len(bfcl_build.graph.edges)
    assert m["build"]["generic_fields"]["access_token"] == 8


def test_unchanged_rerun_embeds_nothing(bfcl_build: GraphBuild, bfcl_two, graph_config) -> None:
    fresh = make_embedder(graph_config)  # a new process would start like this: nothing in memory
    again = build_graph(bfcl_two, graph_config, embedder=fresh)
    assert again.report["embedding"]["embedded"] == 0
    assert again.report["embedding"]["cached"] == again.report["embedding"]["requested"] > 0
    assert not fresh.stats.model_loaded
    assert [e.to_record() for e in again.graph.edges] == [e.to_record() for e in bfcl_build.graph.edges]


def test_grown_catalog_embeds_only_new_texts(bfcl_two, graph_config, embedder, shared_catalogs: Path) -> None:
    from toolsynth.graph.edges import field_text, tool_text

    extra = load_catalog(shared_catalogs / "bfcl" / "multi_turn_func_doc" / "ticket_api.json").tools[:2]
    grown = build_graph(bfcl_two + extra, graph_config, embedder=make_embedder(graph_config))
    old = {tool_text(t) for t in bfcl_two} | {
        field_text(f) for t in bfcl_two for f in (*t.param_fields(), *t.return_fields(max_depth=3))
    }
    new = {tool_text(t) for t in extra} | {
        field_text(f) for t in extra for f in (*t.param_fields(), *t.return_fields(max_depth=3))
    }
    assert grown.report["embedding"]["embedded"] == len(new - old) > 0


def test_tool_order_does_not_matter(bfcl_build: GraphBuild, bfcl_two, graph_config, embedder) -> None:
    shuffled = list(reversed(bfcl_two))
    again = build_graph(shuffled, graph_config, embedder=embedder)
    assert [e.to_record() for e in again.graph.edges] == [e.to_record() for e in bfcl_build.graph.edges]


def test_payload_rule_and_its_cap(bfcl_build: GraphBuild, bfcl_two, graph_config, embedder) -> None:
    def payload_in(build: GraphBuild) -> dict[str, int]:
        counts: dict[str, int] = {}
        for e in build.graph.edges:
            if e.reason.get("rule") == "payload":
                assert e.reason["target_field"] in ("param:message", "param:content", "param:value")
                assert e.reason["similarity"] < graph_config.return_param.payload_floor
                counts[e.target] = counts.get(e.target, 0) + 1
        return counts

    # `contact_customer_support.message` and `echo.content` take outputs that are far from them in meaning.
    assert payload_in(bfcl_build).get("echo", 0) > 2
    capped = graph_config.model_copy(deep=True)
    capped.return_param.payload_max_in = 2
    assert max(payload_in(build_graph(bfcl_two, capped, embedder=embedder)).values()) <= 2
