"""One test per documented export rule (README "Export rules"): what each format does with a dialog feature it
cannot say the way our dialogs do."""

from __future__ import annotations

import json

import pytest
from export_fixtures import load
from helpers import export_json, rows

from toolsynth.export.formats.hermes import parse_calls, parse_results
from toolsynth.export.formats.sharegpt import OBSERVATION_JOIN
from toolsynth.export.view import REOFFER_SENTENCE

SFT_FORMATS = "openai,sharegpt,trl-sft,hermes"


@pytest.fixture(scope="module")
def rules_out(rules_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("rules") / "out"
    summary = export_json(str(rules_file), "-o", str(out), "--format", SFT_FORMATS, "--validation", "0")
    by_format = {f: rows(out / f / "train.jsonl") for f in SFT_FORMATS.split(",")}
    return summary, by_format


def _by_first_user(records, fmt):
    """records keyed by their first user text (records carry no dialog id in these layouts)."""
    out = {}
    for r in records:
        if fmt in ("openai", "trl-sft"):
            key = next(m["content"] for m in r["messages"] if m["role"] == "user")
        else:
            key = next(t["value"] for t in r["conversations"] if t["from"] == "human")
        out[key.split("?")[0].split(".")[0]] = r
    return out


def test_reoffered_tool_is_announced_in_band_and_absent_from_the_first_tool_list(real_dialogs, tmp_path):
    out = tmp_path / "out"
    export_json(str(real_dialogs), "-o", str(out), "--format", SFT_FORMATS, "--validation", "0")
    d = next(d for d in load(real_dialogs) if d.category == "miss_func")
    idx = [d.id for d in load(real_dialogs)].index(d.id)
    trl = rows(out / "trl-sft" / "train.jsonl")[idx]
    assert "get_stock_info" not in [t["function"]["name"] for t in trl["tools"]]
    users = [m["content"] for m in trl["messages"] if m["role"] == "user"]
    assert not users[0].startswith(REOFFER_SENTENCE) and not users[1].startswith(REOFFER_SENTENCE)
    notice = users[2]
    assert notice.startswith(REOFFER_SENTENCE)
    defs = [json.loads(line) for line in notice.split("<tools>\n")[1].split("\n</tools>")[0].splitlines()]
    assert [t["function"]["name"] for t in defs] == ["get_stock_info"]
    assert defs[0] == next(t for t in d.tools if t["function"]["name"] == "get_stock_info")
    assert notice.endswith(d.messages[d.turns[2].start].content)  # the user's own words follow the notice
    # the refusal on turn 1 stays (it is right: the tool was not offered then) and the call on turn 2 follows
    assistant = [m for m in trl["messages"] if m["role"] == "assistant"]
    assert any("can't" in (m["content"] or "") for m in assistant)
    oai = rows(out / "openai" / "train.jsonl")[idx]
    assert [m["content"] for m in oai["messages"] if m["role"] == "user"] == users
    hermes = rows(out / "hermes" / "train.jsonl")[idx]
    assert [t["value"] for t in hermes["conversations"] if t["from"] == "human"] == users
    assert "get_stock_info" not in hermes["conversations"][0]["value"]


def test_a_tool_withdrawn_mid_dialog_is_named_in_the_notice(rules_out):
    _, by = rules_out
    trl = _by_first_user(by["trl-sft"], "trl-sft")["Find the airport nearest to Paris"]
    assert [t["function"]["name"] for t in trl["tools"]] == [
        "get_nearest_airport_by_city",
        "list_all_airports",
    ]
    second = [m["content"] for m in trl["messages"] if m["role"] == "user"][1]
    assert '"name":"get_flight_cost"' in second
    assert "These functions are no longer available: list_all_airports." in second
    assert second.endswith("What does economy from CDG to BOS cost on 2024-11-15?")


def test_parallel_calls_in_every_format(rules_out):
    summary, by = rules_out
    key = "Which airports are nearest to Boston and to London"
    oai = _by_first_user(by["openai"], "openai")[key]
    assert oai["parallel_tool_calls"] is True
    calls = oai["messages"][2]["tool_calls"]
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [
        {"location": "Boston"},
        {"location": "London"},
    ]
    assert [m["tool_call_id"] for m in oai["messages"][3:5]] == [c["id"] for c in calls]
    others = [r for k, r in _by_first_user(by["openai"], "openai").items() if k != key]
    assert all(r["parallel_tool_calls"] is False for r in others)
    trl = _by_first_user(by["trl-sft"], "trl-sft")[key]
    assert [c["function"]["arguments"] for c in trl["messages"][2]["tool_calls"]] == [
        {"location": "Boston"},
        {"location": "London"},
    ]
    share = _by_first_user(by["sharegpt"], "sharegpt")[key]["conversations"]
    assert [t["from"] for t in share] == ["human", "function_call", "observation", "gpt"]
    assert json.loads(share[1]["value"]) == [
        {"name": "get_nearest_airport_by_city", "arguments": {"location": "Boston"}},
        {"name": "get_nearest_airport_by_city", "arguments": {"location": "London"}},
    ]
    assert share[2]["value"].split(OBSERVATION_JOIN) == [
        '{"nearest_airport": "BOS"}',
        '{"nearest_airport": "LHR"}',
    ]
    hermes = _by_first_user(by["hermes"], "hermes")[key]["conversations"]
    assert [t["from"] for t in hermes] == ["system", "human", "gpt", "tool", "gpt"]
    assert len(parse_calls(hermes[2]["value"])) == 2
    assert [r["content"] for r in parse_results(hermes[3]["value"])] == [
        {"nearest_airport": "BOS"},
        {"nearest_airport": "LHR"},
    ]


def test_content_plus_calls_kept_where_expressible_and_left_out_of_sharegpt_with_a_count(rules_out):
    summary, by = rules_out
    key = "Find the airport nearest to Rome"
    oai = _by_first_user(by["openai"], "openai")[key]["messages"][2]
    assert oai["content"] == "Let me look that up." and len(oai["tool_calls"]) == 1
    trl = _by_first_user(by["trl-sft"], "trl-sft")[key]["messages"][2]
    assert trl["content"] == "Let me look that up." and trl["tool_calls"][0]["function"]["arguments"] == {
        "location": "Rome"
    }
    hermes = _by_first_user(by["hermes"], "hermes")[key]["conversations"][2]["value"]
    assert hermes.startswith("Let me look that up.\n<tool_call>\n")
    assert key not in _by_first_user(by["sharegpt"], "sharegpt")
    assert summary["formats"]["sharegpt"]["skipped"] == {"content_with_calls": 1}
    assert summary["formats"]["sharegpt"]["files"]["train.jsonl"] == 3


def test_turn_that_failed_a_check_has_weight_0_or_is_cut_off(rules_out, rules_file, tmp_path):
    summary, by = rules_out
    key = "Find the airport nearest to Tokyo"
    oai = _by_first_user(by["openai"], "openai")[key]["messages"]
    weights = [(m.get("content"), m["weight"]) for m in oai if m["role"] == "assistant"]
    assert [w for _, w in weights] == [1, 1, 0, 0]
    assert summary["dialogs"]["not_trained_turns"] == 1
    for fmt in ("trl-sft", "sharegpt", "hermes"):
        rec = _by_first_user(by[fmt], fmt)[key]
        text = json.dumps(rec)
        assert "Tokyo's nearest airport is HND." in text
        assert "list every airport" not in text and "three airports" not in text
    # a required check drops the dialog instead
    s = export_json(
        str(rules_file), "-o", str(tmp_path / "o"), "--format", "openai", "--require-checks", "semantic"
    )
    assert s["dialogs"]["dropped"] == {"checks": 1} and s["dialogs"]["kept"] == 3


def test_assistant_content_is_none_for_call_only_messages_never_empty_string(rules_out):
    _, by = rules_out
    key = "Find the airport nearest to Tokyo"  # its first call was stored with content ""
    for fmt in ("openai", "trl-sft"):
        msgs = _by_first_user(by[fmt], fmt)[key]["messages"]
        call = next(m for m in msgs if m.get("tool_calls"))
        assert "content" in call and call["content"] is None
        assert all(m["content"] != "" for m in msgs if m["role"] == "assistant")
    gpt = _by_first_user(by["hermes"], "hermes")[key]["conversations"][2]["value"]
    assert gpt.startswith("<tool_call>\n")


def test_pairs_of_a_dialog_whose_tool_list_changes_follow_the_same_rule(real_dialogs, prefs_file, tmp_path):
    out = tmp_path / "out"
    export_json(
        str(real_dialogs),
        "-p",
        str(prefs_file),
        "-o",
        str(out),
        "--format",
        "mdpo,trl-dpo,trl-sft",
        "--validation",
        "0",
    )
    d = next(d for d in load(real_dialogs) if d.category == "miss_func")
    pair = next(r for r in rows(out / "mdpo" / "train.jsonl") if r["dialog_id"] == d.id)
    sft = rows(out / "trl-sft" / "train.jsonl")[[x.id for x in load(real_dialogs)].index(d.id)]
    assert pair["tools"] == sft["tools"]  # the first turn's list, without the withheld tool
    chosen_users = [m["content"] for m in pair["chosen"] if m["role"] == "user"]
    assert chosen_users == [m["content"] for m in sft["messages"] if m["role"] == "user"]
    assert chosen_users[2].startswith(REOFFER_SENTENCE)
    dpo = next(r for r in rows(out / "trl-dpo" / "train.jsonl") if r["tools"] == pair["tools"])
    assert [m["content"] for m in dpo["chosen"] if m["role"] == "user"] == chosen_users[1:]
