"""Finding 4: adherence compared tool names only. Now: the multiset of calls, the planned values of the
non-dependent arguments (in equivalent forms), an ask that asks for the missing parameter, a refusal that claims
nothing."""

from __future__ import annotations

import pytest

from toolsynth.messages import ToolCall
from toolsynth.plans.record import Dependency, ExpectedAction, PlannedCall
from toolsynth.synth.adherence import check_adherence, values_equal


def call(cid: str, name: str, **args: object) -> ToolCall:
    return ToolCall(id=cid, name=name, arguments=args)


def adhere(expected: ExpectedAction, calls: list[ToolCall] = (), text: str | None = None) -> tuple[bool, str]:
    r = check_adherence(0, list(calls), [text] if text else [], expected)
    return r.passed, r.reason


REFUSE = ExpectedAction(kind="refuse", withheld_tools=["rm"])
ASK = ExpectedAction(kind="ask", missing=["mkdir.dir_name"])
TWO_MKDIRS = ExpectedAction(
    kind="call",
    calls=[
        PlannedCall(id="c1", tool="mkdir", arguments={"dir_name": "drafts"}),
        PlannedCall(id="c2", tool="mkdir", arguments={"dir_name": "final"}),
    ],
)


def test_the_three_turns_the_review_found_are_rejected() -> None:
    ok, why = adhere(REFUSE, text="Done, I deleted a.")
    assert ok is False and "claims the action was done" in why
    ok, why = adhere(ASK, text="I need to check that. Done.")
    assert ok is False
    ok, why = adhere(TWO_MKDIRS, [call("1", "mkdir", dir_name="WRONG")])
    assert ok is False and "planned but not called: mkdir" in why and "'WRONG'" in why


def test_calls_are_compared_as_a_multiset_with_their_values() -> None:
    both = [call("1", "mkdir", dir_name="final"), call("2", "mkdir", dir_name="drafts")]
    assert adhere(TWO_MKDIRS, both) == (True, "called the planned mkdir as planned")
    ok, why = adhere(TWO_MKDIRS, [*both, call("3", "mkdir", dir_name="drafts")])
    assert ok is False and "called but not planned: mkdir" in why
    ok, why = adhere(
        TWO_MKDIRS, [call("1", "mkdir", dir_name="drafts"), call("2", "mkdir", dir_name="Finals")]
    )
    assert ok is False and "wrong value: mkdir (c2): dir_name: planned 'final', got 'Finals'" in why
    ok, why = adhere(TWO_MKDIRS, [call("1", "mkdir", dir_name="drafts"), call("2", "mkdir")])
    assert ok is False and "planned 'final', not given" in why


def test_dependent_arguments_and_unplanned_extras_are_left_alone() -> None:
    nested = ExpectedAction(
        kind="call",
        calls=[
            PlannedCall(id="c1", tool="create_ticket", arguments={"title": "Printer jam", "priority": 2}),
            PlannedCall(
                id="c2",
                tool="get_ticket",
                arguments={"ticket_id": 0},
                depends_on=[Dependency(arg="ticket_id", call="c1", field="id")],
            ),
        ],
    )
    made = [
        call("1", "create_ticket", title="printer  JAM", priority=2.0, description="extra is fine"),
        call(
            "2", "get_ticket", ticket_id=17
        ),  # from the first call's result, whatever the plan's placeholder
    ]
    assert adhere(nested, made)[0] is True


@pytest.mark.parametrize(
    ("planned", "actual", "same"),
    [
        (1, 1.0, True),
        (1, "1", True),
        (0.1 + 0.2, 0.3, True),
        ("New  York", "new york", True),
        ("./docs/report.txt", "docs/report.txt", True),
        ("docs/", "docs", True),
        (["AAPL", "MSFT"], ["MSFT", "AAPL"], True),
        ({"a": [1, 2]}, {"a": [1.0, 2]}, True),
        (True, "true", True),
        (True, 1, False),
        ("report.txt", "no_such_file_name_1234", False),
        (2, 3, False),
        (["a"], ["a", "a"], False),
        ("a b", "ab", False),
    ],
)
def test_equivalent_forms(planned: object, actual: object, same: bool) -> None:
    assert values_equal(planned, actual) is same


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("Which folder name should I create?", True),
        ("Sure, what should the new directory be called?", True),
        ("What name do you want for it?", True),
        ("Could you tell me your account number?", False),  # a question, but not about the missing dir_name
        ("I made the folder.", False),
        ("What folder name? Done, I created it anyway.", False),
    ],
)
def test_an_ask_asks_for_the_missing_parameter(text: str, ok: bool) -> None:
    assert adhere(ASK, text=text)[0] is ok


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("Sorry, I can't delete files: no tool for that is available to me.", True),
        ("I cannot do that here.", True),
        ("Unfortunately that is not possible with the tools I have.", True),
        ("The file a has been deleted.", False),
        ("I've removed it for you.", False),
        ("Let me look into that for you.", False),  # says neither that it can't nor anything true
    ],
)
def test_a_refusal_says_it_cannot_and_claims_nothing(text: str, ok: bool) -> None:
    assert adhere(REFUSE, text=text)[0] is ok


def test_a_call_on_an_ask_or_refuse_turn_still_fails() -> None:
    rm = call("1", "rm", file_name="a")
    assert adhere(REFUSE, [rm])[0] is False and adhere(ASK, [rm])[0] is False
