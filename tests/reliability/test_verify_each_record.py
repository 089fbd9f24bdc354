"""Finding 8: `verify` judges each record on its own. A plain chat dialog (no tools) is valid data and gets the
checks that apply to chat; a broken line fails its own format layer; the other records are still verified."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from toolsynth.artifacts import read_artifact
from toolsynth.cli import app
from toolsynth.errors import InputError

TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def tool_dialog() -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": "Weather in Oslo?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "a",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "a", "content": '{"temp": 3}'},
            {"role": "assistant", "content": "3 degrees."},
        ],
        "tools": [TOOL],
    }


def chat(text: str = "Hello!") -> dict[str, Any]:
    return {"conversations": [{"from": "human", "value": "Hi there"}, {"from": "gpt", "value": text}]}


def test_one_bad_record_never_stops_the_file(tmp_path: Path) -> None:
    call_without_tools = tool_dialog()
    del call_without_tools["tools"]
    bad_backend = {
        "schema": "toolsynth.dialog/1",
        "id": "bad-backend",
        "plan_id": "",
        "strategy": "external",
        "tools": [TOOL],
        "messages": [
            {"role": "user", "content": "Weather in Oslo?"},
            {
                "role": "assistant",
                "tool_calls": [{"id": "a", "name": "get_weather", "arguments": {"city": "Oslo"}}],
            },
            {"role": "tool", "tool_call_id": "a", "name": "get_weather", "content": '{"temp": 3}'},
            {"role": "assistant", "content": "3 degrees."},
        ],
        "turns": [{"index": 0, "start": 0, "end": 4, "offered_tools": ["get_weather"], "expected": "call"}],
        "backend_spec": {"kind": "no-such-kind"},
    }
    lines = [
        orjson.dumps(tool_dialog()),  # 1 passes
        orjson.dumps(chat()),  # 2 plain chat: passes
        b'{"messages": [}',  # 3 not JSON
        orjson.dumps(call_without_tools),  # 4 a call to a tool nobody defined
        b"[1, 2]",  # 5 not an object
        orjson.dumps({"query": "what?"}),  # 6 no known dialog format
        orjson.dumps(bad_backend),  # 7 a backend kind off the allow-list: judged without execution
        orjson.dumps(chat("Bye!")),  # 8 plain chat again, after all that
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    rejects = tmp_path / "rejects.jsonl"
    annotated = tmp_path / "annotated.jsonl"
    args = ["verify", str(path), "--json", "--rejects", str(rejects), "--annotated", str(annotated)]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 1, r.output
    rep = orjson.loads(r.stdout)
    assert rep["records"] == 8 and rep["records_passed"] == 4
    failing = {f["line"]: f["failures"][0] for f in rep["failing"]}
    assert sorted(failing) == [3, 4, 5, 6]
    assert failing[3]["layer"] == "format" and "invalid JSON" in failing[3]["reason"]
    assert "get_weather: not an offered tool" in failing[4]["reason"]
    assert "JSON object" in failing[5]["reason"] and "not a dialog record" in failing[6]["reason"]
    assert rep["formats"] == {"openai": 2, "sharegpt": 2, "unknown": 3, "canonical": 1}
    assert len(list(read_artifact(rejects, "dialog_reject"))) == 4
    by_id = {d["id"]: d for d in read_artifact(annotated, "dialog")}
    assert len(by_id) == 8
    exe = next(c for c in by_id["bad-backend"]["checks"] if c["layer"] == "execution")
    assert "not executed" in exe["reason"] and "no-such-kind" in exe["reason"]


def test_a_file_with_no_dialog_record_at_all_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "garbage.jsonl"
    path.write_bytes(b'{"messages": [}\nnot json either\n')
    annotated = tmp_path / "annotated.jsonl"
    r = CliRunner().invoke(app, ["verify", str(path), "--annotated", str(annotated)])
    assert isinstance(r.exception, InputError) and r.exception.exit_code == 2
    assert f"{path}:1" in str(r.exception) and "no line of this file is a dialog record" in str(r.exception)
    assert not annotated.exists()  # nothing half-written under the final name


@pytest.mark.parametrize("n_chat", [1, 5])
def test_chat_only_files_verify_clean(tmp_path: Path, n_chat: int) -> None:
    path = tmp_path / "chat.jsonl"
    path.write_bytes(b"".join(orjson.dumps(chat(f"reply {i}")) + b"\n" for i in range(n_chat)))
    r = CliRunner().invoke(app, ["verify", str(path), "--json"])
    assert r.exit_code == 0, r.output
    rep = orjson.loads(r.stdout)
    assert rep["records_passed"] == n_chat and rep["layers"]["format"]["turns_passed"] == n_chat
