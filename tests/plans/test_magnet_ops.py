"""MAGNET paths on the BFCL multi-turn catalog: each node operation produces what it claims."""

from __future__ import annotations

import jsonschema
import pytest

from toolsynth.graph.store import ToolGraph
from toolsynth.plans.config import PlansConfig
from toolsynth.plans.record import Plan
from toolsynth.plans.sample import PlanSampler
from toolsynth.plans.skeleton import REOFFER_MESSAGE
from toolsynth.plans.walk import field_name


@pytest.fixture(scope="module")
def plans(bfcl_graph: ToolGraph) -> list[Plan]:
    # The operations' shape, on many plans: without the dry run (tests/plans/test_dry_run.py runs plans for real).
    sampler = PlanSampler(bfcl_graph, PlansConfig(n=1000, dry_run=False), strategy="magnet", seed=11)
    out = [o.plan for o in sampler.magnet_plans()]
    assert all(p is not None for p in out)
    return out  # type: ignore[return-value]


def _ops(plans: list[Plan], kind: str) -> list[tuple[Plan, dict]]:
    found = [(p, op.model_dump()) for p in plans for op in p.operations if op.op == kind]
    assert len(found) >= 50, f"too few {kind} operations to test"
    return found


def test_category_mix_and_flags_meet_targets(plans: list[Plan]) -> None:
    targets = PlansConfig().magnet.category_targets
    for cat, target in targets.items():
        share = sum(p.category == cat for p in plans) / len(plans)
        assert abs(share - target) <= 0.02, (cat, share, target)
    cfg = PlansConfig().magnet
    assert abs(sum(p.nested for p in plans) / len(plans) - cfg.insert_rate) <= 0.05
    assert abs(sum(p.parallel for p in plans) / len(plans) - cfg.merge_rate) <= 0.05


def test_split_turn_lacks_a_required_argument_and_the_next_turn_supplies_it(plans: list[Plan]) -> None:
    for plan, op in _ops(plans, "split"):
        assert plan.category == "miss_param"
        tool, param = op["detail"]["tool"], op["detail"]["param"]
        fs21, fs22 = plan.turns[op["turn"]], plan.turns[op["turn"] + 1]
        assert op["detail"]["fs21"] == op["turn"] and op["detail"]["fs22"] == op["turn"] + 1
        assert param in plan.tool(tool).required
        assert fs21.expected.kind == "ask" and fs21.expected.calls == []
        assert fs21.expected.missing == [f"{tool}.{param}"]
        assert param not in fs21.user_provides and f"{tool}.{param}" not in fs21.user_provides
        assert fs22.expected.kind == "call"
        call = next(c for c in fs22.expected.calls if c.tool == tool and param in c.arguments)
        supplied = fs22.user_provides.get(param, fs22.user_provides.get(f"{tool}.{param}"))
        assert supplied == call.arguments[param]
        stated = fs21.intent.split("(the user does not say")[0]
        value = call.arguments[param]
        assert f"{param}={value!r}" not in stated and f"{param}={value}" not in stated


def test_inserted_dependency_connects_an_output_to_an_input_of_matching_meaning(
    plans: list[Plan], bfcl_graph: ToolGraph
) -> None:
    reasons = {
        (
            e.source,
            e.target,
            field_name(e.reason.get("source_field"), "return"),
            field_name(e.reason.get("target_field"), "param"),
        )
        for e in bfcl_graph.edges
        if e.kind == "return_param"
    }
    for plan, op in _ops(plans, "insert"):
        turn = plan.turns[op["turn"]]
        calls = turn.expected.calls
        consumer = next(c for c in calls if c.depends_on)
        dep = consumer.depends_on[0]
        producer = next(c for c in calls if c.id == dep.call)
        assert calls.index(producer) < calls.index(consumer), "the producer runs first, in the same turn"
        # The pair of fields is one the graph linked by meaning (its return→param edge and that edge's reason).
        assert (producer.tool, consumer.tool, dep.field, dep.arg) in reasons
        assert dep.arg in plan.tool(consumer.tool).properties
        assert dep.field in {f.path for f in plan.tool(producer.tool).return_fields()}
        assert dep.arg.lower() == dep.field.rsplit(".", 1)[-1].lower()  # same meaning (here: same name)
        # The user cannot know the value: it is neither stated nor fixed in the plan's arguments.
        assert dep.arg not in consumer.arguments
        assert all(
            not k.endswith(f".{dep.arg}") or not k.startswith(consumer.tool) for k in turn.user_provides
        )
        assert plan.nested


def test_withheld_tool_is_absent_from_the_offer_until_offered_again(plans: list[Plan]) -> None:
    reoffered = 0
    for plan, op in _ops(plans, "missing_function"):
        tool = op["detail"]["tool"]
        at, back = op["turn"], op["detail"]["reoffer_turn"]
        refuse = plan.turns[at]
        assert refuse.expected.kind == "refuse" and refuse.expected.withheld_tools == [tool]
        assert refuse.expected.calls == []
        for t in plan.turns:
            if back is None or t.index < back:
                assert tool not in t.offered_tools, (plan.id, t.index)
                assert all(c.tool != tool for c in t.expected.calls)
            else:
                assert tool in t.offered_tools
        if back is not None:
            reoffered += 1
            assert back == at + 1
            assert plan.turns[back].intent == REOFFER_MESSAGE and plan.turns[back].user_provides == {}
            assert any(c.tool == tool for c in plan.turns[back].expected.calls)
        near = op["detail"].get("near_miss")
        if near:
            assert near in refuse.offered_tools and near not in plan.tools
    assert reoffered > 0


def test_long_context_offers_look_alike_distractors_that_are_never_needed(
    plans: list[Plan], bfcl_graph: ToolGraph
) -> None:
    for plan, op in _ops(plans, "long_context"):
        distractors = op["detail"]["distractors"]
        assert 3 <= len(distractors) <= 6
        needed = {c.tool for t in plan.turns for c in t.expected.calls}
        for t in plan.turns:
            assert set(distractors) <= set(t.offered_tools)
        assert not set(distractors) & needed
        # Graph neighbours of the plan's tools come first (they look relevant), then tools of the same category.
        linked = {e.target for e in bfcl_graph.edges if e.source in needed} | {
            e.source for e in bfcl_graph.edges if e.target in needed
        }
        unused_linked = linked - needed - set(plan.tools)
        if unused_linked:
            assert distractors[0] in unused_linked
        else:
            cats = {bfcl_graph.tools[t].provenance.category for t in needed}
            same = {n for n, t in bfcl_graph.tools.items() if t.provenance.category in cats}
            if same - needed - set(plan.tools):
                assert distractors[0] in same
        if plan.backend:
            assert plan.backend["long_context"] is True


def test_merged_turn_holds_independent_parallel_calls(plans: list[Plan]) -> None:
    for plan, op in _ops(plans, "merge"):
        calls = plan.turns[op["turn"]].expected.calls
        assert len(calls) >= 2 and all(not c.depends_on for c in calls)
        assert plan.parallel


def test_records_are_self_contained_valid_and_stably_identified(plans: list[Plan]) -> None:
    for plan in plans[:300]:
        assert plan.id == plan.compute_id()
        assert Plan.from_record(plan.to_record()) == plan
        offered = {n for t in plan.turns for n in t.offered_tools}
        assert offered <= set(plan.tool_defs)
        for t in plan.turns:
            for c in t.expected.calls:
                tool = plan.tool(c.tool)
                deps = {d.arg for d in c.depends_on}
                schema = dict(tool.parameters)
                schema["required"] = [r for r in tool.required if r not in deps]
                jsonschema.validate(c.arguments, schema)
                assert c.tool in t.offered_tools
        if plan.backend is not None:
            assert plan.backend["kind"] == "bfcl"
            assert set(plan.backend["initial_config"]) == set(plan.backend["classes"])
    ids = [p.id for p in plans]
    assert len(set(ids)) == len(ids)
