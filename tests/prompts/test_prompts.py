"""The prompts layer: templates and their inputs, ids and hashes, overrides, and the guards derived from headings."""

from __future__ import annotations

import re

import pytest

from toolsynth.prompts import catalogue, dialog_reply, dialog_user, local_chat
from toolsynth.prompts import registry as prompts
from toolsynth.prompts.base import Prompt, PromptInputError, placeholders
from toolsynth.synth.agents import check_user_text


@pytest.fixture(autouse=True)
def _defaults():
    prompts.restore()
    yield
    prompts.restore()


def test_every_default_prompt_is_registered_once_and_every_stage_names_known_ids() -> None:
    ids = [p.id for p in catalogue.DEFAULTS]
    assert len(ids) == len(set(ids)) and sorted(ids) == [p.id for p in prompts.all_prompts()]
    for stage, used in catalogue.STAGES.items():
        assert used, stage
        assert set(used) <= set(ids), stage
        entry = prompts.stage_prompts(stage)
        assert all(re.fullmatch(r"[0-9a-f]{16}", e["sha256"]) and e["version"] >= 1 for e in entry.values())
    with pytest.raises(ValueError, match="defined twice"):
        prompts.register(Prompt(id=dialog_user.TURN_ID, version=1))
    with pytest.raises(KeyError, match="no prompt"):
        prompts.get("nope")


def test_rendering_needs_exactly_the_declared_inputs() -> None:
    p = Prompt(id="t", version=1, template="Hi {name}, {{literal}} {n}", parts={"x": "- {item}"})
    assert p.inputs == ("name", "n") and placeholders("{{a}} {b}") == ("b",)
    assert p.render(name="Ada", n=2) == "Hi Ada, {literal} 2"
    with pytest.raises(PromptInputError, match=r"missing inputs \['n'\]"):
        p.render(name="Ada")
    with pytest.raises(PromptInputError, match=r"unexpected inputs \['extra'\]"):
        p.render(name="Ada", n=1, extra=0)
    with pytest.raises(PromptInputError, match="no part"):
        p.part("y")
    with pytest.raises(PromptInputError, match=r"t#x: missing inputs \['item'\]"):
        p.part("x")
    assert p.part("x", item="a") == "- a"
    with pytest.raises(ValueError, match="plain name"):
        Prompt(id="bad", version=1, template="{a.b}")


def test_digest_follows_the_text_and_the_version_not_the_parser() -> None:
    a = Prompt(id="t", version=1, template="x {v}", parse=str)
    assert a.digest == Prompt(id="t", version=1, template="x {v}", parse=repr).digest
    assert a.digest != Prompt(id="t", version=2, template="x {v}").digest
    assert a.digest != Prompt(id="t", version=1, template="y {v}").digest
    assert a.digest != Prompt(id="t", version=1, template="x {v}", parts={"p": ""}).digest


def test_an_override_reaches_callers_and_the_stage_records_then_restores() -> None:
    before = prompts.stage_prompts("synthesize")[dialog_user.TURN_ID]
    digest = prompts.stage_digest("synthesize")
    new = prompts.override(dialog_user.TURN_ID, parts={"closing": "Write it now."})
    assert prompts.get(dialog_user.TURN_ID) is new and new.version == before["version"] + 1000
    assert new.parts["goal"] == dialog_user.TURN.parts["goal"]  # the other parts are the default's
    after = prompts.stage_prompts("synthesize")[dialog_user.TURN_ID]
    assert after["sha256"] != before["sha256"] and prompts.stage_digest("synthesize") != digest
    with pytest.raises(KeyError, match="no parts"):
        prompts.override(dialog_user.TURN_ID, parts={"nope": ""})
    prompts.restore(dialog_user.TURN_ID)
    assert prompts.get(dialog_user.TURN_ID) is dialog_user.TURN
    with prompts.overridden(dialog_user.TURN_ID, version=7) as p:
        assert prompts.get(dialog_user.TURN_ID) is p and p.version == 7
    assert prompts.get(dialog_user.TURN_ID) is dialog_user.TURN


# What a small model writes when it echoes the user agent's prompt, one per heading of that prompt.
ECHOES = [
    "Your goal for this message: book a flight",
    "What the assistant will have to do for you (never name it): books a flight",
    "You know: city = Paris; date = Monday",
    "Leave out the date (travel day): you have not said it yet.",
    "Conversation so far:\nUser: hi",
    "Your previous attempt was not usable: too long. Write it again.",
    "Now write the users message",
    "Ask for it naturally even if it may not be possible.",
]


@pytest.mark.parametrize("echo", ECHOES)
def test_the_user_guard_refuses_an_echo_of_each_heading(echo: str) -> None:
    assert check_user_text(echo, [], []) == "it repeats the instructions instead of speaking as the user"


def test_the_user_guard_passes_plain_messages_and_follows_an_overridden_heading() -> None:
    for fine in ("Could you book me a flight to Paris?", "You know what, cancel it.", "My goal is Paris."):
        assert check_user_text(fine, [], []) is None, fine
    prompts.override(dialog_user.TURN_ID, parts={"goal": "Aim of this message: {intent}"})
    assert check_user_text("Aim of this message: book it", [], []) is not None
    # The old heading is no longer in the prompt, so nothing echoes it.
    assert check_user_text("Your goal for this message: book it", [], []) is None


def test_the_grounded_reply_guard_keeps_every_echo_it_refused_before() -> None:
    guard = dialog_reply.echo_guard(prompts.get(dialog_reply.REPLY_ID))
    old = re.compile(
        r"the user (asked|said)\s*:|you did what was asked|and got\s*:|quoting the values|tell the user|"
        r"results?\s*:\s*$|write (only )?your (next )?reply|your previous reply",
        re.I | re.M,
    )
    samples = [
        "The user said: hi",
        "The user asked: x",
        "You did what was asked and got:\n- a",
        "Results:",
        "I will tell the user",
        "Write your next reply",
        "To do this you need the date, which the user has not said.",
        "None of your tools can do this.",
        "Your flight is booked for Monday.",
    ]
    for text in samples:
        if old.search(text):
            assert guard.search(text), text
    assert guard.search("None of your tools can do this.")  # a heading of the prompt, derived
    assert not guard.search("Your flight is booked for Monday.")


def test_the_local_model_parser_reads_calls_and_leaves_anything_else() -> None:
    parse = prompts.get(local_chat.CHAT_ID).parse
    assert parse('<tool_call>[{"name": "f", "arguments": {"a": 1}}]</tool_call>') == [
        {"name": "f", "arguments": {"a": 1}}
    ]
    assert parse('<tool_call>[{"name": "f", "argu') is None  # cut off by max_tokens
    assert parse("plain text") is None
    assert parse('<tool_call>{"name": "f"}</tool_call>') is None  # not a list of calls
