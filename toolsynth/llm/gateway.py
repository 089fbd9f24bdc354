"""The LLM gateway: every model call of every stage goes through `Gateway`.

```python
gw = make_gateway(config, stage="synthesize")                       # toolsynth.llm.factory
res = await gw.chat("assistant", messages, tools=tools)            # ChatResult
out = await gw.structured("planner", messages, schema)             # StructuredResult, never raises on bad JSON
gw.usage_summary()                                                 # for the manifest
```

- Model, temperature, max tokens, seed, api_base and timeout resolve as: call overrides > `config.roles[role]` >
  top-level `config`. Keys come only from the environment; an `api_key` override is refused.
- At most `config.concurrency` requests are in flight per gateway; transient errors (429, 5xx, timeouts,
  connection errors) are retried with exponential backoff and jitter; 4xx errors fail at once with `LLMError`.
- Answers are cached on disk by (model, api_base, messages, tools, params incl. seed): a re-run makes no calls
  and gets identical answers. `config.cache = False` (`--no-cache`) bypasses the cache.
"""

from __future__ import annotations

import asyncio
import random
import weakref
from collections.abc import Awaitable, Coroutine, Iterable
from pathlib import Path
from typing import Any, TypeVar

import orjson

from toolsynth.console import log
from toolsynth.errors import LLMError
from toolsynth.llm.accounting import Accounting, format_summary
from toolsynth.llm.cache import ResponseCache, cache_key
from toolsynth.llm.config import LLMConfig
from toolsynth.llm.providers import is_custom, provider_of
from toolsynth.llm.results import (
    ChatResult,
    LLMRequestError,
    LLMUnavailableError,
    StructuredResult,
    Usage,
)
from toolsynth.llm.structured import (
    backoff_delay,
    first_error,
    schema_name,
    schema_validator,
    supports_schema,
    with_instructions,
)
from toolsynth.llm.transport import (
    DirectTransport,
    FatalError,
    Request,
    TransientError,
    litellm_complete,
    wants_direct,
)
from toolsynth.llm.wire import canonical_json, to_wire_messages, to_wire_tools
from toolsynth.messages import ToolCall
from toolsynth.prompts import registry as prompts
from toolsynth.prompts import structured_output

# Re-exported: callers import the result types and errors from here.
__all__ = [
    "ChatResult",
    "Gateway",
    "LLMRequestError",
    "LLMUnavailableError",
    "StructuredResult",
    "Usage",
    "backoff_delay",
]

T = TypeVar("T")

_SETTING_KEYS = ("model", "temperature", "max_tokens", "seed", "api_base", "timeout_s")


class Gateway:
    def __init__(self, config: LLMConfig | None, stage: str, cache_dir: str | Path | None = None) -> None:
        self.config = config or LLMConfig()
        self.stage = stage
        self.accounting = Accounting(stage=stage)
        self.cache: ResponseCache | None = (
            ResponseCache(Path(cache_dir) if cache_dir is not None else Path(self.config.cache_dir))
            if self.config.cache
            else None
        )
        self._direct = DirectTransport()
        self._sems: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        self._inflight: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._rng = random.Random()

    # ---- public API -------------------------------------------------------------------------------------------

    async def chat(
        self, role: str, messages: list[Any], tools: list[Any] | None = None, **overrides: Any
    ) -> ChatResult:
        """One chat completion. Raises LLMError when the request cannot succeed (see module doc)."""
        req = self._request(role, to_wire_messages(messages), to_wire_tools(tools), overrides)
        raw, cached = await self._complete(req)
        return _chat_result(raw, cached)

    async def structured(
        self, role: str, messages: list[Any], schema: dict[str, Any], name: str = "answer", **overrides: Any
    ) -> StructuredResult:
        """A JSON answer validated against `schema`, re-asked with the validation error up to
        `config.structured_retries` times. An answer that never validates comes back as `ok=False` with the error
        (record it and move on); only errors that make every request fail (bad key, unknown model) raise."""
        try:
            validator = schema_validator(canonical_json(schema))
        except Exception as exc:  # noqa: BLE001 - jsonschema raises several kinds for a bad schema
            return StructuredResult(
                ok=False, data=None, error=f"the schema is not valid JSON Schema: {exc}", raw=None
            )
        prompt = prompts.get(structured_output.STRUCTURED_ID)
        msgs = to_wire_messages(messages)
        model = self._setting(role, overrides, "model")
        mode = self._structured_mode(model, self._setting(role, overrides, "api_base"))
        over = dict(overrides)
        if mode == "schema":
            over["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": schema_name(name), "schema": schema, "strict": False},
            }
        else:
            msgs = with_instructions(msgs, prompt.part("instructions", schema=orjson.dumps(schema).decode()))
        usage = Usage(cost_usd=0.0)
        all_cached = True
        text: str | None = None
        error = "no attempt made"
        tries = self.config.structured_retries + 1
        for attempt in range(tries):
            req = self._request(role, msgs, None, over)
            raw, cached = await self._complete(req)
            all_cached = all_cached and cached
            usage.add(_usage(raw))
            text = raw["content"]
            try:
                data = prompt.parse(text)
                error = first_error(validator, data)
            except ValueError as exc:
                data, error = None, str(exc)
            if error is None:
                return StructuredResult(
                    ok=True,
                    data=data,
                    error=None,
                    raw=text,
                    attempts=attempt + 1,
                    cached=all_cached,
                    usage=usage,
                )
            if attempt + 1 < tries:
                self.accounting.record(role, req.model, "repairs")
                msgs = [
                    *msgs,
                    {"role": "assistant", "content": text or ""},
                    {
                        "role": "user",
                        "content": prompt.part("repair", error=error),
                    },
                ]
        self.accounting.record(role, model, "failures")
        return StructuredResult(
            ok=False, data=None, error=error, raw=text, attempts=tries, cached=all_cached, usage=usage
        )

    def usage_summary(self) -> dict[str, Any]:
        """Calls, cache hits, retries, failures, tokens and cost per role and in total, for manifests."""
        return self.accounting.summary()

    def summary_line(self) -> str:
        return format_summary(self.usage_summary())

    def run(self, coro: Awaitable[T]) -> T:
        """Run one coroutine to completion from synchronous code, then release this loop's connections."""

        async def main() -> T:
            try:
                return await coro
            finally:
                await self.aclose()

        return asyncio.run(main())

    def run_many(self, coros: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
        """Run coroutines concurrently (bounded by `config.concurrency`), results in input order. The first
        exception propagates after the others have been cancelled."""
        coros = list(coros)

        async def main() -> list[T]:
            tasks = [asyncio.ensure_future(c) for c in coros]
            try:
                return list(await asyncio.gather(*tasks))
            except BaseException:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise

        return self.run(main())

    async def aclose(self) -> None:
        """Flush the cache and close this event loop's HTTP sessions."""
        if self.cache is not None:
            self.cache.flush()
        await self._direct.aclose()

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()

    async def __aenter__(self) -> Gateway:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---- request resolution -----------------------------------------------------------------------------------

    def _setting(self, role: str, overrides: dict[str, Any], name: str) -> Any:
        if overrides.get(name) is not None:
            return overrides[name]
        rs = self.config.roles.get(role)
        if rs is not None and getattr(rs, name) is not None:
            return getattr(rs, name)
        return getattr(self.config, name)

    def _request(
        self,
        role: str,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        overrides: dict[str, Any],
    ) -> Request:
        if "api_key" in overrides:
            raise LLMError(
                "API keys are read from the environment only (e.g. OPENAI_API_KEY), never passed in",
                where=f"llm.{role}",
            )
        model = self._setting(role, overrides, "model")
        api_base = self._setting(role, overrides, "api_base")
        params: dict[str, Any] = {
            "temperature": self._setting(role, overrides, "temperature"),
            "max_tokens": self._setting(role, overrides, "max_tokens"),
        }
        seed = self._setting(role, overrides, "seed")
        if seed is not None:
            params["seed"] = seed
        for k, v in overrides.items():
            if k not in _SETTING_KEYS and v is not None:
                params[k] = v
        if tools is None:
            params.pop("tool_choice", None)
        local_opts: dict[str, Any] = {}
        if provider_of(model) == "local":
            local_opts = {"int8": self.config.local_int8, "threads": self.config.local_threads}
        req = Request(
            role=role,
            model=model,
            messages=messages,
            tools=tools,
            params=params,
            api_base=api_base,
            timeout=float(self._setting(role, overrides, "timeout_s")),
            direct=wants_direct(self.config.transport, model, api_base),
            local_opts=local_opts,
        )
        req.key = cache_key(req.key_payload())
        return req

    def _structured_mode(self, model: str, api_base: str | None) -> str:
        mode = self.config.structured_mode
        if mode != "auto":
            return mode
        if is_custom(model) or wants_direct(self.config.transport, model, api_base):
            # Our providers decode against the schema; OpenAI-compatible servers (vLLM, llama.cpp) do too.
            return "schema"
        return "schema" if supports_schema(model) else "instructions"

    # ---- calling ----------------------------------------------------------------------------------------------

    async def _complete(self, req: Request) -> tuple[dict[str, Any], bool]:
        """(answer, from_cache). Identical requests in flight at once share one call."""
        if self.cache is not None:
            hit = self.cache.get(req.key)
            if hit is not None:
                self.accounting.record(req.role, req.model, "cached")
                return hit, True
        pending = self._inflight.get(req.key)
        if pending is not None and pending.get_loop() is asyncio.get_running_loop():
            try:
                raw = await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this waiter itself was cancelled
                # the call we were sharing was cancelled with its own caller: make ours
            else:
                self.accounting.record(req.role, req.model, "cached")
                return raw, True
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._inflight[req.key] = fut
        try:
            raw = await self._call_with_retries(req)
        except asyncio.CancelledError:
            fut.cancel()
            raise
        except BaseException as exc:
            if not fut.done():
                fut.set_exception(exc)
                fut.exception()  # mark retrieved: waiters re-raise it, nobody else needs to
            raise
        else:
            fut.set_result(raw)
            if self.cache is not None:
                self.cache.put(req.key, req.model, raw)
            return raw, False
        finally:
            if self._inflight.get(req.key) is fut:
                del self._inflight[req.key]

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        sem = self._sems.get(loop)
        if sem is None:
            sem = self._sems[loop] = asyncio.Semaphore(self.config.concurrency)
        return sem

    async def _call_with_retries(self, req: Request) -> dict[str, Any]:
        sem = self._semaphore()
        tries = self.config.max_retries + 1
        for attempt in range(tries):
            try:
                async with sem:
                    raw = await (self._direct.complete(req) if req.direct else litellm_complete(req))
            except TransientError as exc:
                self.accounting.record_call(req.role, req.model, 0, 0, 0.0)
                if attempt + 1 >= tries:
                    self.accounting.record(req.role, req.model, "failures")
                    raise LLMUnavailableError(
                        f"{req.model} ({req.role}): gave up after {tries} attempts: {exc.message}",
                        where=f"llm.{req.role}",
                    ) from None
                self.accounting.record(req.role, req.model, "retries")
                delay = backoff_delay(
                    attempt, self.config.retry_base_s, self.config.retry_max_s, self._rng, exc.retry_after
                )
                log.info(
                    "%s (%s): %s; retry %d/%d in %.1f s",
                    req.model,
                    req.role,
                    exc.message,
                    attempt + 1,
                    tries - 1,
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            except FatalError as exc:
                self.accounting.record_call(req.role, req.model, 0, 0, 0.0)
                self.accounting.record(req.role, req.model, "failures")
                cls = LLMRequestError if exc.kind == "bad_request" else LLMError
                raise cls(
                    f"{req.model}: {exc.message}{_hint(exc, req.model)}", where=f"llm.{req.role}"
                ) from None
            u = raw["usage"]
            self.accounting.record_call(
                req.role, req.model, u["prompt_tokens"], u["completion_tokens"], u.get("cost_usd")
            )
            return raw
        raise AssertionError("unreachable")


# ---- helpers --------------------------------------------------------------------------------------------------


def _chat_result(raw: dict[str, Any], cached: bool) -> ChatResult:
    return ChatResult(
        content=raw["content"],
        tool_calls=[ToolCall(**c) for c in raw["tool_calls"]],
        usage=_usage(raw),
        cached=cached,
        model=raw.get("model", ""),
        finish_reason=raw.get("finish_reason"),
        invalid_tool_calls=list(raw.get("invalid_tool_calls") or []),
    )


def _usage(raw: dict[str, Any]) -> Usage:
    u = raw["usage"]
    return Usage(u["prompt_tokens"], u["completion_tokens"], u.get("cost_usd"))


def _hint(exc: FatalError, model: str) -> str:
    if exc.kind != "auth" or is_custom(model):
        return ""
    from toolsynth.llm.transport import KEY_ENV

    env = KEY_ENV.get(provider_of(model)) or f"{provider_of(model).upper() or 'OPENAI'}_API_KEY"
    return f" (check {env} in the environment)"
