"""Tool calls come back as normalized ToolCall objects with dict arguments, whatever the provider sent."""

from __future__ import annotations

import jsonschema
import orjson
from fake_openai import FakeOpenAI, completion

from toolsynth.messages import Message, ToolCall
from toolsynth.testing.scripted import ScriptedModel

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "current weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
            "required": ["city"],
        },
    },
}
FLIGHT = {
    "type": "function",
    "function": {
        "name": "book_flight",
        "description": "book a flight",
        "parameters": {
            "type": "object",
            "properties": {
                "origin": {"type": "string"},
                "destination": {"type": "string"},
                "seats": {"type": "integer", "minimum": 1},
            },
            "required": ["origin", "destination", "seats"],
        },
    },
}


def test_scripted_rule_tool_calls_are_parsed(make_gateway) -> None:
    gw = make_gateway()
    ScriptedModel.add_rule(
        "oslo",
        {
            "tool_calls": [
                {"name": "get_weather", "arguments": {"city": "Oslo"}},
                {"name": "get_weather", "arguments": {"city": "Bergen", "unit": "c"}},
            ]
        },
    )
    res = gw.run(
        gw.chat("assistant", [{"role": "user", "content": "Weather in Oslo and Bergen?"}], tools=[WEATHER])
    )
    assert res.content is None and res.finish_reason == "tool_calls"
    assert [c.name for c in res.tool_calls] == ["get_weather", "get_weather"]
    assert all(isinstance(c, ToolCall) for c in res.tool_calls)
    assert res.tool_calls[1].arguments == {"city": "Bergen", "unit": "c"}
    assert len({c.id for c in res.tool_calls}) == 2
    msg = res.message()
    assert msg.role == "assistant" and msg.tool_calls == res.tool_calls


def test_default_call_is_schema_valid_and_follows_names_and_hints(make_gateway) -> None:
    gw = make_gateway()

    async def run():
        named = await gw.chat(
            "assistant", [{"role": "user", "content": "please book_flight for me"}], tools=[WEATHER, FLIGHT]
        )
        hinted = await gw.chat(
            "assistant",
            [{"role": "user", "content": "anything"}],
            tools=[WEATHER, FLIGHT],
            hint="book_flight",
        )
        first = await gw.chat("assistant", [{"role": "user", "content": "anything"}], tools=[WEATHER, FLIGHT])
        forced = await gw.chat(
            "assistant",
            [{"role": "user", "content": "get_weather"}],
            tools=[WEATHER, FLIGHT],
            tool_choice={"type": "function", "function": {"name": "book_flight"}},
        )
        after_result = await gw.chat(
            "assistant",
            [
                {"role": "user", "content": "weather?"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"id": "c1", "name": "get_weather", "arguments": {"city": "Oslo"}}],
                },
                {"role": "tool", "tool_call_id": "c1", "name": "get_weather", "content": '{"temp": 3}'},
            ],
            tools=[WEATHER],
        )
        return named, hinted, first, forced, after_result

    named, hinted, first, forced, after_result = gw.run(run())
    assert named.tool_calls[0].name == "book_flight"
    assert hinted.tool_calls[0].name == "book_flight"
    assert first.tool_calls[0].name == "get_weather"
    assert forced.tool_calls[0].name == "book_flight"
    assert after_result.tool_calls == [] and after_result.content
    for res in (named, hinted, first, forced):
        spec = {"get_weather": WEATHER, "book_flight": FLIGHT}[res.tool_calls[0].name]
        jsonschema.validate(res.tool_calls[0].arguments, spec["function"]["parameters"])
    # canonical messages (arguments as dicts) went out in OpenAI wire form
    sent = ScriptedModel.calls[-1].messages[1]["tool_calls"][0]
    assert sent["function"]["name"] == "get_weather" and orjson.loads(sent["function"]["arguments"]) == {
        "city": "Oslo"
    }


def test_message_objects_and_tool_objects_are_accepted(make_gateway) -> None:
    gw = make_gateway()
    history = [Message(role="system", content="sys"), Message(role="user", content="get_weather in Rome")]
    res = gw.run(gw.chat("assistant", history, tools=[WEATHER["function"]]))
    assert res.tool_calls[0].name == "get_weather"
    assert ScriptedModel.calls[0].messages[0] == {"role": "system", "content": "sys"}


def test_openai_wire_tool_calls_and_invalid_arguments(make_gateway, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
    calls = [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        },
        {"id": "call_b", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": '}},
        {"id": "call_c", "type": "function", "function": {"name": "get_weather", "arguments": ""}},
    ]

    def respond(body, headers):
        assert body["tools"][0]["function"]["name"] == "get_weather"
        return 200, completion(None, tool_calls=calls)

    with FakeOpenAI(respond) as srv:
        for transport in ("direct", "litellm"):
            gw = make_gateway(model="openai/gpt-4o-mini", api_base=srv.base, transport=transport, cache=False)
            res = gw.run(gw.chat("assistant", [{"role": "user", "content": "weather"}], tools=[WEATHER]))
            assert [(c.id, c.arguments) for c in res.tool_calls] == [
                ("call_a", {"city": "Paris"}),
                ("call_c", {}),
            ]
            assert [(c["id"], c["arguments"]) for c in res.invalid_tool_calls] == [("call_b", '{"city":')]
            assert "invalid JSON" in res.invalid_tool_calls[0]["error"]
