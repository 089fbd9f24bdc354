"""Every format read back by its consumers' own code: `datasets`, TRL's chat templates (rendered the way
transformers' `apply_chat_template` does), LLaMA-Factory's sharegpt converter, the Hermes block syntax. Calls,
arguments and results must equal those in dialogs.jsonl."""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from pathlib import Path

import orjson
import pytest
from export_fixtures import load
from helpers import dialog_calls, export_json, rows

from toolsynth.export.formats.hermes import parse_calls, parse_results
from toolsynth.export.formats.sharegpt import OBSERVATION_JOIN

JSONL_FORMATS = ("openai", "sharegpt", "trl-sft", "trl-dpo", "mdpo", "hermes")


@pytest.fixture(scope="module")
def exported(real_dialogs, prefs_file, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "out"
    summary = export_json(
        str(real_dialogs),
        "--preferences",
        str(prefs_file),
        "-o",
        str(out),
        "--format",
        "all",
        "--validation",
        "0",
    )
    assert summary["dialogs"]["kept"] == 5 and summary["preferences"]["kept"] == 5
    return out


@pytest.fixture(scope="module")
def dialogs(real_dialogs):
    return load(real_dialogs)


@pytest.mark.parametrize("fmt", JSONL_FORMATS)
def test_every_jsonl_format_loads_with_datasets_exactly_as_written(exported, fmt):
    import datasets

    dd = datasets.load_dataset(str(exported / fmt), cache_dir=str(exported / ".hf-cache"))
    written = rows(exported / fmt / "train.jsonl")
    assert list(dd) == ["train"] and len(dd["train"]) == len(written) > 0
    # Json columns give every record back unchanged: no other tool's keys added as nulls, no re-typed values.
    assert [dict(r) for r in dd["train"]] == written


def test_preference_configs_load_with_datasets(exported):
    import datasets

    for fmt, config, name in (
        ("openai", "preference", "preference.train.jsonl"),
        ("sharegpt", "ranking", "ranking.train.jsonl"),
    ):
        ds = datasets.load_dataset(
            str(exported / fmt), config, split="train", cache_dir=str(exported / ".hf-cache")
        )
        assert [dict(r) for r in ds] == rows(exported / fmt / name)


def test_hf_format_is_a_datasetdict_on_disk_and_parquet(exported):
    import datasets

    sft = datasets.load_from_disk(str(exported / "hf" / "sft"))
    assert [dict(r) for r in sft["train"]] == rows(exported / "trl-sft" / "train.jsonl")
    prefs = datasets.load_from_disk(str(exported / "hf" / "preference"))
    assert [dict(r) for r in prefs["train"]] == rows(exported / "trl-dpo" / "train.jsonl")
    pq = datasets.load_dataset(
        "parquet",
        data_files=str(exported / "hf" / "parquet" / "sft" / "train.parquet"),
        split="train",
        cache_dir=str(exported / ".hf-cache"),
    )
    assert [dict(r) for r in pq] == [dict(r) for r in sft["train"]]


def _calls_trl(msgs):
    calls = [
        (c["function"]["name"], c["function"]["arguments"]) for m in msgs for c in m.get("tool_calls") or []
    ]
    return calls, [(m["name"], m["content"]) for m in msgs if m["role"] == "tool"]


def test_trl_sft_and_openai_carry_the_dialogs_calls_arguments_and_results(exported, dialogs):
    trl = rows(exported / "trl-sft" / "train.jsonl")
    oai = rows(exported / "openai" / "train.jsonl")
    for d, t, o in zip(dialogs, trl, oai, strict=True):
        assert _calls_trl(t["messages"]) == dialog_calls(d)
        calls = [
            (c["function"]["name"], json.loads(c["function"]["arguments"]))
            for m in o["messages"]
            for c in m.get("tool_calls") or []
        ]
        ids = {c["id"]: c["function"]["name"] for m in o["messages"] for c in m.get("tool_calls") or []}
        results = [(ids[m["tool_call_id"]], m["content"]) for m in o["messages"] if m["role"] == "tool"]
        assert (calls, results) == dialog_calls(d)
        assert all(
            isinstance(c["function"]["arguments"], dict)
            for m in t["messages"]
            for c in m.get("tool_calls") or []
        )


def test_sharegpt_and_hermes_carry_the_dialogs_calls_arguments_and_results(exported, dialogs):
    share = rows(exported / "sharegpt" / "train.jsonl")
    hermes = rows(exported / "hermes" / "train.jsonl")
    for d, s, h in zip(dialogs, share, hermes, strict=True):
        calls, results = dialog_calls(d)
        got_calls, got_results = [], []
        for turn in s["conversations"]:
            if turn["from"] == "function_call":
                v = json.loads(turn["value"])
                got_calls += [(c["name"], c["arguments"]) for c in (v if isinstance(v, list) else [v])]
            if turn["from"] == "observation":
                got_results += turn["value"].split(OBSERVATION_JOIN)
        assert got_calls == calls and got_results == [c for _, c in results]
        h_calls = [
            (c["name"], c["arguments"])
            for t in h["conversations"]
            if t["from"] == "gpt"
            for c in parse_calls(t["value"])
        ]
        h_results = [
            (r["name"], r["content"])
            for t in h["conversations"]
            if t["from"] == "tool"
            for r in parse_results(t["value"])
        ]
        assert h_calls == calls
        assert h_results == [(n, json.loads(c)) for n, c in results]  # every BFCL result is JSON
        assert h["conversations"][0]["value"].count("\n") >= len(d.tools)  # one <tools> line per tool


def _template(name: str) -> str:
    spec = importlib.util.find_spec("trl")
    return (Path(spec.submodule_search_locations[0]) / "chat_templates" / f"{name}.jinja").read_text()


@pytest.mark.parametrize("template", ["qwen2_5", "qwen3"])
def test_trl_sft_renders_through_trl_chat_templates_with_arguments_as_objects(exported, dialogs, template):
    from transformers.utils.chat_template_utils import render_jinja_template

    recs = rows(exported / "trl-sft" / "train.jsonl")
    for d, rec in zip(dialogs, recs, strict=True):
        (text,), _ = render_jinja_template(
            [rec["messages"]], tools=rec["tools"], chat_template=_template(template)
        )
        assert "<tools>" in text and all(t["function"]["name"] in text for t in rec["tools"])
        # the system part explains the syntax with a placeholder block; the conversation starts at the user
        convo = text[text.index("<|im_start|>user") :]
        blocks = [json.loads(b.split("\n</tool_call>")[0]) for b in convo.split("<tool_call>\n")[1:]]
        assert [(b["name"], b["arguments"]) for b in blocks] == dialog_calls(d)[0]
        assert all(
            isinstance(b["arguments"], dict) for b in blocks
        )  # an object, never a double-encoded string


@pytest.mark.parametrize("template", ["qwen2_5_training", "qwen3_training"])
def test_training_template_mask_covers_exactly_the_assistant_actions(exported, template):
    from transformers.utils.chat_template_utils import render_jinja_template

    for rec in rows(exported / "trl-sft" / "train.jsonl"):
        (text,), (spans,) = render_jinja_template(
            [rec["messages"]],
            tools=rec["tools"],
            chat_template=_template(template),
            return_assistant_tokens_mask=True,
        )
        assistant = [m for m in rec["messages"] if m["role"] == "assistant"]
        assert len(spans) == len(assistant)
        masked = [text[a:b] for a, b in spans]
        for m, piece in zip(assistant, masked, strict=True):
            for c in m.get("tool_calls") or []:
                assert json.dumps(c["function"]["arguments"], ensure_ascii=False) in piece
            if m["content"]:
                assert m["content"] in piece
            assert "<tool_response>" not in piece and "<|im_start|>user" not in piece
        outside = text
        for piece in masked:
            outside = outside.replace(piece, "", 1)
        for m in rec["messages"]:
            if m["role"] in ("user", "tool"):
                assert m["content"] in outside  # context text is never in the mask


def _llamafactory():
    """LLaMA-Factory's converter and dataset_info parser, imported without the package's __init__ (which pulls
    its training stack); the two modules themselves run unchanged."""
    spec = importlib.util.find_spec("llamafactory")
    root = spec.submodule_search_locations[0]
    for name, sub in (("llamafactory", ""), ("llamafactory.data", "/data")):
        if name not in sys.modules or not hasattr(sys.modules[name], "__file__"):
            m = types.ModuleType(name)
            m.__path__ = [root + sub]
            sys.modules[name] = m
    try:
        import peft.utils  # noqa: F401
    except ImportError:  # only two file-name constants are read from it on import
        stub = types.ModuleType("peft.utils")
        stub.SAFETENSORS_WEIGHTS_NAME, stub.WEIGHTS_NAME = "adapter_model.safetensors", "adapter_model.bin"
        sys.modules["peft"] = types.ModuleType("peft")
        sys.modules["peft.utils"] = stub
    from llamafactory.data import converter, parser

    return converter, parser


@pytest.mark.slow
def test_sharegpt_passes_llamafactory_converter_and_dataset_info(exported, dialogs):
    converter, parser = _llamafactory()
    share_dir = str(exported / "sharegpt")
    attrs = parser.get_dataset_list(["toolsynth_sft", "toolsynth_ranking"], share_dir)
    data_args = types.SimpleNamespace(media_dir=share_dir)
    for attr, name, ranking in zip(attrs, ("train.jsonl", "ranking.train.jsonl"), (False, True), strict=True):
        assert attr.formatting == "sharegpt" and attr.ranking is ranking and attr.dataset_name == name
        convert = converter.get_dataset_converter("sharegpt", attr, data_args)
        for rec in rows(exported / "sharegpt" / name):
            out = convert(rec)
            # the converter returns empty prompt/response for records it would skip as broken
            assert out["_prompt"] and out["_response"], rec
            assert json.loads(out["_tools"]) and out["_system"]
            if ranking:
                assert len(out["_response"]) == 2 and out["_response"][0] != out["_response"][1]
    sft = [
        converter.get_dataset_converter("sharegpt", attrs[0], data_args)(r)
        for r in rows(exported / "sharegpt" / "train.jsonl")
    ]
    for d, out in zip(dialogs, sft, strict=True):
        calls = [
            c
            for m in [*out["_prompt"], *out["_response"]]
            if m["role"] == "function"
            for c in (lambda v: v if isinstance(v, list) else [v])(json.loads(m["content"]))
        ]
        assert [(c["name"], c["arguments"]) for c in calls] == dialog_calls(d)[0]


def test_mdpo_and_trl_dpo_hold_whole_trajectories_with_the_train_flag(exported, prefs_file):
    from toolsynth.prefs.record import PreferencePair

    pairs = [PreferencePair.from_record(r) for r in rows(prefs_file)]
    mdpo = rows(exported / "mdpo" / "train.jsonl")
    dpo = rows(exported / "trl-dpo" / "train.jsonl")
    for p, m, t in zip(pairs, mdpo, dpo, strict=True):
        assert m["pair_id"] == p.id and m["dialog_id"] == p.dialog_id and m["kind"] == "rule"
        n_prompt = len(p.prompt)
        assert len(m["chosen"]) == n_prompt + len(p.chosen) and len(m["rejected"]) == n_prompt + len(
            p.rejected
        )
        for side in (m["chosen"], m["rejected"]):
            assert [x["train"] for x in side] == [x["role"] == "assistant" for x in side]
        assert m["chosen"][:n_prompt] == m["rejected"][:n_prompt]
        assert t["prompt"] == [{k: v for k, v in x.items() if k != "train"} for x in m["chosen"][:n_prompt]]
        assert t["chosen"][0]["tool_calls"] != t["rejected"][0]["tool_calls"]
        assert t["prompt"][-1]["role"] == "user"
    oai = rows(exported / "openai" / "preference.train.jsonl")
    assert all(len(r["preferred_output"]) == 1 and len(r["non_preferred_output"]) == 1 for r in oai)
    assert all(
        isinstance(r["preferred_output"][0]["tool_calls"][0]["function"]["arguments"], str) for r in oai
    )
    assert orjson.loads((exported / "sharegpt" / "dataset_info.json").read_bytes())["toolsynth_ranking"][
        "ranking"
    ]
