"""ToolFlow plans through the gateway with the scripted model: planner answers become plan turns, bad answers become
rejects with a reason, and cached answers give byte-identical output."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from plan_graphs import lexical_graph

from toolsynth.artifacts import read_artifact, read_manifest
from toolsynth.graph.store import ToolGraph
from toolsynth.llm.config import LLMConfig
from toolsynth.llm.gateway import Gateway
from toolsynth.plans.config import PlansConfig
from toolsynth.plans.record import Plan
from toolsynth.plans.run import rejects_path, run_sample_plans
from toolsynth.testing.scripted import ScriptedModel, ScriptedRequest


@pytest.fixture(autouse=True)
def _clean_model() -> Iterator[None]:
    ScriptedModel.reset()
    yield
    ScriptedModel.reset()


def _is_planner(req: ScriptedRequest) -> bool:
    return req.schema is not None and "turns" in (req.schema.get("properties") or {})


def _subset(req: ScriptedRequest) -> list[str]:
    return list(req.schema["properties"]["turns"]["items"]["properties"]["tools"]["items"]["enum"])  # type: ignore[index]


def _good_plan(req: ScriptedRequest) -> dict[str, Any]:
    names = _subset(req)
    clarify = "clarify" in req.last_text.lower()
    return {
        "json": {
            "goal": f"Get things done with {' and '.join(names)}",
            "turns": [
                {"intent": "Greet the assistant and mention the trading day", "kind": "chat", "tools": []},
                {
                    "intent": f"Do the first step with {names[0]}",
                    "kind": "tool",
                    "tools": names[:2],
                    "arguments": {
                        n: v
                        for n, v in {
                            "get_symbol_by_name": {"name": "Nvidia"},
                            "place_order": {"amount": 7},
                        }.items()
                        if n in names
                    },
                },
                {
                    "intent": f"Finish with {names[-1]}",
                    "kind": "tool",
                    "tools": [names[-1]],
                    "clarify": clarify,
                },
            ],
        }
    }


@pytest.fixture(scope="module")
def trading_graph(bfcl_graph: ToolGraph) -> ToolGraph:
    """Trading tools: get_symbol_by_name feeds `symbol` to get_stock_info and place_order (and others are left
    over as look-alike distractors)."""
    keep = [
        "get_symbol_by_name",
        "get_stock_info",
        "place_order",
        "add_to_watchlist",
        "cancel_order",
        "get_watchlist",
    ]
    return lexical_graph([bfcl_graph.tools[n] for n in keep])


def _gateway(tmp_path: Path, cache: bool = False) -> Gateway:
    cfg = LLMConfig(
        model="scripted/planner", cache=cache, cache_dir=str(tmp_path / "cache"), structured_retries=1
    )
    return Gateway(cfg, stage="plans", cache_dir=tmp_path / "cache" if cache else None)


def _run(graph: ToolGraph, out: Path, gw: Gateway, **cfg: Any) -> dict[str, Any]:
    config = PlansConfig(**{"n": 24, "subset_size": (3, 3), **cfg})
    return run_sample_plans(graph, config, strategy="toolflow", seed=4, output=out, gateway=gw)


def test_planner_turns_become_plan_turns(trading_graph: ToolGraph, tmp_path: Path) -> None:
    ScriptedModel.add_rule(_is_planner, _good_plan)
    out = tmp_path / "plans.jsonl"
    summary = _run(trading_graph, out, _gateway(tmp_path))
    plans = [Plan.from_record(r) for r in read_artifact(out, "plan")]
    rejects = list(read_artifact(rejects_path(out), "plan_reject"))
    # The planner's plan is dry-run on the state it was shown: one that cannot run there is rejected, with the
    # call and the backend's error (here: orders to cancel that the state does not hold, and the like).
    assert summary["stats"]["plans"] == len(plans) and len(plans) + len(rejects) == 24 and len(plans) >= 12
    for r in rejects:
        assert r["reason"].startswith("the plan does not run") and r["failed_call"]["error"]
    planner_calls = [r for r in ScriptedModel.calls if _is_planner(r)]
    assert len(planner_calls) == 24
    for plan in plans:
        assert plan.strategy == "toolflow" and plan.goal.startswith("Get things done")
        chat = plan.turns[0]
        assert chat.expected.kind == "chat" and chat.intent.startswith("Greet")
        first = next(t for t in plan.turns if t.expected.calls)
        assert first.intent.startswith("Do the first step") or plan.category == "miss_param"
        # get_symbol_by_name → get_stock_info/place_order put in one turn by the planner: a recorded dependency.
        if [c.tool for c in first.expected.calls][:1] == ["get_symbol_by_name"]:
            consumer = first.expected.calls[1]
            assert consumer.depends_on and consumer.depends_on[0].arg == "symbol"
            assert consumer.depends_on[0].field == "symbol"
            # plan/2: the value the dry run took from the producer's real output
            real = consumer.depends_on[0].resolve(first.expected.calls[0].result.output)  # type: ignore[union-attr]
            assert consumer.arguments["symbol"] == real
            assert plan.nested
            assert first.expected.calls[0].arguments["name"] == "Nvidia"  # the planner's value is kept
    assert any(p.nested for p in plans)
    cats = {p.category for p in plans}
    assert cats == {"base", "miss_param", "miss_func", "long_context"}
    for plan in plans:
        if plan.category == "miss_param":
            # The planner was asked for a clarification turn and marked one: the split lands there.
            split = next(op for op in plan.operations if op.op == "split")
            ask = plan.turns[split.turn]
            assert ask.intent.startswith("Finish with") and ask.expected.kind == "ask"
            assert plan.turns[split.turn + 1].expected.kind == "call"
    usage = read_manifest(out)["usage"]  # type: ignore[index]
    assert usage["roles"]["planner"]["calls"] >= 24


def test_bad_answers_become_rejects_with_their_reason(trading_graph: ToolGraph, tmp_path: Path) -> None:
    chat_only = {"json": {"goal": "talk", "turns": [{"intent": "hi", "kind": "chat", "tools": []}] * 2}}
    # Unparsable answers for one subset (through every retry), schema-valid but tool-less plans for the rest.
    ScriptedModel.fail("invalid_json", times=4, match=lambda r: _is_planner(r) and "get_stock_info" in r.text)
    ScriptedModel.add_rule(_is_planner, chat_only)
    out = tmp_path / "plans.jsonl"
    summary = _run(trading_graph, out, _gateway(tmp_path), n=3)
    rejects = list(read_artifact(rejects_path(out), "plan_reject"))
    assert summary["stats"]["plans"] == 0 and len(rejects) == 3
    reasons = sorted(r["reason"] for r in rejects)
    # The first plan's answers were unparsable through the retries; the others had no tool turn.
    assert reasons[0].startswith("plan has no tool turn")
    assert any(r.startswith("planner answer failed its schema") for r in reasons)
    assert all(r["strategy"] == "toolflow" and r["tools"] for r in rejects)


def test_same_seed_and_cached_answers_give_identical_bytes(bfcl_graph: ToolGraph, tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    first = _run(bfcl_graph, a, _gateway(tmp_path, cache=True), n=40, subset_size=(2, 3))
    assert first["usage"]["total"]["calls"] > 0
    # Different live answers now, but the cache holds the first run's: the output must not change.
    ScriptedModel.add_rule(_is_planner, lambda r: {"json": {"goal": "other", "turns": []}})
    second = _run(bfcl_graph, b, _gateway(tmp_path, cache=True), n=40, subset_size=(2, 3))
    assert a.read_bytes() == b.read_bytes()
    assert rejects_path(a).read_bytes() == rejects_path(b).read_bytes()
    assert second["usage"]["total"]["cached"] >= 40
    third = _run(bfcl_graph, c, _gateway(tmp_path, cache=False), n=40, subset_size=(2, 3))
    assert third["stats"]["plans"] == 0  # the new rule's empty plans all fail their schema
    assert [orjson.loads(x)["id"] for x in a.read_bytes().splitlines()]  # the cached run did write plans
