"""Readers of the trl-sft and mdpo files: both argument/tool forms, one-line errors naming file:line.field, and the
rendering that marks only the assistant's actions."""

from __future__ import annotations

import orjson
import pytest
from pairs import TOOLS, mdpo_record, sft_record

from toolsynth.errors import InputError
from toolsynth.train.data import read_mdpo, read_sft
from toolsynth.train.render import prompt_text, segments


def _write(path, *records) -> str:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return str(path)


def test_object_and_json_string_forms_read_the_same(tmp_path):
    obj = read_sft(_write(tmp_path / "a.jsonl", sft_record()))[0]
    txt = read_sft(_write(tmp_path / "b.jsonl", sft_record(as_string=True)))[0]
    assert obj.messages == txt.messages and obj.tools == txt.tools == TOOLS
    assert obj.messages[2].calls == [("cd", {"folder": "document"})]
    assert [m.train for m in obj.messages] == [False, False, True, False, True, False, True]
    p_obj = read_mdpo(_write(tmp_path / "c.jsonl", mdpo_record()))[0]
    p_txt = read_mdpo(_write(tmp_path / "d.jsonl", mdpo_record(as_string=True)))[0]
    assert p_obj.chosen == p_txt.chosen and p_obj.rejected == p_txt.rejected
    assert p_obj.rejected[2].calls == [("cd", {"folder": "temp"})]


@pytest.mark.parametrize(
    ("mutate", "where", "message"),
    [
        (lambda r: r["chosen"][1].pop("train"), "c.jsonl:2.chosen[1].train", "needs `train`"),
        (lambda r: r["chosen"][1].update(train=True), "c.jsonl:2.chosen[1].train", "only the assistant"),
        (lambda r: r["rejected"][3].update(role="robot"), "c.jsonl:2.rejected[3].role", "role must be"),
        (
            lambda r: r["chosen"][2]["tool_calls"][0]["function"].update(arguments="{oops"),
            "c.jsonl:2.chosen[2].tool_calls[0].function.arguments",
            "not JSON",
        ),
        (
            lambda r: r["chosen"][2]["tool_calls"][0]["function"].update(arguments=[1]),
            "c.jsonl:2.chosen[2].tool_calls[0].function.arguments",
            "must be an object",
        ),
        (lambda r: r.update(tools={"a": 1}), "c.jsonl:2.tools", "must be a list"),
        (lambda r: r.update(rejected=[]), "c.jsonl:2.rejected", "non-empty list"),
        (
            lambda r: [m.update(train=False) for m in r["chosen"]],
            "c.jsonl:2.chosen",
            "no trained assistant message",
        ),
    ],
)
def test_broken_pair_is_named_by_file_line_and_field(tmp_path, mutate, where, message):
    bad = mdpo_record()
    mutate(bad)
    path = _write(tmp_path / "c.jsonl", mdpo_record(), bad)
    with pytest.raises(InputError) as err:
        read_mdpo(path)
    assert err.value.where.endswith(where) and message in err.value.message


def test_not_json_and_empty_files_are_input_errors(tmp_path):
    (tmp_path / "x.jsonl").write_text('{"messages": [}\n')
    with pytest.raises(InputError, match=r"x.jsonl:1: invalid JSON"):
        read_sft(tmp_path / "x.jsonl")
    (tmp_path / "e.jsonl").write_text("\n")
    with pytest.raises(InputError, match="no training records"):
        read_sft(tmp_path / "e.jsonl")


def test_only_assistant_action_text_is_marked(tmp_path):
    conv = read_sft(_write(tmp_path / "a.jsonl", sft_record()))[0]
    marked = [text for text, action in segments(conv.messages, conv.tools) if action]
    assert marked == [
        '<tool_call>[{"name":"cd","arguments":{"folder":"document"}}]</tool_call><|im_end|>',
        "Done.<|im_end|>",
        "Glad to help.<|im_end|>",
    ]
    whole = "".join(text for text, _ in segments(conv.messages, conv.tools))
    assert "<tool_response>cd: " in whole and "Go into the document folder." in whole


def test_prompt_is_the_one_the_local_engine_renders(tmp_path):
    """A model trained here is prompted exactly as `local/` models and the downstream evaluation prompt it."""
    from toolsynth.llm.local import LocalEngine

    record = sft_record()
    conv = read_sft(_write(tmp_path / "a.jsonl", record))[0]
    engine = LocalEngine("smollm2", int8=False, threads=1)  # render() needs no weights
    messages = [dict(m) for m in record["messages"]]
    for m in messages:
        for c in m.get("tool_calls") or []:
            c["function"]["arguments"] = orjson.dumps(c["function"]["arguments"]).decode()
    assert prompt_text(conv.messages, conv.tools) == engine.render(messages, record["tools"], None)
