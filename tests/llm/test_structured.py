"""Structured output: validated against the schema, repaired by re-asking, a typed failure at the limit."""

from __future__ import annotations

import jsonschema
import orjson

from toolsynth.testing.scripted import ScriptedModel

PLAN = {
    "type": "object",
    "properties": {
        "goal": {"type": "string"},
        "turns": {
            "type": "array",
            "minItems": 2,
            "items": {
                "type": "object",
                "properties": {"tool": {"type": "string"}, "needs_tool": {"type": "boolean"}},
                "required": ["tool", "needs_tool"],
            },
        },
        "difficulty": {"type": "integer", "minimum": 1, "maximum": 5},
    },
    "required": ["goal", "turns", "difficulty"],
    "additionalProperties": False,
}
ASK = [{"role": "user", "content": "Write a dialog plan."}]


def test_default_answer_is_schema_valid(make_gateway) -> None:
    gw = make_gateway()
    res = gw.run(gw.structured("planner", ASK, PLAN, name="dialog plan"))
    assert res.ok and res.error is None and res.attempts == 1
    jsonschema.validate(res.data, PLAN)
    assert orjson.loads(res.raw) == res.data
    # the schema travelled as response_format (the scripted model answered from it)
    assert ScriptedModel.calls[0].schema == PLAN


def test_repaired_after_one_invalid_answer(make_gateway) -> None:
    gw = make_gateway()
    ScriptedModel.fail("invalid_json", times=1)
    res = gw.run(gw.structured("planner", ASK, PLAN))
    assert res.ok and res.attempts == 2
    jsonschema.validate(res.data, PLAN)
    # the re-ask shows the model its answer and what was wrong with it
    second = ScriptedModel.calls[1].messages
    assert second[-2]["role"] == "assistant" and "not JSON" in second[-2]["content"]
    assert second[-1]["role"] == "user" and "not valid" in second[-1]["content"]
    u = gw.usage_summary()["roles"]["planner"]
    assert (u["calls"], u["repairs"], u["failures"]) == (2, 1, 0)


def test_schema_violation_is_named_in_the_reask(make_gateway) -> None:
    gw = make_gateway()
    ScriptedModel.add_rule(None, {"json": {"goal": "x", "turns": [], "difficulty": 9}}, times=1)
    res = gw.run(gw.structured("planner", ASK, PLAN))
    assert res.ok and res.attempts == 2
    reask = ScriptedModel.calls[1].messages[-1]["content"]
    assert "turns" in reask or "difficulty" in reask


def test_typed_failure_after_the_limit(make_gateway) -> None:
    gw = make_gateway(structured_retries=2)
    ScriptedModel.add_rule(None, {"json": {"goal": 3}})  # always wrong
    res = gw.run(gw.structured("planner", ASK, PLAN))
    assert not res.ok and res.data is None
    assert res.attempts == 3 and len(ScriptedModel.calls) == 3
    assert res.error and "goal" in res.error or "required" in res.error
    assert orjson.loads(res.raw) == {"goal": 3}  # the last answer, for the caller's reject record
    u = gw.usage_summary()["roles"]["planner"]
    assert (u["repairs"], u["failures"]) == (2, 1)


def test_unparsable_text_then_fenced_json(make_gateway) -> None:
    gw = make_gateway()
    ScriptedModel.add_rule(
        None,
        'Sure! Here it is:\n```json\n{"goal": "g", "turns": [{"tool": "a", "needs_tool": true}, {"tool": "b", "needs_tool": false}], "difficulty": 2}\n```',
    )
    res = gw.run(gw.structured("planner", ASK, PLAN))
    assert res.ok and res.data["difficulty"] == 2


def test_invalid_schema_fails_without_a_call(make_gateway) -> None:
    gw = make_gateway()
    res = gw.run(gw.structured("planner", ASK, {"type": "object", "properties": {"a": {"type": "nope"}}}))
    assert not res.ok and "not valid JSON Schema" in res.error
    assert ScriptedModel.calls == []


def test_instructions_mode_puts_the_schema_in_the_prompt(make_gateway) -> None:
    gw = make_gateway(structured_mode="instructions")
    ScriptedModel.add_rule(
        lambda r: r.schema is None,
        lambda r: {"json": {"goal": "g", "turns": [{"tool": "t", "needs_tool": True}] * 2, "difficulty": 1}},
    )
    res = gw.run(gw.structured("planner", [{"role": "system", "content": "You plan."}, *ASK], PLAN))
    assert res.ok
    system = ScriptedModel.calls[0].messages[0]["content"]
    assert system.startswith("You plan.") and '"difficulty"' in system
