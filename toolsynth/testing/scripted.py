"""A deterministic fake model for tests: `scripted/<name>` answers in microseconds, offline, from rules.

With no rules it answers
- a structured request (response_format json_schema) with a schema-valid instance,
- a request with tools with a schema-valid call of one tool: the one `tool_choice` forces, else one named by the
  `hint` override (`gw.chat(..., hint="get_weather")`), else one named in the last message, else in the system
  message, else the first;
  after a tool result (last message from `tool`) it answers in text unless a tool is forced or hinted,
- anything else with a short text that quotes the last message.
Answers depend only on the request, so a re-run gives identical output.

Tests steer it with rules (first match wins; a rule with `times` expires):

```python
ScriptedModel.add_rule(match="weather", reply={"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]})
ScriptedModel.add_rule(match=lambda r: r.schema is not None, reply=lambda r: {"json": {"ok": True}})
ScriptedModel.fail(429, times=2)            # two rate-limit errors, then normal answers
ScriptedModel.fail("invalid_json", times=1) # one unparsable structured answer
ScriptedModel.calls                         # every request the model saw
ScriptedModel.reset()                       # between tests
```
Reply forms: a string (content); `{"content": ...}`; `{"tool_calls": [{"name", "arguments"}], "content"?}`;
`{"json": value}`; `{"error": 429 | 500 | 401 | "timeout" | "connection" | "invalid_json", "message"?}`; or a
callable taking the `ScriptedRequest` and returning one of these (or None to fall through to the next rule).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from toolsynth.llm.litellm_module import import_litellm
from toolsynth.llm.schema_fill import instance_for
from toolsynth.llm.wire import short_hash

Reply = str | dict[str, Any] | Callable[["ScriptedRequest"], Any]


@dataclass
class ScriptedRequest:
    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    schema: dict[str, Any] | None
    params: dict[str, Any]

    @property
    def name(self) -> str:
        return self.model.split("/", 1)[-1]

    @property
    def last(self) -> dict[str, Any]:
        return self.messages[-1] if self.messages else {}

    @property
    def last_text(self) -> str:
        c = self.last.get("content")
        return c if isinstance(c, str) else ""

    @property
    def text(self) -> str:
        return "\n".join(m["content"] for m in self.messages if isinstance(m.get("content"), str))

    @property
    def tool_names(self) -> list[str]:
        return [t["function"]["name"] for t in self.tools or []]

    @property
    def hint(self) -> Any:
        return self.params.get("hint")

    def seed(self) -> str:
        return short_hash(self.model, self.messages, self.tools, self.schema, self.params, n=16)


@dataclass
class Rule:
    match: Callable[[ScriptedRequest], bool]
    reply: Reply
    times: int | None = None
    model: str | None = None
    hits: int = 0

    def applies(self, req: ScriptedRequest) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.model is not None and self.model not in (req.model, req.name):
            return False
        return bool(self.match(req))


class ScriptedModel:
    """Process-wide rules and call log of the scripted provider (class-level: litellm holds one handler)."""

    rules: list[Rule] = []
    calls: list[ScriptedRequest] = []
    _lock = threading.Lock()

    @classmethod
    def add_rule(
        cls,
        match: Callable[[ScriptedRequest], bool] | str | None = None,
        reply: Reply = "",
        *,
        times: int | None = None,
        model: str | None = None,
        first: bool = False,
    ) -> Rule:
        """`match`: a predicate, a substring of the last message, or None for every request."""
        rule = Rule(match=_matcher(match), reply=reply, times=times, model=model)
        with cls._lock:
            if first:
                cls.rules.insert(0, rule)
            else:
                cls.rules.append(rule)
        return rule

    @classmethod
    def fail(
        cls,
        error: int | str,
        *,
        times: int = 1,
        match: Callable[[ScriptedRequest], bool] | str | None = None,
        message: str | None = None,
    ) -> Rule:
        """Inject failures ahead of every other rule: an HTTP status, "timeout", "connection" or "invalid_json"."""
        reply: dict[str, Any] = {"error": error}
        if message is not None:
            reply["message"] = message
        return cls.add_rule(match, reply, times=times, first=True)

    @classmethod
    def load_fixtures(cls, path: str | Path) -> int:
        """Rules from a JSONL file: {"match": "substring" | null, "reply": <reply form>, "times": n?, "model": ...}."""
        n = 0
        for line in Path(path).read_bytes().splitlines():
            if not line.strip():
                continue
            rec = orjson.loads(line)
            cls.add_rule(rec.get("match"), rec["reply"], times=rec.get("times"), model=rec.get("model"))
            n += 1
        return n

    @classmethod
    def reset(cls) -> None:
        with cls._lock:
            cls.rules = []
            cls.calls = []

    @classmethod
    def answer(cls, req: ScriptedRequest) -> dict[str, Any]:
        with cls._lock:
            cls.calls.append(req)
            rules = list(cls.rules)
        for rule in rules:
            with cls._lock:
                if not rule.applies(req):
                    continue
                rule.hits += 1
            reply = rule.reply(req) if callable(rule.reply) else rule.reply
            if reply is None:
                continue
            return {"content": reply} if isinstance(reply, str) else dict(reply)
        return default_reply(req)


def _matcher(match: Callable[[ScriptedRequest], bool] | str | None) -> Callable[[ScriptedRequest], bool]:
    if match is None:
        return lambda r: True
    if isinstance(match, str):
        needle = match.lower()
        return lambda r: needle in r.last_text.lower()
    return match


def default_reply(req: ScriptedRequest) -> dict[str, Any]:
    seed = req.seed()
    choice = req.params.get("tool_choice")
    if req.tools and choice != "none":
        tool = _pick_tool(req, choice)
        if tool is not None:
            params = tool.get("parameters") or {"type": "object", "properties": {}}
            args = instance_for(params, seed, include_optional=False)
            return {
                "tool_calls": [{"name": tool["name"], "arguments": args if isinstance(args, dict) else {}}]
            }
    if req.schema is not None:
        return {"json": instance_for(req.schema, seed)}
    quoted = " ".join(req.last_text.split())[:120]
    return {"content": f"[{req.name} {seed[:6]}] {quoted}" if quoted else f"[{req.name} {seed[:6]}] OK."}


def _pick_tool(req: ScriptedRequest, choice: Any) -> dict[str, Any] | None:
    specs = {t["function"]["name"]: t["function"] for t in req.tools or []}
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        if name in specs:
            return specs[name]
    hints = req.hint if isinstance(req.hint, list) else [req.hint] if req.hint else []
    for h in hints:
        if h in specs:
            return specs[h]
    if req.last.get("role") == "tool" and choice != "required":
        return None
    # A tool named in the last message, else in the system message (where agents put their hints).
    system = (
        req.messages[0].get("content") if req.messages and req.messages[0].get("role") == "system" else ""
    )
    for text in (req.last_text, system if isinstance(system, str) else ""):
        named = [n for n in specs if n in text]
        if named:
            return specs[max(named, key=len)]
    return next(iter(specs.values()), None)


# ---- the litellm provider ---------------------------------------------------------------------------------------


def _response(req: ScriptedRequest, reply: dict[str, Any]) -> Any:
    litellm = import_litellm()

    err = reply.get("error")
    if err is not None:
        _raise(err, reply.get("message"), req)
    content: str | None
    if "json" in reply:
        content = orjson.dumps(reply["json"]).decode()
    elif err == "invalid_json":
        content = reply.get("message") or '{"answer": this is not JSON'
    else:
        content = reply.get("content")
    calls = []
    for i, c in enumerate(reply.get("tool_calls") or []):
        args = c.get("arguments", {})
        calls.append(
            {
                "id": c.get("id") or f"call_{short_hash(req.seed(), i, n=16)}",
                "type": "function",
                "function": {
                    "name": c["name"],
                    "arguments": args if isinstance(args, str) else orjson.dumps(args).decode(),
                },
            }
        )
    message: dict[str, Any] = {"role": "assistant", "content": content if content or not calls else None}
    if calls:
        message["tool_calls"] = calls
    out_text = (content or "") + "".join(c["function"]["arguments"] for c in calls)
    usage = reply.get("usage") or {
        "prompt_tokens": len(req.text) // 4 + 1,
        "completion_tokens": len(out_text) // 4 + 1,
    }
    usage = {**usage, "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"]}
    return litellm.ModelResponse(
        choices=[{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
        usage=usage,
        model=req.model,
    )


def _raise(err: Any, message: str | None, req: ScriptedRequest) -> None:
    litellm = import_litellm()
    from litellm.llms.custom_llm import CustomLLMError

    if err == "invalid_json":
        return
    if err == "timeout":
        raise litellm.Timeout(message or "scripted timeout", model=req.model, llm_provider="scripted")
    if err == "connection":
        raise ConnectionResetError(message or "scripted connection reset")
    if isinstance(err, int):
        raise CustomLLMError(status_code=err, message=message or f"scripted HTTP {err}")
    raise ValueError(f"unknown scripted error {err!r}")


def _build_request(model: str, messages: list[Any], optional_params: dict[str, Any]) -> ScriptedRequest:
    params = dict(optional_params or {})
    tools = params.pop("tools", None)
    rf = params.pop("response_format", None)
    for k in ("max_retries", "toolsynth_local", "drop_params"):
        params.pop(k, None)
    schema = None
    if isinstance(rf, dict):
        if rf.get("type") == "json_schema":
            schema = (rf.get("json_schema") or {}).get("schema") or {}
        elif rf.get("type") == "json_object":
            schema = {"type": "object"}
    full = model if model.startswith("scripted/") else f"scripted/{model}"
    msgs = [dict(m) for m in messages]
    return ScriptedRequest(model=full, messages=msgs, tools=tools, schema=schema, params=params)


def make_provider() -> Any:
    """The litellm handler for `scripted/...` models (built on demand: importing this module stays light)."""
    base = import_litellm().CustomLLM

    class ScriptedProvider(base):  # type: ignore[misc,valid-type]
        def completion(
            self, model: str, messages: list[Any], *, optional_params: dict[str, Any] | None = None, **_: Any
        ) -> Any:
            req = _build_request(model, messages, optional_params or {})
            return _response(req, ScriptedModel.answer(req))

        async def acompletion(
            self, model: str, messages: list[Any], *, optional_params: dict[str, Any] | None = None, **_: Any
        ) -> Any:
            return self.completion(model, messages, optional_params=optional_params)

    return ScriptedProvider()
