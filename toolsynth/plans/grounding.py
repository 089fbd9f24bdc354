"""Grounding a skeleton's calls: values for every call, in the order the dialog makes them, each call dry-run on the
plan's backend before the next one is drawn.

- A call turn's calls run and stay run (later values see their effects and results).
- A split turn (`ask`, MAGNET fs21) shares its calls with the turn that supplies the value (fs22): they are drawn
  and run there, so the call the supply turn stands for is the one that runs. The withheld value is the user's to
  state, so it never comes from an earlier result.
- A refused turn shares its calls with the re-offer turn when there is one (they run there); otherwise its calls
  are drawn and run for the check, then undone: the dialog never makes them.
- A nested call's planned dependency is resolved against the producer's real output (the path it really has), and
  any argument an earlier result holds under the same name becomes a dependency too.
A call still failing after `attempts` draws makes the plan fail (`PlanFailure`: the sampler tries another walk, then
rejects the plan with the call and the error).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from toolsynth.catalog.model import Tool
from toolsynth.plans.skeleton import SCall, Skeleton

if TYPE_CHECKING:
    from toolsynth.plans.values import ValueMaker


class PlanFailure(Exception):
    """A planned call that no draw made run: what the reject records."""

    def __init__(
        self,
        turn: int,
        tool: str,
        arguments: dict[str, Any],
        error: str,
        attempts: int,
        blamed: set[str] | None = None,
    ) -> None:
        super().__init__(f"turn {turn}: {tool} fails on the backend after {attempts} draws: {error}")
        self.blamed = sorted(blamed or ())  # the parameters the error spoke of: what another state must hold
        self.turn = turn
        self.tool = tool
        self.arguments = arguments
        self.error = error
        self.attempts = attempts

    def to_record(self) -> dict[str, Any]:
        return {
            "turn": self.turn,
            "tool": self.tool,
            "arguments": self.arguments,
            "error": self.error,
            "attempts": self.attempts,
        }


def ground_calls(skel: Skeleton, tools: dict[str, Tool], values: ValueMaker, attempts: int) -> None:
    """Fill `args`, `id`, `deps` and `result` of every call of `skel` (see the module docstring)."""
    n = 0
    done: set[int] = set()
    for ti, turn in enumerate(skel.turns):
        values.next_turn()
        if turn.kind == "ask" or (turn.kind == "refuse" and _shared_later(skel, ti)):
            continue
        keep = turn.kind == "call"
        supplied = turn.supplies or []
        for k, call in enumerate(turn.calls):
            if id(call) in done or call.args is not None:
                continue
            done.add(id(call))
            n += 1
            call.id = f"c{n}"
            no_deps = {p for kk, p in supplied if kk == k}
            _ground_one(ti, call, tools, values, attempts, keep, no_deps)
            for b in call.before:
                if b.tool not in skel.tools:
                    skel.tools.append(b.tool)  # offered from here on, like every tool of the plan
    # Ids in the order the calls happen, prerequisites included.
    seen: set[int] = set()
    n = 0
    for turn in skel.turns:
        for call in turn.calls:
            for c in (*call.before, call):
                if id(c) not in seen:
                    seen.add(id(c))
                    n += 1
                    c.id = f"c{n}"


def _shared_later(skel: Skeleton, ti: int) -> bool:
    calls = skel.turns[ti].calls
    return any(t.calls is calls and t.kind == "call" for t in skel.turns[ti + 1 :])


def _ground_one(
    ti: int,
    call: SCall,
    tools: dict[str, Tool],
    values: ValueMaker,
    attempts: int,
    keep: bool,
    no_deps: set[str],
    depth: int = 0,
) -> None:
    tool = tools[call.tool]
    props = tool.properties
    if call.planned is None:
        call.planned = list(call.deps)
    planned = list(call.planned)
    dry = values.dry if values.executable(tool) else None
    for p in sorted(no_deps) if dry is not None else ():
        schema = props.get(p) if isinstance(props.get(p), dict) else {}
        if values.earlier(p, schema) is not None or values.produced_name(p):
            # A split turn would have the user state a value only an earlier result holds (an id they cannot
            # know): this skeleton does not fit the data flow.
            raise PlanFailure(ti, tool.name, {}, f"the withheld {p} comes from an earlier result", 0)
    last_error = ""
    blamed: set[str] = set()
    args: dict[str, Any] = {}
    kept: dict[str, Any] | None = None
    invent: set[str] = set()
    force: set[str] = set()
    avoid: dict[str, list[Any]] = {}
    for attempt in range(attempts if dry is not None else 1):
        # The planned (nested) dependencies, read from the producer's real output.
        fixed: dict[str, Any] = {}
        deps: list[tuple[str, SCall, str]] = []
        for arg, producer, fld in planned:
            schema = props.get(arg) if isinstance(props.get(arg), dict) else {}
            got = values.resolve_dep(producer.id, fld, arg, schema) if dry is not None else None
            if got is not None and attempt < attempts - 2:
                fixed[arg] = got[0]
                deps.append((arg, producer, got[1]))
            elif dry is None:
                deps.append(
                    (arg, producer, fld)
                )  # simulated: the tool agent makes the output, the path is the plan's
        exclude = set(fixed) | ({a for a, _, _ in deps} if dry is None else set())
        drawn = values.arguments(
            tool,
            exclude=exclude,
            given=call.given,
            no_deps=no_deps,
            attempt=attempt,
            keep=kept,
            invent=invent,
            force=force,
            avoid=avoid,
        )
        args = {**fixed, **drawn.arguments}
        for arg, (cid, path) in drawn.deps.items():
            if cid in values.producers:
                deps.append((arg, values.producers[cid], path))
        if dry is None:
            call.args, call.deps, call.result = drawn.arguments, deps, None
            values.remember(tool.name, drawn.arguments)
            return
        res = dry.run(tool.name, args, keep=keep)
        if res.ok:
            call.args, call.deps = args, deps
            call.result = {"ok": True, "output": res.output, "error": None}
            if keep:
                values.ran(call.id, res.output, call)
            values.worked_with(
                tool.name, {k: v for k, v in args.items() if k not in fixed and k not in drawn.deps}
            )
            return
        last_error = res.error or "failed"
        blamed = blame(last_error, {p: args.get(p) for p in props if p not in exclude})
        force = {p for p in blamed if p not in args}
        if not blamed and depth < 2 and len(call.before) < 3:
            # The error names no argument: the state lacks something ("No user is currently logged in",
            # "Start the engine first"). A tool of the same backend whose name the error speaks of runs first.
            fixer = _fixer(last_error, call, tools, values, ti, attempts, keep, depth)
            if fixer is not None:
                call.before.append(fixer)
                continue
        values.bounds.update(bounds_from(last_error, blamed))
        for p in blamed if blamed else args:
            if p in args and p not in fixed:
                avoid.setdefault(p, []).append(args[p])
        # Draw again only what the error names ("Invalid access token": the token), when it names anything.
        kept = {k: v for k, v in drawn.arguments.items() if k not in blamed and k not in drawn.deps} or None
        kept = kept if blamed else None
        low = last_error.lower()
        new_name = ("exist" in low and "no such" not in low and "not exist" not in low) or "already" in low
        invent = blamed if new_name else set()
        listed = [v for v in listed_values(last_error) if v not in avoid.get(next(iter(blamed), ""), [])]
        if listed and len(blamed) == 1 and not new_name:
            # "Card not registered. Here are a list of card_id's: ['card_3456']": the backend says what exists.
            (p,) = blamed
            kept = {**(kept or {}), p: values.rng.choice(listed)}
            continue
        if blamed and not invent and not (blamed & drawn.grounded) and attempt >= 1:
            # The state holds nothing for what the error names (no booking to cancel, no token): no draw helps.
            break
    raise PlanFailure(ti, tool.name, args, last_error, attempts, blamed)


_LISTED = re.compile(r"\[([^\[\]]{1,400})\]")


def listed_values(error: str) -> list[Any]:
    """The values an error lists (`... card_id's: ['card_3456', 'main']`, `orders_id: [12345, 12446]`)."""
    m = _LISTED.search(error)
    if not m:
        return []
    out: list[Any] = []
    for part in m.group(1).split(","):
        v = part.strip().strip("'\"")
        if not v:
            continue
        out.append(int(v) if v.isdigit() and part.strip()[:1] not in "'\"" else v)
    return out


def blame(error: str, arguments: dict[str, Any]) -> set[str]:
    """The arguments an error message speaks of: by name, by a content word of the name, or by value."""
    from toolsynth.plans.pool import content_tokens

    low = error.lower()
    words = set(re.findall(r"[a-z]+", low))
    out: set[str] = set()
    for k, v in arguments.items():
        if (
            k.lower() in low
            or (content_tokens(k) & {w.rstrip("s") for w in words})
            or isinstance(v, str)
            and len(v) >= 2
            and v.lower() in low
        ):
            out.add(k)
    return out


_STOP_STEMS = frozenset(
    {"error", "pleas", "befor", "curre", "there", "user", "must", "need", "needs", "found", "avail", "valid", "given",
     "allow", "canno", "unabl", "faile"}
)  # fmt: skip
_ERROR_PHRASES = (("logged in", "login"), ("log in", "login"), ("logged", "login"), ("signed in", "login"))


def _stems(text: str) -> set[str]:
    low = text.lower()
    for a, b in _ERROR_PHRASES:
        low = low.replace(a, b)
    return {
        w[:5] for w in re.findall(r"[a-z]{4,}", re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text).lower() + " " + low)
    }


def _fixer(
    error: str,
    call: SCall,
    tools: dict[str, Tool],
    values: ValueMaker,
    ti: int,
    attempts: int,
    keep: bool,
    depth: int,
) -> SCall | None:
    """A call that makes the state what `error` asks for, grounded and run; None when no tool fits or runs."""
    dry = values.dry
    if dry is None:
        return None
    # What the error asks for, minus what names the failing call itself ("create a ticket" in its own error).
    want = _stems(error) - _stems(call.tool) - _STOP_STEMS
    part = dry.part_of(call.tool)
    ranked: list[tuple[int, str]] = []
    for name, t in tools.items():
        if name == call.tool or not dry.handles(name) or dry.part_of(name) != part:
            continue
        if values.crowded is not None and values.crowded(name):
            continue  # a hub already: the plan goes without it (another walk or state)
        score = len(want & _stems(t.original_name))
        if score:
            ranked.append((-score, name))
    for _, name in sorted(ranked)[:2]:
        fix = SCall(name, id=f"{call.id}p{len(call.before)}")
        try:
            _ground_one(ti, fix, tools, values, max(2, attempts // 2), keep, set(), depth + 1)
        except PlanFailure:
            continue
        return fix
    return None


_BETWEEN = re.compile(r"between\s+(-?\d+(?:\.\d+)?)\s+and\s+(-?\d+(?:\.\d+)?)", re.I)


def bounds_from(error: str, blamed: set[str]) -> dict[str, tuple[float, float]]:
    """ "Pedal position must be between 0 and 1": the range a blamed number must lie in."""
    m = _BETWEEN.search(error)
    if not m or not blamed:
        return {}
    lo, hi = float(m.group(1)), float(m.group(2))
    return {p: (lo, hi) for p in blamed}
