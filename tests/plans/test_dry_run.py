"""Plans that run: every planned call of a MAGNET plan over the BFCL classes executes on the real class, later turns
take what earlier turns returned (and the user never states it), and a plan that cannot run is rejected with why."""

from __future__ import annotations

import copy
import importlib
import random
from pathlib import Path
from typing import Any

import pytest
from plan_graphs import BFCL_FUNC_DOCS, lexical_graph

from toolsynth.artifacts import read_artifact, write_artifact
from toolsynth.catalog.load import load_catalog
from toolsynth.catalog.model import Tool
from toolsynth.graph.store import ToolGraph
from toolsynth.integrations.bfcl.states import bfcl_class
from toolsynth.plans.config import PlansConfig
from toolsynth.plans.paths import MISSING, leaves, resolve_field
from toolsynth.plans.record import Plan
from toolsynth.plans.sample import PlanSampler
from toolsynth.plans.skeleton import REOFFER_MESSAGE
from toolsynth.synth.agents import known_facts, leaks_value, rule_utterance

# class → the bfcl-eval module that implements it (the replay below uses the classes directly, not toolsynth)
MODULES = {
    "GorillaFileSystem": "gorilla_file_system",
    "MathAPI": "math_api",
    "MessageAPI": "message_api",
    "TwitterAPI": "posting_api",
    "TicketAPI": "ticket_api",
    "TradingBot": "trading_bot",
    "TravelAPI": "travel_booking",
    "VehicleControlAPI": "vehicle_control",
}
_BASE = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code."


def _tools() -> list[Tool]:
    return [t for t in load_catalog(BFCL_FUNC_DOCS).tools if bfcl_class(t) in MODULES]


def replay(plan: Plan) -> list[str]:
    """Execute the plan's calls as planned on fresh bfcl-eval instances from its initial_config, dependencies read
    from the real results; the failures, as `tool: error`."""
    assert plan.backend is not None
    objs = {}
    for cls in plan.backend["classes"]:
        inst = getattr(importlib.import_module(_BASE + MODULES[cls]), cls)()
        if cls != "MathAPI":
            inst._load_scenario(
                copy.deepcopy(plan.backend["initial_config"].get(cls, {})),
                long_context=bool(plan.backend.get("long_context")),
            )
        objs[cls] = inst
    results: dict[str, Any] = {}
    errors = []
    for turn in plan.turns:
        for call in turn.expected.calls:
            tool = plan.tool(call.tool)
            args = dict(call.arguments)
            for dep in call.depends_on:
                value = dep.resolve(results[dep.call])
                assert value is not MISSING, f"{call.tool}.{dep.arg}: {dep.field} not in {dep.call}'s output"
                assert value == call.arguments[dep.arg]
                args[dep.arg] = value
            try:
                out = getattr(objs[bfcl_class(tool)], tool.original_name)(**args)
                err = out.get("error") if isinstance(out, dict) else None
            except Exception as exc:  # noqa: BLE001 - any failure of the real class counts
                out, err = None, f"{type(exc).__name__}: {exc}"
            if err:
                errors.append(f"{call.tool}: {err}")
            results[call.id] = out
    return errors


@pytest.fixture(scope="module")
def travel_plans() -> list[Plan]:
    graph = lexical_graph([t for t in _tools() if bfcl_class(t) == "TravelAPI"])
    out = PlanSampler(graph, PlansConfig(n=60), strategy="magnet", seed=3).magnet_plans()
    return [o.plan for o in out if o.plan is not None]


@pytest.mark.parametrize("cls", sorted(MODULES))
def test_plans_over_each_bfcl_class_run_on_the_real_class(cls: str) -> None:
    graph = lexical_graph([t for t in _tools() if bfcl_class(t) == cls])
    sampler = PlanSampler(graph, PlansConfig(n=12), strategy="magnet", seed=7)
    plans = [o.plan for o in sampler.magnet_plans() if o.plan is not None]
    assert len(plans) >= 10
    for plan in plans:
        assert plan.backend is not None and plan.backend["classes"] == [cls]
        assert replay(plan) == [], plan.id
        for turn in plan.turns:
            for call in turn.expected.calls:
                assert call.result is not None and call.result.ok


def test_a_cross_turn_dependency_resolves_and_its_user_turn_does_not_state_the_value(
    travel_plans: list[Plan],
) -> None:
    found = 0
    for plan in travel_plans:
        turn_of = {c.id: t.index for t in plan.turns for c in t.expected.calls}
        results = {c.id: c.result for t in plan.turns for c in t.expected.calls}
        for turn in plan.turns:
            for call in turn.expected.calls:
                for dep in call.depends_on:
                    if turn_of[dep.call] >= turn.index:
                        continue  # nested in one turn: the assistant takes it from the result right there
                    found += 1
                    value = dep.resolve(results[dep.call].output)  # type: ignore[union-attr]
                    assert value == call.arguments[dep.arg]
                    # The user cannot know it: not stated, not in the intent, not in the rule message.
                    assert dep.arg not in turn.user_provides
                    assert all(f.value != value for f in known_facts(plan, turn))
                    if isinstance(value, str | int) and not isinstance(value, bool) and len(str(value)) >= 4:
                        assert not leaks_value(turn.intent, value), turn.intent
                        assert not leaks_value(rule_utterance(plan, turn), value)
                    if turn.intent != REOFFER_MESSAGE and not turn.intent.startswith("Answer the assistant"):
                        assert "from before" in turn.intent, turn.intent  # spoken of as a person would
    assert found >= 10


def test_a_booking_the_plan_made_is_the_one_it_later_uses(travel_plans: list[Plan]) -> None:
    """`book_flight` → `cancel_booking`/`retrieve_invoice`: the id is the real one the booking returned."""
    hits = 0
    for plan in travel_plans:
        made = {
            c.id: c.result.output["booking_id"]  # type: ignore[union-attr,index]
            for t in plan.turns
            for c in t.expected.calls
            if c.tool == "book_flight"
        }
        for t in plan.turns:
            for c in t.expected.calls:
                for d in c.depends_on:
                    if d.call in made and d.arg == "booking_id":
                        hits += 1
                        assert c.arguments["booking_id"] == made[d.call]
    assert hits >= 1


def test_a_plan_that_cannot_run_is_rejected_with_the_call_and_the_error(tmp_path: Path) -> None:
    # BFCL's weather lookup always answers {"error": 404}: no draw, no state makes it run.
    tools = [t for t in _tools() if t.original_name in ("get_outside_temperature_from_weather_com",)]
    graph = ToolGraph(tools={t.name: t for t in tools}, edges=[])
    cfg = PlansConfig(n=3, subset_size=(1, 1), path_length=(1, 2), max_attempts=2)
    cfg.magnet.category_targets = {"base": 1.0, "miss_param": 0.0, "miss_func": 0.0, "long_context": 0.0}
    out = list(PlanSampler(graph, cfg, strategy="magnet", seed=1).magnet_plans())
    assert all(o.record is None for o in out)
    reject = out[0].reject
    assert reject is not None and "runs" in reject["reason"] and "404" in reject["reason"]
    assert reject["failed_call"]["tool"] == "get_outside_temperature_from_weather_com"
    assert reject["failed_call"]["error"] == "404"


def test_prerequisites_found_by_the_dry_run_join_the_turn() -> None:
    """Posting needs a logged-in user: where the state has none, the dry run puts the log-in call first."""
    graph = lexical_graph([t for t in _tools() if bfcl_class(t) == "TwitterAPI"])
    plans = [o.plan for o in PlanSampler(graph, PlansConfig(n=40), strategy="magnet", seed=2).magnet_plans()]
    logins = [
        (p, t)
        for p in plans
        if p is not None
        for t in p.turns
        if len(t.expected.calls) > 1
        and t.expected.calls[0].tool == "authenticate_twitter"
        and t.intent != REOFFER_MESSAGE
    ]
    assert logins
    for plan, turn in logins:
        assert replay(plan) == []
        assert "authenticate_twitter" in plan.tools and "authenticate_twitter" in turn.offered_tools
        stated = {k.rsplit(".", 1)[-1] for k in turn.user_provides}
        assert {"username", "password"} <= stated  # the user gives what logging in needs


@pytest.mark.slow  # ~10 s: a hub shows only over many plans
def test_no_tool_takes_more_than_twice_its_fair_share() -> None:
    graph = lexical_graph(load_catalog(Path(__file__).resolve().parents[2] / "tool_catalogs" / "bfcl").tools)
    plans = [
        o.plan for o in PlanSampler(graph, PlansConfig(n=100), strategy="magnet", seed=11).magnet_plans()
    ]
    used: dict[str, int] = {}
    for p in plans:
        assert p is not None
        for name in {c.tool for t in p.turns for c in t.expected.calls}:
            used[name] = used.get(name, 0) + 1
    fair = sum(used.values()) / len(graph.tools)
    assert max(used.values()) <= 2 * fair, sorted(used.items(), key=lambda kv: -kv[1])[:3]


def test_simulated_tools_reuse_the_ids_the_plan_used_before() -> None:
    tau = Path(__file__).resolve().parents[2] / ".." / "shared" / "catalogs" / "tau-bench"
    graph = lexical_graph(load_catalog(tau).tools)
    plans = [o.plan for o in PlanSampler(graph, PlansConfig(n=80), strategy="magnet", seed=4).magnet_plans()]
    shared = 0
    for p in plans:
        assert p is not None and p.backend is None
        first: dict[str, tuple[str, Any]] = {}
        for t in p.turns:
            for c in t.expected.calls:
                for arg in ("order_id", "user_id", "reservation_id"):
                    if arg in c.arguments and arg not in {d.arg for d in c.depends_on}:
                        if arg in first and first[arg][0] != c.tool:
                            shared += 1
                            assert c.arguments[arg] == first[arg][1]
                        first.setdefault(arg, (c.tool, c.arguments[arg]))
    assert shared >= 5


def test_field_paths_reach_dict_keyed_and_list_outputs() -> None:
    out = {
        "booking_history": {"3426812": {"travel_date": "2024-05-01"}},
        "items": [{"id": 7}, {"id": 8}],
        "a.b": {"c": 1},
    }
    assert resolve_field(out, "booking_history.3426812.travel_date") == "2024-05-01"
    assert resolve_field(out, "items[1].id") == 8
    assert resolve_field(out, "items.0.id") == 7
    assert resolve_field(out, "items[].id") == 7  # a return schema's `[]`: the first element
    assert resolve_field(out, '["a.b"].c') == 1
    assert resolve_field(out, "") == out and resolve_field(42, "") == 42
    assert resolve_field(out, "items[5].id") is MISSING
    assert resolve_field(out, "nope.x") is MISSING and resolve_field(out, "items[") is MISSING
    for path, _name, value in leaves(out):
        assert resolve_field(out, path) == value


def test_plan_v1_files_still_read(tmp_path: Path, travel_plans: list[Plan]) -> None:
    rec = travel_plans[0].to_record()
    for t in rec["turns"]:
        for c in t["expected"]["calls"]:
            del c["result"]
    path = tmp_path / "old.jsonl"
    path.write_bytes(b"")
    write_artifact(path, "plan", [rec])
    old = path.read_bytes().replace(b"toolsynth.plan/2", b"toolsynth.plan/1")
    path.write_bytes(old)
    (back,) = [Plan.from_record(r) for r in read_artifact(path, "plan")]
    assert back.turns[0].expected.calls[0].result is None if back.turns[0].expected.calls else True


def test_same_seed_same_plans_with_the_dry_run() -> None:
    graph = lexical_graph([t for t in _tools() if bfcl_class(t) in ("TravelAPI", "GorillaFileSystem")])

    def run() -> list[Any]:
        return [
            o.record or o.reject for o in PlanSampler(graph, PlansConfig(n=20), "magnet", 9).magnet_plans()
        ]

    # The second run comes after the first one's calls: BFCL's long-context extensions (module-level dicts) must
    # not carry one plan's payments into the next.
    random.seed(0)
    assert run() == run()


SHOP = '''
class Shop:
    """A tiny stateful tool set: orders are made, looked at and cancelled."""

    def __init__(self):
        self.orders = {}
        self.next_id = 100

    def _load_scenario(self, state):
        self.orders = dict(state.get("orders", {}))

    def list_items(self) -> dict:
        """List the items on sale."""
        return {"items": ["lamp", "chair", "desk"]}

    def create_order(self, item: str) -> dict:
        """Order an item. Returns order_id."""
        if item not in ("lamp", "chair", "desk"):
            return {"error": f"no such item: {item}"}
        self.next_id += 1
        self.orders[str(self.next_id)] = item
        return {"order_id": str(self.next_id)}

    def cancel_order(self, order_id: str) -> dict:
        """Cancel an order by its order_id."""
        if order_id not in self.orders:
            return {"error": "Order not found"}
        del self.orders[order_id]
        return {"cancelled": True}
'''


def test_plans_run_on_a_user_python_backend(tmp_path: Path) -> None:
    from toolsynth.messages import ToolCall
    from toolsynth.synth.backends.python_module import tools_from_module
    from toolsynth.synth.backends.registry import make_backend

    module = tmp_path / "shop.py"
    module.write_text(SHOP)
    target = f"{module}:Shop"
    tools = [t for t in tools_from_module(target) if t.name in ("create_order", "cancel_order", "list_items")]
    graph = lexical_graph(tools)
    cfg = PlansConfig(n=20, backend={"kind": "python", "module": target, "initial_config": {"orders": {}}})
    plans = [o.plan for o in PlanSampler(graph, cfg, strategy="magnet", seed=5).magnet_plans()]
    cancels = 0
    for plan in plans:
        assert plan is not None and plan.backend is not None and plan.backend["kind"] == "python"
        # the module is the test's own (as a recipe's plans.backend is the user's), so it is trusted
        backend = make_backend(plan.backend, [plan.tool(n) for n in plan.tool_defs], trusted=True)
        assert backend is not None
        results: dict[str, Any] = {}
        for turn in plan.turns:
            for call in turn.expected.calls:
                args = dict(call.arguments)
                for dep in call.depends_on:
                    args[dep.arg] = dep.resolve(results[dep.call])
                res = backend.execute(ToolCall(id=call.id, name=call.tool, arguments=args))
                assert res.ok, (call.tool, args, res.error)
                results[call.id] = res.output
                cancels += call.tool == "cancel_order"
                if call.tool == "cancel_order":
                    # Only an order the plan itself made can be cancelled: the id comes from its result.
                    assert [d.arg for d in call.depends_on] == ["order_id"]
    assert cancels >= 3
