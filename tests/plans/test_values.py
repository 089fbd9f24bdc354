"""Argument values: schema-valid for every BFCL tool, and consistent with a BFCL backend's state."""

from __future__ import annotations

import random

import jsonschema

from toolsynth.graph.store import ToolGraph
from toolsynth.plans.values import (
    BfclState,
    ValueMaker,
    accept_llm_values,
    bfcl_class,
    enum_values,
    sample_bfcl_config,
    schema_value,
)


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
            state = BfclState(sample_bfcl_config([cls], rng)) if cls else None
            args = ValueMaker(rng, optional_rate=1.0, bfcl=state).arguments(tool)
            jsonschema.validate(args, tool.parameters)
            assert set(tool.required) <= set(args)


def test_bfcl_values_come_from_the_backend_state(bfcl_graph: ToolGraph) -> None:
    tools = bfcl_graph.tools
    rng = random.Random(2)
    cfg = sample_bfcl_config(["GorillaFileSystem", "TicketAPI", "TradingBot"], rng)
    assert set(cfg) == {"GorillaFileSystem", "TicketAPI", "TradingBot"}
    state = BfclState(cfg)
    maker = ValueMaker(rng, bfcl=state)
    files = state.fs.files()
    if files:
        assert maker.arguments(tools["cat"])["file_name"] in files
    ticket_ids = [t["id"] for t in cfg["TicketAPI"].get("ticket_queue", [])]
    if ticket_ids:
        assert maker.arguments(tools["close_ticket"])["ticket_id"] in ticket_ids
    assert maker.arguments(tools["get_stock_info"])["symbol"] in cfg["TradingBot"]["stocks"]


def test_file_values_follow_the_current_directory_across_calls(bfcl_graph: ToolGraph) -> None:
    tools = bfcl_graph.tools
    cfg = {
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
    maker = ValueMaker(random.Random(3), bfcl=BfclState(cfg))
    assert maker.arguments(tools["cat"])["file_name"] == "top.txt"
    cd = maker.arguments(tools["cd"])
    assert cd == {"folder": "docs"}
    maker.observe(tools["cd"], cd)
    grep = maker.arguments(tools["grep"])
    assert grep["file_name"] == "inner.txt"
    assert grep["pattern"] in {"budget", "analysis", "inside"}
    made = maker.arguments(tools["mkdir"])
    maker.observe(tools["mkdir"], made)
    assert maker.arguments(tools["rmdir"])["dir_name"] == made["dir_name"]


def test_llm_values_are_kept_only_when_they_fit(bfcl_graph: ToolGraph) -> None:
    tool = bfcl_graph.tools["tail"]
    kept = accept_llm_values(tool, {"file_name": "log.txt", "lines": "ten", "bogus": 1})
    assert kept == {"file_name": "log.txt"}
    maker = ValueMaker(random.Random(4))
    args = maker.arguments(tool, given={"file_name": "log.txt", "lines": 5})
    assert args == {"file_name": "log.txt", "lines": 5}
    assert maker.sources["llm"] == 2


def test_state_values_of_the_wrong_type_give_way_to_the_schema(bfcl_graph: ToolGraph) -> None:
    state = BfclState({"TicketAPI": {"ticket_queue": [{"id": "ticket_001", "status": "open"}]}})
    args = ValueMaker(random.Random(5), bfcl=state).arguments(bfcl_graph.tools["close_ticket"])
    assert isinstance(args["ticket_id"], int)
    good = BfclState({"TicketAPI": {"ticket_queue": [{"id": 4242, "status": "open"}]}})
    assert ValueMaker(random.Random(5), bfcl=good).arguments(bfcl_graph.tools["close_ticket"]) == {
        "ticket_id": 4242
    }
