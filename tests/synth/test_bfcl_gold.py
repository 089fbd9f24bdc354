"""BFCL's own multi-turn ground truth through verify (a subset; the full run is benchmarks/bfcl_verify.py)."""

from __future__ import annotations

import asyncio
import random

import pytest

from toolsynth.errors import InputError
from toolsynth.integrations.bfcl import gold as bfcl_gold
from toolsynth.synth.checks import ToolIndex, check_dialog
from toolsynth.synth.record import Dialog
from toolsynth.synth.verify import BackendChooser

SUBSET = 40


@pytest.fixture(scope="module")
def gold() -> list[Dialog]:
    return list(bfcl_gold.gold_dialogs("base", limit=SUBSET))


def checks_of(d: Dialog) -> list:
    idx = ToolIndex.for_dialog(d)
    backend = BackendChooser(None, []).make(d, idx)
    return asyncio.run(check_dialog(d, tools=idx, backend=backend, layers=["format", "execution"]))


def test_parse_call_names_positional_arguments_and_never_evaluates() -> None:
    owner = {"sort": "GorillaFileSystem", "post_tweet": "TwitterAPI"}
    assert bfcl_gold.parse_call("sort('final_report.pdf')", owner) == (
        "sort",
        {"file_name": "final_report.pdf"},
    )
    name, args = bfcl_gold.parse_call("post_tweet('Hi!', tags=['#a'], mentions=('@b',))", owner)
    assert name == "post_tweet" and args == {"content": "Hi!", "tags": ["#a"], "mentions": ["@b"]}
    assert bfcl_gold.parse_call("ls(a=True)") == ("ls", {"a": True})
    for text in ("ls(a=__import__('os').system('echo pwned'))", "ls(**{'a': 1})", "1 + 2", "ls(a=b)"):
        with pytest.raises(InputError):
            bfcl_gold.parse_call(text, owner)


def test_ground_truth_dialog_shape(gold: list[Dialog]) -> None:
    d = gold[0]  # multi_turn_base_0: 4 turns, `cp` excluded
    names = {t["function"]["name"] for t in d.tools}
    assert "cp" not in names and {"mv", "grep", "post_tweet"} <= names
    assert (
        len(d.turns) == 4
        and d.backend_spec
        and d.backend_spec["classes"] == ["TwitterAPI", "GorillaFileSystem"]
    )
    first = d.messages[d.turns[0].start : d.turns[0].end]
    assert [m.role for m in first] == ["user", "assistant", "tool", "assistant", "tool", "assistant", "tool"]
    assert first[1].tool_calls[0].name == "cd" and first[1].tool_calls[0].arguments == {"folder": "document"}
    assert first[2].content == '{"current_working_directory":"document"}'  # recorded from the real class


def test_verify_accepts_ground_truth_turns(gold: list[Dialog]) -> None:
    # Every turn of these entries has gold calls, so each must be *judged and passed*: counting only failures would
    # pass a run in which nothing was executed (passed=None everywhere).
    assert all(t.expected == "call" for d in gold for t in d.turns)
    assert all(BackendChooser(None, []).make(d, ToolIndex.for_dialog(d)) is not None for d in gold)
    results = [c for d in gold for c in checks_of(d)]
    turns = sum(len(d.turns) for d in gold)
    for layer in ("format", "execution"):
        passed = sum(1 for c in results if c.layer == layer and c.passed is True)
        assert passed / turns >= 0.99, (layer, passed, turns)
    executed = [c for c in results if c.layer == "execution" and c.passed is True]
    assert all("ran or matched" in c.reason for c in executed)


def checks_with_plan(d: Dialog, plan) -> list:
    idx = ToolIndex.for_dialog(d)
    backend = BackendChooser(None, []).make(d, idx)
    layers = ["format", "execution", "adherence"]
    return asyncio.run(check_dialog(d, tools=idx, backend=backend, layers=layers, plan=plan))


def test_wrong_values_are_caught_by_adherence_to_the_plan(gold: list[Dialog]) -> None:
    plans = {d.id: bfcl_gold.gold_plan(d) for d in gold}
    for d in gold:  # the uncorrupted ground truth adheres to its own plan, every turn
        assert all(c.passed is True for c in checks_with_plan(d, plans[d.id]) if c.layer == "adherence")
    rng = random.Random("wrong_value")
    copies = [c for d in gold if (c := bfcl_gold.corrupt(d, "wrong_value", rng, [])) is not None]
    assert len(copies) >= SUBSET * 0.9
    source = {c.id: c.id.split("~")[0] for c in copies}
    rejected = sum(any(c.passed is False for c in checks_with_plan(x, plans[source[x.id]])) for x in copies)
    assert rejected / len(copies) >= 0.9


@pytest.mark.parametrize("rule", bfcl_gold.CORRUPTIONS)
def test_verify_rejects_rule_corrupted_copies(gold: list[Dialog], rule: bfcl_gold.Corruption) -> None:
    rng = random.Random(rule)
    foreign = bfcl_gold.foreign_functions()
    copies = [c for d in gold if (c := bfcl_gold.corrupt(d, rule, rng, foreign)) is not None]
    assert len(copies) >= SUBSET * 0.9
    rejected = sum(any(c.passed is False for c in checks_of(x)) for x in copies)
    assert rejected / len(copies) >= 0.95


def test_a_wrong_value_is_caught_only_by_execution(gold: list[Dialog]) -> None:
    d = gold[0]
    broken = d.model_copy(deep=True)
    cd = broken.messages[1].tool_calls[0]
    cd.arguments["folder"] = "no_such_folder"
    by_layer = {(c.layer, c.turn): c.passed for c in checks_of(broken)}
    assert by_layer[("format", 0)] is True and by_layer[("execution", 0)] is False
