"""Argument values: schema-valid for every BFCL tool, and drawn from the real backend's live state."""

from __future__ import annotations

import random

import jsonschema

from toolsynth.graph.store import ToolGraph
from toolsynth.integrations.bfcl.states import bfcl_class, sample_bfcl_config
from toolsynth.plans.dryrun import DryRun
from toolsynth.plans.schema_values import enum_values, schema_value
from toolsynth.plans.values import ValueMaker, accept_llm_values


def _dry(graph: ToolGraph, config: dict, classes: list[str] | None = None) -> DryRun:
    classes = classes or sorted(config)
    tools = [t for t in graph.tools.values() if bfcl_class(t) in classes]
    return DryRun({"kind": "bfcl", "classes": classes, "initial_config": config}, tools)


def test_enums_from_schema_and_from_bfcl_descriptions() -> None:
    assert enum_values({"enum": ["a", "b"]}) == ["a", "b"]
    assert enum_values({"description": 'The mode to set. [Enum]: ["engage", "release"]'}) == [
        "engage",
        "release",
    ]
    assert enum_values({"description": "The base currency. [Enum]: USD, RMB, EUR"}) == ["USD", "RMB", "EUR"]
    assert enum_values(
        {"description": "The class of the travel. Options are: economy, business, first."}
    ) == [
        "economy",
        "business",
        "first",
    ]
    assert enum_values({"description": "The name of the file."}) == []


def test_schema_values_respect_types_bounds_and_items() -> None:
    rng = random.Random(0)
    for _ in range(50):
        assert 3 <= schema_value("n", {"type": "integer", "minimum": 3, "maximum": 7}, rng) <= 7
        arr = schema_value("tags", {"type": "array", "items": {"type": "string"}, "minItems": 2}, rng)
        assert len(arr) >= 2 and all(isinstance(x, str) for x in arr)
        d = schema_value("travel_date", {"type": "string"}, rng)
        assert len(d) == 10 and d[4] == "-"
        obj = schema_value(
            "o", {"type": "object", "properties": {"x": {"type": "boolean"}}, "required": ["x"]}, rng
        )
        assert isinstance(obj["x"], bool)


def test_every_bfcl_tool_gets_schema_valid_arguments(bfcl_graph: ToolGraph) -> None:
    rng = random.Random(1)
    for tool in bfcl_graph.tools.values():
        cls = bfcl_class(tool)
        for _ in range(6):
            # A fresh real initial state each time: BFCL's states differ (and some hold ids of the wrong type).
            dry = _dry(bfcl_graph, sample_bfcl_config([cls], rng), [cls]) if cls else None
            args = ValueMaker(rng, optional_rate=1.0, dry=dry).arguments(tool).arguments
            jsonschema.validate(args, tool.parameters)
            assert set(tool.required) <= set(args)


def test_bfcl_values_come_from_the_live_backend_state(bfcl_graph: ToolGraph) -> None:
    tools = bfcl_graph.tools
    rng = random.Random(2)
    cfg = sample_bfcl_config(["GorillaFileSystem", "TicketAPI", "TradingBot"], rng)
    assert set(cfg) == {"GorillaFileSystem", "TicketAPI", "TradingBot"}
    dry = _dry(bfcl_graph, cfg)
    maker = ValueMaker(rng, dry=dry)
    ticket_ids = [t["id"] for t in cfg["TicketAPI"].get("ticket_queue", [])]
    if ticket_ids:
        assert maker.arguments(tools["close_ticket"]).arguments["ticket_id"] in ticket_ids
    assert maker.arguments(tools["get_stock_info"]).arguments["symbol"] in cfg["TradingBot"]["stocks"]


def _fs() -> dict:
    return {
        "GorillaFileSystem": {
            "root": {
                "alex": {
                    "type": "directory",
                    "contents": {
                        "top.txt": {"type": "file", "content": "alpha beta"},
                        "docs": {
                            "type": "directory",
                            "contents": {"inner.txt": {"type": "file", "content": "budget analysis inside"}},
                        },
                    },
                }
            }
        }
    }


def test_file_values_follow_the_real_current_directory(bfcl_graph: ToolGraph) -> None:
    """`ls` on the live file system says what is here: after a real `cd docs`, `cat` reads `inner.txt`."""
    tools = bfcl_graph.tools
    dry = _dry(bfcl_graph, _fs())
    maker = ValueMaker(random.Random(3), dry=dry)
    assert maker.arguments(tools["cat"]).arguments["file_name"] in {"top.txt", "docs"}
    assert dry.run("cd", {"folder": "docs"}).ok
    assert maker.arguments(tools["cat"]).arguments["file_name"] == "inner.txt"
    assert dry.run("cat", {"file_name": "inner.txt"}).ok


def test_a_failed_call_leaves_no_trace_and_a_refused_call_is_undone(bfcl_graph: ToolGraph) -> None:
    dry = _dry(bfcl_graph, _fs())
    assert not dry.run("cat", {"file_name": "nope.txt"}).ok
    assert dry.run("mkdir", {"dir_name": "tmp"}, keep=False).ok
    listing = dry.run("ls", {}).output
    assert "tmp" not in str(listing) and "top.txt" in str(listing)


def test_llm_values_are_kept_only_when_they_fit(bfcl_graph: ToolGraph) -> None:
    tool = bfcl_graph.tools["tail"]
    kept = accept_llm_values(tool, {"file_name": "log.txt", "lines": "ten", "bogus": 1})
    assert kept == {"file_name": "log.txt"}
    maker = ValueMaker(random.Random(4))
    args = maker.arguments(tool, given={"file_name": "log.txt", "lines": 5}).arguments
    assert args == {"file_name": "log.txt", "lines": 5}
    assert maker.sources["llm"] == 2


def test_state_values_of_the_wrong_type_give_way_to_the_schema(bfcl_graph: ToolGraph) -> None:
    cfg = {"TicketAPI": {"ticket_queue": [{"id": "ticket_001", "status": "open"}]}}
    args = ValueMaker(random.Random(5), dry=_dry(bfcl_graph, cfg)).arguments(bfcl_graph.tools["close_ticket"])
    assert isinstance(args.arguments["ticket_id"], int)
    good = {"TicketAPI": {"ticket_queue": [{"id": 4242, "status": "open"}]}}
    drawn = ValueMaker(random.Random(5), dry=_dry(bfcl_graph, good)).arguments(
        bfcl_graph.tools["close_ticket"]
    )
    assert drawn.arguments == {"ticket_id": 4242}
