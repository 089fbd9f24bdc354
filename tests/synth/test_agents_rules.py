"""The rules the user and assistant agents enforce, on plans over the real BFCL func docs (no model needed)."""

from __future__ import annotations

from bfcl_plan_fixtures import (
    fs_split_plan,
    message_plan,
    ticket_nested_plan,
    trading_missing_function_plan,
)

from toolsynth.messages import Message, ToolCall
from toolsynth.synth.agents import (
    HINT_HEADER,
    AssistantAgent,
    UserAgent,
    check_user_text,
    ends_early,
    known_facts,
    leaks_value,
    names_function,
    render_hint,
    rule_utterance,
    withheld_arguments,
)
from toolsynth.synth.config import SynthConfig

FS_NAMES = list(fs_split_plan().tool_defs)


def test_function_named_like_a_programmer_is_caught_but_plain_words_are_not():
    names = [*FS_NAMES, "get_symbol_by_name", "add", "sort"]
    assert names_function("Please call get_symbol_by_name for Apple", names) == "get_symbol_by_name"
    assert names_function("cd into the document folder", names) == "cd"
    assert names_function("Can you `cat` the report?", names) == "cat"
    assert names_function("run mkdir for me", names) == "mkdir"
    assert names_function("use ls() to list", names) == "ls"
    # the same words as people use them
    assert names_function("Add 3 and 5, then sort the numbers", names) is None
    assert names_function("What's in my cat photos folder?", names) is None
    assert names_function("Show me the name of the symbol", names) is None


def test_withheld_value_is_found_word_bounded():
    assert leaks_value("call the folder drafts please", "drafts")
    assert not leaks_value("make me a new folder for my draftsman notes", "drafts")
    assert leaks_value("priority 2 please", 2)
    assert not leaks_value("priority 22 please", 2)
    assert not leaks_value("anything", None)


def test_split_turn_withholds_exactly_the_missing_argument_and_knows_its_later_value():
    plan = fs_split_plan()
    split = plan.turns[1]
    (w,) = withheld_arguments(plan, split)
    assert (w.tool, w.param, w.value) == ("mkdir", "dir_name", "drafts")
    assert known_facts(plan, split) == []  # nothing else to state on that turn
    # the next turn supplies it
    assert [(f.label, f.value) for f in known_facts(plan, plan.turns[2])] == [("dir name", "drafts")]
    assert check_user_text("Make a folder called drafts here", list(plan.tool_defs), [w]) is not None
    assert check_user_text("Make a new folder here, please", list(plan.tool_defs), [w]) is None


def test_user_prompt_never_holds_the_withheld_value_nor_a_function_name_instruction_is_missing():
    plan = fs_split_plan()
    agent = UserAgent(gateway=None, config=SynthConfig())
    prompt = agent.prompt(plan, plan.turns[1], [])
    text = "\n".join(m["content"] for m in prompt)
    assert "drafts" not in text  # the model cannot leak what it never saw
    assert "Never name a function" in text
    assert "Leave out the dir name" in text
    assert "Agreeing to an action is not the same as the goal being done" in text


def test_facts_leave_out_arguments_that_come_from_another_call():
    plan = ticket_nested_plan()
    facts = {f.label: f.value for f in known_facts(plan, plan.turns[0])}
    assert facts == {
        "title": "Printer jam on floor 3",
        "priority": 2,
    }  # not ticket_id: create_ticket makes it


def test_rule_utterance_states_known_values_and_never_names_functions():
    for plan in (fs_split_plan(), message_plan(), ticket_nested_plan(), trading_missing_function_plan()):
        names = list(plan.tool_defs)
        for turn in plan.turns:
            text = rule_utterance(plan, turn)
            assert names_function(text, names) is None, text
            for w in withheld_arguments(plan, turn):
                assert not leaks_value(text, w.value), text
            for f in known_facts(plan, turn):
                assert leaks_value(text, f.value), (text, f)


def test_rule_utterance_replaces_an_intent_that_names_the_function():
    plan = fs_split_plan()
    turn = plan.turns[0].model_copy(update={"intent": "Call cd(folder='document')"})
    text = rule_utterance(plan, turn)
    assert names_function(text, list(plan.tool_defs)) is None
    assert "document" in text
    assert "current working directory" in text.lower()  # the tool's purpose, in words


def test_hints_per_expected_action():
    plan = ticket_nested_plan()
    first = render_hint(plan, plan.turns[0])
    assert 'create_ticket(title="Printer jam on floor 3", priority=2)' in first
    assert "get_ticket(ticket_id=<the `id` from the result of c1>)" in first  # told it comes later, from c1
    after = render_hint(plan, plan.turns[0], [ToolCall(id="call_1", name="create_ticket", arguments={})])
    assert after.startswith("Make this tool call now: get_ticket(")
    both = [ToolCall(id="1", name="create_ticket"), ToolCall(id="2", name="get_ticket")]
    assert "Answer the user" in render_hint(plan, plan.turns[0], both)
    fs = fs_split_plan()
    assert "Ask the user" in render_hint(fs, fs.turns[1]) and "`dir_name` for mkdir" in render_hint(
        fs, fs.turns[1]
    )
    tr = trading_missing_function_plan()
    refuse = render_hint(tr, tr.turns[1], feedback="adherence check: expected a refusal")
    assert "get_stock_info" in refuse and "not available" in refuse
    assert "previous attempt" in refuse


def test_hint_goes_into_the_request_only():
    agent = AssistantAgent(gateway=None, config=SynthConfig())
    history = [Message(role="system", content="SYS"), Message(role="user", content="hi")]
    req = agent.request(history, "secret hint")
    assert req[0] == {"role": "system", "content": f"SYS\n\n{HINT_HEADER}\nsecret hint"}
    assert history[0].content == "SYS"  # the dialog's own system message is untouched
    assert req[1]["content"] == "hi"


def test_ending_the_conversation_is_recognized():
    assert ends_early("Great, thanks, that's all!")
    assert ends_early("###STOP###")
    assert not ends_early("Yes, go ahead and send it.")


def test_user_message_must_carry_the_values_the_user_knows_and_stay_short():
    plan = message_plan()
    turn = plan.turns[1]
    names, facts = list(plan.tool_defs), known_facts(plan, turn)
    assert check_user_text("Please text Bob and ask about lunch.", names, [], facts) == (
        "it leaves out the receiver id (USR002)"
    )
    ok = "Send USR002 this: Lunch at noon?"
    assert check_user_text(ok, names, [], facts) is None
    assert check_user_text(ok + " blah" * 200, names, [], facts) == "it is too long for one user message"
    assert check_user_text("\n".join([ok, "a", "b", "c", "d"]), names, [], facts) == (
        "it is too long for one user message"
    )


def test_values_as_people_write_them():
    from toolsynth.synth.agents import states_value

    assert states_value("about 1,250 dollars", 1250)
    assert states_value("set it to 7 degrees", 7.0)
    assert states_value("numbers 39.16, 23.5 and 72.21", [39.16, 23.5, 72.21])
    assert not states_value("numbers 39.16 and 23.5", [39.16, 23.5, 72.21])
    assert states_value("turn it on", True)  # no wording to check


def test_user_message_that_echoes_its_own_prompt_is_refused():
    # Seen with the offline 135M model: the user agent repeated its instructions, values included.
    plan = message_plan()
    turn = plan.turns[1]
    names, facts = list(plan.tool_defs), known_facts(plan, turn)
    echoed = "Your goal for this message is to send a message. You know: receiver id = USR002"
    assert (
        check_user_text(echoed, names, [], facts)
        == "it repeats the instructions instead of speaking as the user"
    )
    assert check_user_text("Send USR002 this, you know: Lunch at noon?", names, [], facts) is None
