"""Rule negatives: one accepted assistant action corrupted in one controlled way, no model called.

Each rule applies at some actions of the accepted dialog (a call step, a split turn's question, a missing-function
turn's refusal), is tried there with the recipe's rate, and writes the replacement assistant message; `DialogCase`
then executes its calls on the state at that point and proves it wrong with synthesis's checks. The rejected side of
a call rule ends with the corrupted call and its results (`open_ended`): what the assistant would say next depends on
a result the accepted dialog never saw, so nothing later is reused.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from toolsynth.catalog.model import Tool
from toolsynth.messages import Message, ToolCall
from toolsynth.prefs.case import DialogCase, Negative, expected_of
from toolsynth.synth.record import DialogTurn

ERROR_OF_RULE = {
    "swap_function": "wrong_function",
    "drop_argument": "missing_argument",
    "wrong_type": "wrong_type",
    "wrong_value": "wrong_argument",
    "extra_argument": "hallucinated_argument",
    "answer_without_calling": "answered_without_calling",
    "call_when_missing": "called_instead_of_asking",
    "near_miss": "called_near_miss",
}
_CALL_RULES = ("swap_function", "drop_argument", "wrong_type", "wrong_value", "extra_argument")


@dataclass
class RuleEdit:
    """A replacement for the assistant message at `fork` (the rest of that turn is cut)."""

    rule: str
    turn: DialogTurn
    fork: int
    message: Message
    detail: str

    @property
    def open_ended(self) -> bool:
        return bool(self.message.tool_calls)


def _schema_type(schema: dict[str, Any]) -> str | None:
    t = schema.get("type")
    return t if isinstance(t, str) else None


def _fill(tool: Tool, seed: str, keep: dict[str, Any] | None = None) -> dict[str, Any]:
    """Schema-valid required arguments, reusing values from `keep` where the names match."""
    from toolsynth.llm.schema_fill import instance_for

    keep = keep or {}
    args: dict[str, Any] = {}
    for name in tool.required:
        if name in keep:
            args[name] = keep[name]
        else:
            args[name] = instance_for(
                tool.properties.get(name) or {}, f"{seed}:{name}", include_optional=False
            )
    for name, value in keep.items():
        if name in tool.properties and name not in args:
            args[name] = value
    return args


def _strings(value: Any, out: set[str], depth: int = 0) -> None:
    if depth > 8 or len(out) > 500:
        return
    if isinstance(value, str):
        if 0 < len(value) <= 80:
            out.add(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str) and 0 < len(k) <= 80:
                out.add(k)
            _strings(v, out, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _strings(v, out, depth + 1)


_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower().replace("_", " ")))


class RuleMaker:
    """The rule edits of one dialog, drawn with a seeded generator (same dialog + seed → same edits)."""

    def __init__(self, case: DialogCase, rates: dict[str, float], seed: int = 0) -> None:
        self.case = case
        self.rates = rates
        self.rng = random.Random(f"{seed}:{case.dialog.id}")
        self._names: set[str] | None = None

    def _want(self, rule: str) -> bool:
        rate = self.rates.get(rule, 0.0)
        return rate > 0 and (rate >= 1 or self.rng.random() < rate)

    def edits(self) -> Iterator[RuleEdit]:
        msgs = self.case.dialog.messages
        for turn in self.case.dialog.turns:
            expected = expected_of(turn)
            kind = expected.kind if expected is not None else None
            steps = self.case.step_messages(turn)
            call_steps = [i for i in steps if msgs[i].tool_calls]
            for n, i in enumerate(call_steps):
                for rule in _CALL_RULES:
                    if self._want(rule):
                        edit = getattr(self, rule)(turn, i)
                        if edit is not None:
                            yield edit
                if n == 0 and kind == "call" and self._want("answer_without_calling"):
                    yield self.answer_without_calling(turn, i)
            text_steps = [i for i in steps if not msgs[i].tool_calls]
            if kind == "ask" and text_steps and self._want("call_when_missing"):
                edit = self.call_when_missing(turn, text_steps[0])
                if edit is not None:
                    yield edit
            if kind == "refuse" and text_steps and self._want("near_miss"):
                edit = self.near_miss(turn, text_steps[0])
                if edit is not None:
                    yield edit

    # -- helpers --

    def _target(self, fork: int) -> tuple[int, ToolCall, Tool] | None:
        calls = self.case.dialog.messages[fork].tool_calls
        usable = [(k, c) for k, c in enumerate(calls) if c.name in self.case.tools]
        if not usable:
            return None
        k, c = usable[self.rng.randrange(len(usable))]
        return k, c, self.case.tools[c.name]

    def _replace(self, fork: int, k: int, call: ToolCall) -> Message:
        orig = self.case.dialog.messages[fork]
        calls = list(orig.tool_calls)
        calls[k] = call
        return Message(role="assistant", content=orig.content, tool_calls=calls)

    def _seed(self, fork: int, rule: str) -> str:
        return f"{self.case.dialog.id}:{fork}:{rule}"

    # -- the call rules --

    def swap_function(self, turn: DialogTurn, fork: int) -> RuleEdit | None:
        target = self._target(fork)
        if target is None:
            return None
        k, call, tool = target
        expected = expected_of(turn)
        planned = {c.tool for c in expected.calls} if expected is not None else set()
        pool = [t for n, t in self.case.offered(turn).items() if n != call.name and n not in planned]
        if not pool:
            return None
        # The closest neighbour: most parameter names in common (then the name's words), so the swap is plausible.
        have = set(tool.properties)
        best = max(len(have & set(t.properties)) * 10 + len(_words(t.name) & _words(tool.name)) for t in pool)
        pick = [
            t
            for t in pool
            if len(have & set(t.properties)) * 10 + len(_words(t.name) & _words(tool.name)) == best
        ]
        other = pick[self.rng.randrange(len(pick))]
        args = _fill(other, self._seed(fork, "swap"), {a: v for a, v in call.arguments.items()})
        new = ToolCall(id=call.id, name=other.name, arguments=args)
        return RuleEdit(
            "swap_function", turn, fork, self._replace(fork, k, new), f"{call.name} → {other.name}"
        )

    def drop_argument(self, turn: DialogTurn, fork: int) -> RuleEdit | None:
        target = self._target(fork)
        if target is None:
            return None
        k, call, tool = target
        present = [a for a in tool.required if a in call.arguments]
        if not present:
            return None
        name = present[self.rng.randrange(len(present))]
        args = {a: v for a, v in call.arguments.items() if a != name}
        new = ToolCall(id=call.id, name=call.name, arguments=args)
        return RuleEdit(
            "drop_argument", turn, fork, self._replace(fork, k, new), f"{call.name}: dropped {name!r}"
        )

    def wrong_type(self, turn: DialogTurn, fork: int) -> RuleEdit | None:
        target = self._target(fork)
        if target is None:
            return None
        k, call, tool = target
        typed = [a for a in call.arguments if _schema_type(tool.properties.get(a) or {}) is not None]
        if not typed:
            return None
        name = typed[self.rng.randrange(len(typed))]
        t = _schema_type(tool.properties[name])
        value = call.arguments[name]
        bad: Any
        if t == "string":
            bad = 12345
        elif t in ("integer", "number"):
            bad = f"{value} units" if value is not None else "twelve"
        elif t == "boolean":
            bad = "yes" if value else "no"
        elif t == "array":
            bad = ", ".join(str(v) for v in value) if isinstance(value, list) else "a, b"
        elif t == "object":
            bad = orjson.dumps(value).decode() if value is not None else "{}"
        else:
            return None
        new = ToolCall(id=call.id, name=call.name, arguments={**call.arguments, name: bad})
        return RuleEdit(
            "wrong_type",
            turn,
            fork,
            self._replace(fork, k, new),
            f"{call.name}.{name}: {t} → {type(bad).__name__}",
        )

    def _state_names(self, fork: int) -> set[str]:
        """Strings the dialog's world holds before the fork: the initial state and every earlier tool result."""
        if self._names is None:
            out: set[str] = set()
            initial = (self.case.dialog.backend_spec or {}).get("initial_config")
            if isinstance(initial, dict):  # keyed by class name: the names inside are the state's
                for v in initial.values():
                    _strings(v, out)
            for m in self.case.dialog.messages:
                if m.role == "tool" and m.content:
                    try:
                        _strings(orjson.loads(m.content), out)
                    except orjson.JSONDecodeError:
                        continue
            self._names = out
        return self._names

    def wrong_value(self, turn: DialogTurn, fork: int) -> RuleEdit | None:
        target = self._target(fork)
        if target is None:
            return None
        k, call, tool = target
        options: list[tuple[str, Any]] = []
        for name, value in call.arguments.items():
            schema = tool.properties.get(name) or {}
            enum = schema.get("enum")
            t = _schema_type(schema)
            if isinstance(enum, list) and len(enum) > 1:
                others = [e for e in enum if e != value]
                if others:
                    options.append((name, others[self.rng.randrange(len(others))]))
            elif t == "string" and isinstance(value, str):
                # A name of the same shape (an id for an id, a file for a file), not a sentence from a result.
                spaced = " " in value.strip()
                names = sorted(
                    n
                    for n in self._state_names(fork)
                    if n.lower() != value.lower() and (" " in n.strip()) == spaced and len(n) <= 40
                )
                if names:
                    options.append((name, names[self.rng.randrange(len(names))]))
            elif t == "integer" and isinstance(value, int) and not isinstance(value, bool):
                options.append((name, value + 1))
            elif t == "number" and isinstance(value, int | float) and not isinstance(value, bool):
                options.append((name, value * 2 + 1))
        if not options:
            return None
        name, bad = options[self.rng.randrange(len(options))]
        new = ToolCall(id=call.id, name=call.name, arguments={**call.arguments, name: bad})
        return RuleEdit(
            "wrong_value",
            turn,
            fork,
            self._replace(fork, k, new),
            f"{call.name}.{name}: {call.arguments[name]!r} → {bad!r}",
        )

    def extra_argument(self, turn: DialogTurn, fork: int) -> RuleEdit | None:
        from toolsynth.llm.schema_fill import instance_for

        target = self._target(fork)
        if target is None:
            return None
        k, call, tool = target
        # A name another offered tool has (what a model confuses), else a generic one.
        borrowed = sorted(
            {
                (p, n)
                for n, t in self.case.offered(turn).items()
                for p in t.properties
                if p not in tool.properties
            }
        )
        if borrowed:
            pname, owner = borrowed[self.rng.randrange(len(borrowed))]
            value = instance_for(
                self.case.tools[owner].properties.get(pname) or {},
                self._seed(fork, pname),
                include_optional=False,
            )
        else:
            pname, value = "verbose", True
            if pname in tool.properties:
                return None
        new = ToolCall(id=call.id, name=call.name, arguments={**call.arguments, pname: value})
        return RuleEdit(
            "extra_argument", turn, fork, self._replace(fork, k, new), f"{call.name}: added {pname}={value!r}"
        )

    # -- the turn rules --

    def answer_without_calling(self, turn: DialogTurn, fork: int) -> RuleEdit:
        # The turn's own answer, given before anything ran: it states results nobody fetched.
        text = self.case.final_text(turn) or "Done, that is taken care of."
        msg = Message(role="assistant", content=text)
        return RuleEdit("answer_without_calling", turn, fork, msg, "answered with no call made")

    def call_when_missing(self, turn: DialogTurn, fork: int) -> RuleEdit | None:
        expected = expected_of(turn)
        missing = expected.missing if expected is not None else []
        offered = self.case.offered(turn)
        for item in missing:
            tname, _, pname = item.rpartition(".")
            tool = offered.get(tname)
            if tool is None:
                continue
            from toolsynth.llm.schema_fill import instance_for

            args = _fill(tool, self._seed(fork, "missing"))
            if pname and pname not in args and pname in tool.properties:
                args[pname] = instance_for(
                    tool.properties[pname], self._seed(fork, pname), include_optional=False
                )
            call = ToolCall(id=f"call_r{fork}", name=tool.name, arguments=args)
            msg = Message(role="assistant", content=None, tool_calls=[call])
            return RuleEdit(
                "call_when_missing",
                turn,
                fork,
                msg,
                f"called {tool.name} with an invented {pname}={args.get(pname)!r} instead of asking",
            )
        return None

    def near_miss(self, turn: DialogTurn, fork: int) -> RuleEdit | None:
        expected = expected_of(turn)
        withheld = expected.withheld_tools if expected is not None else []
        offered = self.case.offered(turn)
        if not withheld or not offered:
            return None
        want = set().union(*(_words(w) for w in withheld))
        for w in withheld:
            t = self.case.tools.get(w)
            if t is not None:
                want |= _words(t.description)
        score = {n: len(want & (_words(n) | _words(t.description))) for n, t in offered.items()}
        best = max(score.values())
        pick = sorted(n for n, s in score.items() if s == best)
        tool = offered[pick[self.rng.randrange(len(pick))]]
        call = ToolCall(id=f"call_r{fork}", name=tool.name, arguments=_fill(tool, self._seed(fork, "near")))
        msg = Message(role="assistant", content=None, tool_calls=[call])
        return RuleEdit(
            "near_miss", turn, fork, msg, f"called {tool.name} though {', '.join(withheld)} is missing"
        )


async def realize(case: DialogCase, edit: RuleEdit) -> Negative | None:
    """The edit as a negative: its calls executed at the fork; None when a result would need the tool agent."""
    msgs = [edit.message]
    results = {}
    if edit.message.tool_calls:
        done = await case.execute(edit.message.tool_calls, edit.turn, edit.fork)
        if done is None:
            return None
        results, tool_msgs = done
        msgs += tool_msgs
    return Negative(
        kind="rule",
        error=ERROR_OF_RULE[edit.rule],
        detail=f"{edit.rule}: {edit.detail}",
        turn=edit.turn,
        fork=edit.fork,
        messages=msgs,
        results=results,
        open_ended=edit.open_ended,
    )
