"""Hand-built plans over the real BFCL multi-turn func docs (../shared/catalogs/bfcl/multi_turn_func_doc), for the
synthesize tests: a split turn, a missing-function turn, a nested call with `depends_on`, state across turns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from toolsynth.catalog.model import Provenance, Returns, Tool
from toolsynth.catalog.schema import normalize_parameters, normalize_schema
from toolsynth.plans.record import Dependency, ExpectedAction, Operation, Plan, PlannedCall, PlanTurn

SHARED_CATALOGS = Path(__file__).resolve().parents[2] / ".." / "shared" / "catalogs"
FUNC_DOCS = SHARED_CATALOGS / "bfcl" / "multi_turn_func_doc"

CLASS_FILES = {
    "GorillaFileSystem": "gorilla_file_system.json",
    "MathAPI": "math_api.json",
    "MessageAPI": "message_api.json",
    "TwitterAPI": "posting_api.json",
    "TicketAPI": "ticket_api.json",
    "TradingBot": "trading_bot.json",
    "TravelAPI": "travel_booking.json",
    "VehicleControlAPI": "vehicle_control.json",
}


def bfcl_tools(cls: str) -> dict[str, Tool]:
    path = FUNC_DOCS / CLASS_FILES[cls]
    out = {}
    for i, line in enumerate(path.read_bytes().splitlines()):
        if not line.strip():
            continue
        doc = orjson.loads(line)
        resp = doc.get("response")
        out[doc["name"]] = Tool(
            name=doc["name"],
            original_name=doc["name"],
            description=doc.get("description", ""),
            parameters=normalize_parameters(doc["parameters"], where=f"{path}:{i + 1}"),
            returns=Returns(schema=normalize_schema(resp, where=f"{path}:{i + 1}.response"))
            if resp
            else None,
            provenance=Provenance(catalog="bfcl", source_file=str(path), format="bfcl", category=cls),
        )
    return out


def _call(cid: str, tool: str, deps: list[Dependency] | None = None, **args: Any) -> PlannedCall:
    return PlannedCall(id=cid, tool=tool, arguments=args, depends_on=deps or [])


def _turn(
    i: int, intent: str, offered: list[str], kind: str = "call", user_provides: dict | None = None, **kw: Any
) -> PlanTurn:
    return PlanTurn(
        index=i,
        intent=intent,
        offered_tools=offered,
        user_provides=user_provides or {},
        expected=ExpectedAction(kind=kind, **kw),
    )


def _plan(
    tools: dict[str, Tool],
    turns: list[PlanTurn],
    *,
    seed: int,
    backend: dict[str, Any] | None,
    category: str = "base",
    ops: list[Operation] | None = None,
    nested: bool = False,
) -> Plan:
    used = sorted(
        {n for t in turns for n in t.offered_tools} | {w for t in turns for w in t.expected.withheld_tools}
    )
    return Plan(
        strategy="magnet",
        seed=seed,
        category=category,  # type: ignore[arg-type]
        nested=nested,
        tools=used,
        operations=ops or [],
        turns=turns,
        tool_defs={n: tools[n].to_record() for n in used},
        backend=backend,
    ).with_id()


FS_STATE = {
    "root": {
        "alex": {
            "type": "directory",
            "contents": {
                "document": {
                    "type": "directory",
                    "contents": {
                        "report.txt": {"type": "file", "content": "budget 2024 draft\nsecond line"},
                    },
                },
            },
        }
    }
}


def fs_split_plan(seed: int = 1) -> Plan:
    """GorillaFileSystem: cd, a split mkdir (user leaves the name out, assistant must ask), mkdir, then ls, whose
    real result shows the folder made two turns earlier."""
    t = bfcl_tools("GorillaFileSystem")
    offered = ["cd", "ls", "mkdir", "cat", "pwd"]
    turns = [
        _turn(0, "Go into the document folder.", offered, calls=[_call("c1", "cd", folder="document")]),
        _turn(1, "Make a new folder here.", offered, kind="ask", missing=["mkdir.dir_name"]),
        _turn(
            2,
            "Tell the assistant the folder name.",
            offered,
            calls=[_call("c2", "mkdir", dir_name="drafts")],
            user_provides={"dir_name": "drafts"},
        ),
        _turn(3, "See what is in the current folder now.", offered, calls=[_call("c3", "ls")]),
    ]
    return _plan(
        t,
        turns,
        seed=seed,
        backend={
            "kind": "bfcl",
            "classes": ["GorillaFileSystem"],
            "initial_config": {"GorillaFileSystem": FS_STATE},
        },
        category="miss_param",
        ops=[Operation(op="split", turn=1, detail={"missing": "mkdir.dir_name"})],
    )


def ticket_nested_plan(seed: int = 2) -> Plan:
    """TicketAPI: create a ticket and read it back in the same turn (nested: get_ticket's id comes from
    create_ticket's output); then close it in a later turn (state carried)."""
    t = bfcl_tools("TicketAPI")
    offered = ["create_ticket", "get_ticket", "close_ticket", "get_user_tickets"]
    create = _call("c1", "create_ticket", title="Printer jam on floor 3", priority=2)
    get = _call("c2", "get_ticket", deps=[Dependency(arg="ticket_id", call="c1", field="id")])
    turns = [
        _turn(
            0,
            "Open a support ticket about the printer jam on floor 3, priority 2, and show it.",
            offered,
            calls=[create, get],
        ),
        _turn(1, "Close that ticket.", offered, calls=[_call("c3", "close_ticket", ticket_id=1)]),
    ]
    return _plan(
        t,
        turns,
        seed=seed,
        backend={
            "kind": "bfcl",
            "classes": ["TicketAPI"],
            "initial_config": {
                "TicketAPI": {"current_user": "alice", "ticket_queue": [], "ticket_counter": 1}
            },
        },
        ops=[Operation(op="insert", turn=0, detail={"dependency": "get_ticket.ticket_id <- c1.id"})],
        nested=True,
    )


def message_plan(seed: int = 3) -> Plan:
    """MessageAPI: log in, send, list what was sent (the send only works because the login state carried over)."""
    t = bfcl_tools("MessageAPI")
    offered = ["message_login", "send_message", "view_messages_sent", "list_users"]
    turns = [
        _turn(
            0,
            "Log in to messaging with your user id.",
            offered,
            calls=[_call("c1", "message_login", user_id="USR001")],
        ),
        _turn(
            1,
            "Send Bob (user USR002) a note asking about lunch.",
            offered,
            calls=[_call("c2", "send_message", receiver_id="USR002", message="Lunch at noon?")],
        ),
        _turn(2, "Check which messages you have sent.", offered, calls=[_call("c3", "view_messages_sent")]),
    ]
    return _plan(
        t, turns, seed=seed, backend={"kind": "bfcl", "classes": ["MessageAPI"], "initial_config": {}}
    )


def trading_missing_function_plan(seed: int = 4) -> Plan:
    """TradingBot miss_func: the price tool is withheld on turn 1 (right action: say so), offered again on turn 2."""
    t = bfcl_tools("TradingBot")
    base = ["get_symbol_by_name", "get_watchlist", "add_to_watchlist"]
    turns = [
        _turn(
            0,
            "Find the ticker symbol of Apple.",
            base,
            calls=[_call("c1", "get_symbol_by_name", name="Apple")],
        ),
        _turn(
            1,
            "Get the current price details of that stock.",
            base,
            kind="refuse",
            withheld_tools=["get_stock_info"],
        ),
        _turn(
            2,
            "Now get the current price details of that stock.",
            [*base, "get_stock_info"],
            calls=[_call("c2", "get_stock_info", symbol="AAPL")],
        ),
    ]
    return _plan(
        t,
        turns,
        seed=seed,
        backend={"kind": "bfcl", "classes": ["TradingBot"], "initial_config": {}},
        category="miss_func",
        ops=[Operation(op="missing_function", turn=1, detail={"tools": ["get_stock_info"]})],
    )


def simulated_travel_plan(seed: int = 5) -> Plan:
    """TravelAPI tools with no backend: every result comes from the tool agent."""
    t = bfcl_tools("TravelAPI")
    offered = ["get_nearest_airport_by_city", "get_flight_cost", "list_all_airports"]
    turns = [
        _turn(
            0,
            "Find the airport nearest to Boston.",
            offered,
            calls=[_call("c1", "get_nearest_airport_by_city", location="Boston")],
        ),
        _turn(1, "Thanks! How are you today?", offered, kind="chat"),
    ]
    return _plan(t, turns, seed=seed, backend=None)


def all_plans() -> list[Plan]:
    return [
        fs_split_plan(),
        ticket_nested_plan(),
        message_plan(),
        trading_missing_function_plan(),
        simulated_travel_plan(),
    ]


# ---- a scripted assistant that follows the hint it is given (what forth-translation asks of a good model) ----------

HINT_MARK = "[Guidance for this step; the user cannot see it]\n"


def _hint_of(req: Any) -> str | None:
    system = next((m.get("content") for m in req.messages if m.get("role") == "system"), None)
    if not isinstance(system, str) or HINT_MARK not in system:
        return None
    return system.split(HINT_MARK, 1)[1]


def _parse_calls(text: str, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`name(a="x", b=2, c=<the `id` from the result of c1>)` → calls; a marked value is read from the latest tool
    result that has that field."""
    import json
    import re

    calls = []
    dec = json.JSONDecoder()
    for m in re.finditer(r"(\w+)\(", text):
        name, pos, args = m.group(1), m.end(), {}
        while pos < len(text) and text[pos] != ")":
            km = re.compile(r"\s*,?\s*(\w+)=").match(text, pos)
            if km is None:
                break
            key, pos = km.group(1), km.end()
            if text.startswith("<", pos):
                end = text.index(">", pos)
                marked = re.search(r"`(\w+)`", text[pos:end])
                field_name = marked.group(1) if marked else ""  # no field named: the value stays unfilled
                for msg in reversed(messages):
                    if msg.get("role") == "tool":
                        out = json.loads(msg["content"])
                        if isinstance(out, dict) and field_name in out:
                            args[key] = out[field_name]
                            break
                pos = end + 1
            else:
                args[key], pos = dec.raw_decode(text, pos)
        calls.append({"name": name, "arguments": args})
    return calls


def follow_hint(req: Any) -> Any:
    """Reply form for ScriptedModel: the assistant does what its hint says (and nothing for other requests)."""
    hint = _hint_of(req)
    if hint is None or req.tools is None:
        return None
    if hint.startswith("Make "):
        now = hint.split(" now: ", 1)[1].split(". After their results")[0].split(". Take the marked")[0]
        return {"tool_calls": _parse_calls(now, req.messages)}
    if hint.startswith("The user has not given"):
        return "Sure, what name should I use for it?"
    if "not available to you" in hint:
        return "Sorry, I can't do that: none of my tools can look that up."
    results = [m["content"] for m in req.messages if m.get("role") == "tool"]
    return "Done. The tool said: " + (results[-1][:200] if results else "nothing")


def judge_approves(req: Any) -> Any:
    if req.schema is not None and "action_fits_request" in (req.schema.get("properties") or {}):
        return {"json": {"reason": "fits", "action_fits_request": True, "answer_grounded": True}}
    return None


def install_good_model() -> None:
    """Rules for a model that plays every role well: follows hints, approves as judge (defaults elsewhere)."""
    from toolsynth.testing.scripted import ScriptedModel

    ScriptedModel.add_rule(lambda r: _hint_of(r) is not None and r.tools is not None, follow_hint)
    ScriptedModel.add_rule(judge_approves, judge_approves)
    ScriptedModel.add_rule(is_user_request, plain_user)


def is_user_request(req: Any) -> bool:
    return any(
        "You play a USER" in (m.get("content") or "") for m in req.messages if m.get("role") == "system"
    )


def is_tool_request(req: Any) -> bool:
    return any(
        "You simulate one tool" in (m.get("content") or "") for m in req.messages if m.get("role") == "system"
    )


def scripted_gateway(name: str = "good", **config: Any) -> Any:
    from toolsynth.llm.config import LLMConfig
    from toolsynth.llm.gateway import Gateway

    return Gateway(LLMConfig(model=f"scripted/{name}", cache=False, **config), stage="synthesize")


def plain_user(req: Any) -> Any:
    """A user model that says its goal in plain words (the scripted default quotes the prompt, which the user
    agent rightly refuses as not something a person says)."""
    if not is_user_request(req):
        return None
    prompt = req.messages[-1]["content"]
    goal = prompt.split("Your goal for this message: ", 1)[-1].split("\n", 1)[0]
    if "Your goal: " in prompt:
        return "Yes, please go ahead with that."
    known = prompt.split("You know: ", 1)[1].split("\n", 1)[0] if "You know: " in prompt else ""
    return f"{goal} {known.replace(' = ', ' is ')}".strip()
