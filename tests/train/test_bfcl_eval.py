"""The downstream evaluation loop on BFCL's real multi-turn entries and classes, scored by bfcl-eval's checker: the
gold answers pass, silence fails, calls a model writes never run anything but the entry's documented functions."""

from __future__ import annotations

import ast

import pytest

from toolsynth.integrations.bfcl.multi_turn import call_string, load_category
from toolsynth.train.bfcl_multi_turn import parse_calls, pick, run_entry
from toolsynth.train.decontam import Decontaminator
from toolsynth.train.stats import wilson

pytest.importorskip("bfcl_eval")


def _gold_generator(ground_truth: list[list[str]]):
    """Answers each turn with its gold calls in one step, then a text reply (what a perfect model does)."""
    import json

    plan = []
    for calls in ground_truth:
        if calls:
            parsed = []
            for s in calls:
                node = ast.parse(s, mode="eval").body
                parsed.append(
                    {
                        "name": node.func.id,
                        "arguments": {k.arg: ast.literal_eval(k.value) for k in node.keywords},
                    }
                )
            plan.append("<tool_call>" + json.dumps(parsed) + "</tool_call>")
        plan.append("Done.")
    answers = iter(plan)
    return lambda prompt: next(answers)


def _run(entry, truth, category, generate):
    return run_entry(
        entry, truth, category, generate, label="test", max_steps=3, count_tokens=lambda s: 0, context=10**9
    )


@pytest.mark.parametrize("category", ["base", "miss_param", "miss_func"])
def test_gold_answers_pass_and_silence_fails(category):
    entry, truth = pick(load_category(category), 1)[0]
    ok = _run(entry, truth, category, _gold_generator(truth))
    assert ok.valid, (ok.error_type, ok.error)
    assert ok.calls == sum(len(t) for t in truth)
    silent = _run(entry, truth, category, lambda prompt: "I cannot help with that.")
    assert not silent.valid and silent.error_type == "multi_turn:empty_turn_model_response"


def test_a_wrong_argument_fails_the_state_or_response_check():
    entry, truth = pick(load_category("base"), 1)[0]
    first = next(i for i, t in enumerate(truth) if t)
    broken = [list(t) for t in truth]
    broken[first] = [s.replace("'", "'x", 1) if "'" in s else s for s in broken[first]]
    assert broken != truth
    res = _run(entry, truth, "base", _gold_generator(broken))
    assert not res.valid
    assert res.error_type in ("multi_turn:instance_state_mismatch", "multi_turn:execution_response_mismatch")


def test_only_documented_functions_with_literal_arguments_become_call_strings():
    allowed = {"cd", "ls"}
    assert call_string("cd", {"folder": "docs"}, allowed) == "cd(folder='docs')"
    assert call_string("__import__", {}, allowed) is None
    assert call_string("cd", {"folder=__import__('os').system('x'),y": 1}, allowed) is None
    assert call_string("cd", ["docs"], allowed) is None
    hostile = call_string("cd", {"folder": "x'); __import__('os').system('touch /tmp/p'); ('"}, allowed)
    assert ast.literal_eval(ast.parse(hostile, mode="eval").body.keywords[0].value) == (
        "x'); __import__('os').system('touch /tmp/p'); ('"
    )  # the quote is escaped: the whole thing stays one string argument
    assert parse_calls('<tool_call>[{"name": "cd", "arguments": {"folder": "a"}}]</tool_call>') == [
        ("cd", {"folder": "a"})
    ]
    assert parse_calls("<tool_call>[{broken") is None and parse_calls("plain text") is None


def test_unknown_function_is_answered_with_an_error_and_not_run():
    entry, truth = pick(load_category("base"), 1)[0]
    answers = iter(['<tool_call>[{"name": "exit", "arguments": {}}]</tool_call>'] + ["ok"] * 50)
    res = _run(entry, truth, "base", lambda p: next(answers))
    assert res.calls == 0 and not res.valid


def test_wilson_interval_and_decontamination():
    lo, hi = wilson(0, 5)
    assert lo == 0.0 and 0.43 < hi < 0.44
    lo, hi = wilson(5, 5)
    assert 0.56 < lo < 0.57 and hi == 1.0
    d = Decontaminator(n=4)
    d.add_eval_texts(["Move final_report.pdf within the document directory to temp", "ls"])
    assert d.overlap(["please move final report pdf within the document folder"]) == (
        "move",
        "final",
        "report",
        "pdf",
    )
    assert d.overlap(["LS"]) == ("ls",)  # a short turn is compared whole
    assert d.overlap(["list the files in my home folder"]) is None


def test_prefix_cache_gives_the_same_greedy_answer(tmp_path):
    """The cached system segment changes nothing: the same tokens as one greedy pass over the whole prompt."""
    import torch
    from pairs import TOOLS
    from tiny_model import tiny_model_dir

    from toolsynth.train.data import Turn
    from toolsynth.train.generate import LocalGenerator
    from toolsynth.train.render import prompt_text

    gen = LocalGenerator(tiny_model_dir(tmp_path / "m"), max_new_tokens=12, int8=False, threads=1)
    gen.stop = set()  # a random model rarely stops: compare all 12 tokens
    prompts = [
        prompt_text([Turn("user", "Go into the document folder.")], TOOLS),
        prompt_text(
            [Turn("user", "Go into the document folder."), Turn("assistant", "Sure."), Turn("user", "ls")],
            TOOLS,
        ),
    ]
    for prompt in prompts:
        head, sep, rest = prompt.partition("<|im_end|>\n")
        ids = torch.cat([gen._ids(head + sep), gen._ids(rest)], dim=1)
        want = []
        with torch.inference_mode():
            for _ in range(12):
                nxt = int(torch.argmax(gen.model(input_ids=ids).logits[0, -1]))
                want.append(nxt)
                ids = torch.cat([ids, torch.tensor([[nxt]])], dim=1)
        assert gen(prompt) == gen.tok.decode(want, skip_special_tokens=True)
    assert len(gen._prefixes) == 1  # both prompts share the system segment
