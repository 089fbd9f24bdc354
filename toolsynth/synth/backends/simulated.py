"""The tool agent: an LLM plays a tool that has no implementation here (ToolFlow/ToolAlpaca's simulated API).

The result must conform to the tool's return schema (asked for with structured output and validated again here) and
be consistent with the results this dialog has already seen: the earlier calls and results of the same dialog go
into every request, so an id returned once is the id used later and a file created earlier still exists.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import orjson

from toolsynth.catalog.model import Tool
from toolsynth.errors import InputError
from toolsynth.llm.protocol import ModelClient
from toolsynth.messages import ToolCall
from toolsynth.prompts import registry as prompts
from toolsynth.prompts import tool_simulator
from toolsynth.synth.backends.base import Backend, ExecResult, validate_arguments

TOOL_SYSTEM = (
    tool_simulator.SYSTEM
)  # kept under its old name: the prompt is `prompts.tool_simulator.SIMULATE`

# What a simulated result looks like when the catalog gives no return schema at all.
FREEFORM_RESULT: dict[str, Any] = {
    "type": "object",
    "properties": {"result": {"description": "the tool's output"}},
    "required": ["result"],
}


def return_schema(tool: Tool) -> dict[str, Any] | None:
    """The tool's return JSON Schema: the catalog's own, else one built from the named return fields."""
    if tool.returns is None:
        return None
    if tool.returns.schema_:
        return tool.returns.schema_
    if tool.returns.fields:
        props: dict[str, Any] = {}
        for f in tool.returns.fields:
            if "." in f.name or "[" in f.name:
                continue  # nested fields are described by their top-level parent
            sub: dict[str, Any] = {"description": f.description} if f.description else {}
            if f.type in ("string", "integer", "number", "boolean", "array", "object", "null"):
                sub["type"] = f.type
            props[f.name] = sub
        if props:
            return {"type": "object", "properties": props}
    return None


def generation_schema(schema: dict[str, Any] | None) -> tuple[dict[str, Any], bool]:
    """The schema asked of the model and whether the result is wrapped in `{"result": ...}`.

    Structured output wants an object at the top; a tool that returns a scalar or a list is wrapped. An object schema
    gets every top-level property required (a real tool fills its fields; an empty `{}` would validate against a
    schema without `required` and teach nothing), and no extra properties (a field the schema doesn't have is a
    hallucination). The result is still validated against the catalog's schema as it is.
    """
    if schema is None:
        return FREEFORM_RESULT, True
    if schema.get("type") == "object" or ("properties" in schema and "type" not in schema):
        gen = copy.deepcopy(schema)
        gen["type"] = "object"
        props = gen.get("properties") or {}
        if props:
            gen["required"] = list(props)
            gen.setdefault("additionalProperties", False)
        return gen, False
    return {"type": "object", "properties": {"result": schema}, "required": ["result"]}, True


def conforms(value: Any, schema: dict[str, Any] | None) -> list[str]:
    """Problems of `value` against the tool's return schema (empty = conforms)."""
    if schema is None:
        return []
    import jsonschema

    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return [
        (".".join(str(p) for p in e.absolute_path) + ": " if e.absolute_path else "") + e.message
        for e in cls(schema).iter_errors(value)
    ]


class SimulatedBackend(Backend):
    """Results made up by the `tool` role of the gateway, one backend per dialog (the history is its state)."""

    name = "simulated"
    executes = False

    def __init__(
        self,
        tools: list[Tool],
        gateway: ModelClient,
        *,
        role: str = "tool",
        history_limit: int = 12,
        seed: int | None = None,
    ) -> None:
        self.tools = {t.name: t for t in tools}
        self.gw = gateway
        self.role = role
        self.history_limit = history_limit
        self.seed = seed
        self.history: list[dict[str, Any]] = []
        self.attempt = 0

    @classmethod
    def from_spec(cls, spec: dict[str, Any], tools: list[Tool]) -> SimulatedBackend:
        gateway = spec.get("gateway")
        if gateway is None:
            raise InputError(
                "the simulated backend needs a gateway (synthesize passes its own)", where="backend"
            )
        return cls(tools, gateway, role=str(spec.get("role", "tool")), seed=spec.get("seed"))

    def handles(self, tool_name: str) -> bool:
        return tool_name in self.tools

    def execute(self, call: ToolCall) -> ExecResult:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.aexecute(call))
        return ExecResult(
            ok=False, error="simulated backend called synchronously inside an event loop", source="rejected"
        )

    def prompt(self, tool: Tool, call: ToolCall, schema: dict[str, Any] | None) -> list[dict[str, Any]]:
        tpl = prompts.get(tool_simulator.SIMULATE_ID)
        lines = [
            tpl.part("tool", name=tool.name),
            tpl.part("does", description=" ".join((tool.description or "").split())),
        ]
        if tool.returns is not None and tool.returns.description:
            lines.append(tpl.part("returns", description=tool.returns.description))
        lines.append(
            tpl.part("schema", schema=orjson.dumps(schema).decode()) if schema else tpl.part("no_schema")
        )
        if self.history:
            lines.append(tpl.part("history"))
            for h in self.history[-self.history_limit :]:
                lines.append(
                    tpl.part(
                        "earlier_call",
                        name=h["name"],
                        arguments=orjson.dumps(h["arguments"]).decode(),
                        output=orjson.dumps(h["output"], default=str).decode(),
                    )
                )
        lines.append(tpl.part("call", name=call.name, arguments=orjson.dumps(call.arguments).decode()))
        return [
            {"role": "system", "content": tpl.system},
            {"role": "user", "content": "\n".join(lines)},
        ]

    async def aexecute(self, call: ToolCall) -> ExecResult:
        tool = self.tools.get(call.name)
        if tool is None:
            return ExecResult(ok=False, error=f"unknown tool {call.name!r}", source="rejected")
        problems = validate_arguments(tool, call.arguments)
        if problems:
            # The simulator would happily answer a bad call; the real tool wouldn't run it.
            return ExecResult(ok=False, error="; ".join(problems), source="rejected")
        schema = return_schema(tool)
        gen, wrapped = generation_schema(schema)
        kwargs: dict[str, Any] = {}
        if self.seed is not None:
            kwargs["seed"] = self.seed + len(self.history) * 7 + self.attempt * 1013
        res = await self.gw.structured(
            self.role, self.prompt(tool, call, schema), gen, name=f"{tool.name}_result"[:64], **kwargs
        )
        if not res.ok or res.data is None:
            return ExecResult(
                ok=False,
                error=f"tool simulation failed: {res.error}",
                source="simulated",
                meta={"raw": res.raw},
            )
        output = res.data.get("result") if wrapped else res.data
        problems = conforms(output, schema)
        if problems:
            return ExecResult(
                ok=False,
                output=output,
                error="simulated result does not match the return schema: " + "; ".join(problems[:3]),
                source="simulated",
                meta={"schema_valid": False},
            )
        self.history.append({"name": call.name, "arguments": call.arguments, "output": output})
        return ExecResult(ok=True, output=output, source="simulated", meta={"schema_valid": True})

    # The gateway can't be deep-copied: a turn's checkpoint is the history only. Entries are never changed after
    # they are appended, so a shallow copy is a snapshot.
    def checkpoint(self) -> Any:
        return list(self.history)

    def restore(self, token: Any) -> None:
        self.history = list(token)
        self.attempt += 1  # a regenerated turn asks the simulator with a new seed

    def state(self) -> dict[str, Any]:
        return {"calls": len(self.history)}
