"""How one request reaches a model: through litellm, or straight to an OpenAI-compatible endpoint.

Both return the same normalized answer dict and raise the same two error kinds, so retries, caching and accounting
in the gateway do not care which path was taken.

Why a direct path at all: litellm spends ~3-4 ms of CPU per call (logging, cost calculation, client plumbing), which
caps one process at ~250 calls/s. Against a self-hosted server (vLLM, llama.cpp, SGLang) that answers 64 requests
in parallel that is the bottleneck, so for `openai/` and `hosted_vllm/` models with an `api_base` the gateway posts
the same OpenAI request itself (`toolsynth.llm.http11`, keep-alive connections per event loop). Every other provider goes through
litellm.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import os
import re
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from toolsynth.llm._litellm import get_litellm, is_custom, provider_of
from toolsynth.llm.http11 import HTTPClient, HTTPConnectionError
from toolsynth.llm.wire import parse_tool_calls, redact, short_hash

_LITELLM_PREFIX = re.compile(r"^(litellm\.\w+:\s*)+")
_MISSING_KEY = re.compile(r"missing credentials|api_key client option must be set|no api key", re.I)
# Statuses worth another attempt: request timeout, conflict, too early, rate limit, and every server error.
RETRY_STATUS = frozenset({408, 409, 425, 429})
DIRECT_PROVIDERS = ("openai", "hosted_vllm")
# Where litellm (and the OpenAI client) look for a key, per provider prefix of the direct path.
KEY_ENV = {"openai": "OPENAI_API_KEY", "hosted_vllm": "HOSTED_VLLM_API_KEY"}


class TransientError(Exception):
    """Worth retrying: rate limit, timeout, connection error, 5xx."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


class FatalError(Exception):
    """Retrying cannot help: bad key, unknown model, invalid request."""

    def __init__(self, message: str, status: int | None = None, kind: str = "provider") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.kind = kind  # auth | not_found | bad_request | provider


@dataclass
class Request:
    role: str
    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    params: dict[str, Any]  # temperature, max_tokens, seed, response_format, tool_choice, extras
    api_base: str | None
    timeout: float
    direct: bool
    local_opts: dict[str, Any] = field(default_factory=dict)
    key: str = ""  # the cache key, set by the gateway; also seeds stable tool-call ids

    def key_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "api_base": self.api_base,
            "messages": self.messages,
            "tools": self.tools,
            "params": self.params,
        }
        if "int8" in self.local_opts:
            payload["local_int8"] = self.local_opts["int8"]
        return payload


def _normalize(
    content: Any, raw_calls: Any, usage: Any, finish_reason: Any, model: str, call_seed: str
) -> dict[str, Any]:
    calls, invalid = parse_tool_calls(raw_calls)
    for i, c in enumerate(calls):
        if not c.id or c.id == f"call_{i}":
            # Stable ids keep re-runs byte-identical where a provider gives none.
            c.id = f"call_{short_hash(call_seed, i, n=16)}"
    u = usage if isinstance(usage, dict) else (usage.model_dump() if hasattr(usage, "model_dump") else {})
    return {
        "content": content or (None if calls else ""),
        "tool_calls": [c.model_dump() for c in calls],
        "invalid_tool_calls": invalid,
        "usage": {
            "prompt_tokens": int(u.get("prompt_tokens") or 0),
            "completion_tokens": int(u.get("completion_tokens") or 0),
        },
        "finish_reason": finish_reason,
        "model": model,
    }


# ---- pricing --------------------------------------------------------------------------------------------------


@functools.cache
def _price_table() -> dict[str, Any]:
    """litellm's bundled cost map, read as JSON so the direct path never pays litellm's import."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "model_prices_and_context_window_backup.json"
    try:
        return orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}


@functools.cache
def _prices(model: str) -> tuple[float, float] | None:
    table = _price_table()
    for name in (model, model.split("/", 1)[-1]):
        entry = table.get(name)
        if isinstance(entry, dict) and "input_cost_per_token" in entry:
            return float(entry.get("input_cost_per_token") or 0), float(
                entry.get("output_cost_per_token") or 0
            )
    return None


def cost_of(model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
    """USD for one call, or None when the model has no public price (self-hosted, unknown)."""
    if is_custom(model):
        return 0.0  # in-process models cost nothing but CPU
    p = _prices(model)
    if p is None:
        return None
    return prompt_tokens * p[0] + completion_tokens * p[1]


# ---- litellm path ---------------------------------------------------------------------------------------------


async def litellm_complete(req: Request) -> dict[str, Any]:
    litellm = get_litellm()
    kwargs: dict[str, Any] = {
        "model": req.model,
        "messages": req.messages,
        "timeout": req.timeout,
        # Retries are ours (with backoff, accounting and a clear final error); litellm and the OpenAI client must
        # not add their own on top.
        "num_retries": 0,
        "max_retries": 0,
        # A provider that lacks `seed` (say) should still answer rather than fail the run.
        "drop_params": True,
        **{k: v for k, v in req.params.items() if k != "hint" or provider_of(req.model) == "scripted"},
    }
    if req.tools:
        kwargs["tools"] = req.tools
    if req.api_base:
        kwargs["api_base"] = req.api_base
    if req.local_opts:
        kwargs["toolsynth_local"] = req.local_opts
    try:
        resp = await litellm.acompletion(**kwargs)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - every provider error is classified below
        raise classify_litellm_error(exc, req.model) from None
    choice = resp.choices[0]
    msg = choice.message
    out = _normalize(
        getattr(msg, "content", None),
        getattr(msg, "tool_calls", None),
        getattr(resp, "usage", None),
        getattr(choice, "finish_reason", None),
        req.model,
        call_seed=req.key or short_hash(req.key_payload()),
    )
    hidden = getattr(resp, "_hidden_params", None) or {}
    cost = hidden.get("response_cost") if isinstance(hidden, dict) else None
    out["usage"]["cost_usd"] = (
        float(cost)
        if isinstance(cost, int | float) and not is_custom(req.model)
        else cost_of(req.model, out["usage"]["prompt_tokens"], out["usage"]["completion_tokens"])
    )
    return out


def classify_litellm_error(exc: BaseException, model: str) -> TransientError | FatalError:
    from toolsynth.errors import ToolsynthError

    litellm = get_litellm()
    # A toolsynth error raised inside one of our own providers (say, the local model's package is missing) is
    # already a clear message: pass it through untouched.
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ToolsynthError):
            return FatalError(cause.one_line(), kind="provider")
        cause = cause.__cause__ or cause.__context__
    status = getattr(exc, "status_code", None)
    text = _first_line(redact(_LITELLM_PREFIX.sub("", str(getattr(exc, "message", None) or exc))))
    retry_after = _retry_after(getattr(getattr(exc, "response", None), "headers", None))
    if _MISSING_KEY.search(text):
        # litellm reports a key missing on our side as a server error (500); no retry can supply it
        return FatalError(f"no API key: {text}", status=401, kind="auth")
    if isinstance(exc, litellm.Timeout | asyncio.TimeoutError | TimeoutError):
        return TransientError(f"timed out: {text}", status=408)
    # litellm wraps any exception from an in-process provider as a connection error; for our own providers that
    # is a bug or a setup problem, and retrying would only repeat it.
    if (
        isinstance(exc, litellm.APIConnectionError)
        and is_custom(model)
        and not isinstance(exc.__cause__ or exc.__context__, litellm.APIConnectionError | ConnectionError)
    ):
        return FatalError(f"the {provider_of(model)} provider failed: {text}", status=status)
    if isinstance(exc, litellm.APIConnectionError):
        return TransientError(f"connection error: {text}", status=status)
    return from_status(status, text, retry_after)


def from_status(
    status: int | None, text: str, retry_after: float | None = None
) -> TransientError | FatalError:
    if status is None:
        return FatalError(text)
    if status in RETRY_STATUS or status >= 500:
        return TransientError(f"HTTP {status}: {text}", status=status, retry_after=retry_after)
    if status in (401, 403):
        return FatalError(f"authentication failed (HTTP {status}): {text}", status=status, kind="auth")
    if status == 404:
        return FatalError(f"not found (HTTP 404): {text}", status=status, kind="not_found")
    return FatalError(f"request rejected (HTTP {status}): {text}", status=status, kind="bad_request")


def _first_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _retry_after(headers: Any) -> float | None:
    if not headers:
        return None
    try:
        value = headers.get("retry-after") or headers.get("Retry-After")
        return float(value) if value is not None else None
    except (TypeError, ValueError, AttributeError):
        return None


# ---- direct path ----------------------------------------------------------------------------------------------


def wants_direct(transport: str, model: str, api_base: str | None) -> bool:
    if transport == "litellm" or not api_base or is_custom(model):
        return False
    if transport == "direct":
        return True
    return provider_of(model) in DIRECT_PROVIDERS


class DirectTransport:
    """OpenAI chat-completions posted by the gateway itself, through one keep-alive HTTP client per event loop
    (`toolsynth.llm.http11`: at tens of requests in flight, aiohttp's per-request cost kept slots idle)."""

    def __init__(self) -> None:
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, HTTPClient] = (
            weakref.WeakKeyDictionary()
        )

    def _client(self) -> HTTPClient:
        loop = asyncio.get_running_loop()
        c = self._clients.get(loop)
        if c is None or c.closed:
            # No connection limit here: the gateway's semaphore is the one bound on requests in flight.
            c = HTTPClient()
            self._clients[loop] = c
        return c

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        c = self._clients.pop(loop, None)
        if c is not None and not c.closed:
            await c.aclose()

    async def _post(
        self, url: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> tuple[int, Any, bytes]:
        """(status, response headers, body). Raises TransientError for connection failures, TimeoutError."""
        try:
            r = await self._client().post(url, body, headers, timeout)
        except HTTPConnectionError as exc:
            raise TransientError(f"connection error: {_first_line(redact(str(exc)))}") from None
        return r.status, r.headers, r.body

    async def complete(self, req: Request) -> dict[str, Any]:
        assert req.api_base
        provider = provider_of(req.model)
        name = req.model.split("/", 1)[1] if provider in DIRECT_PROVIDERS else req.model
        body: dict[str, Any] = {"model": name, "messages": req.messages}
        body.update({k: v for k, v in req.params.items() if v is not None and k != "hint"})
        if req.tools:
            body["tools"] = req.tools
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(KEY_ENV.get(provider, "OPENAI_API_KEY"))
        if key:
            headers["Authorization"] = f"Bearer {key}"
        url = req.api_base.rstrip("/") + "/chat/completions"
        try:
            status, resp_headers, raw = await self._post(url, orjson.dumps(body), headers, req.timeout)
        except TimeoutError:
            raise TransientError(f"timed out after {req.timeout:g} s", status=408) from None
        if status >= 400:
            raise from_status(status, _error_text(raw), _retry_after(resp_headers))
        try:
            data = orjson.loads(raw)
            choice = data["choices"][0]
            msg = choice.get("message") or {}
        except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise TransientError(f"malformed response from {url}: {exc}") from None
        out = _normalize(
            msg.get("content"),
            msg.get("tool_calls"),
            data.get("usage") or {},
            choice.get("finish_reason"),
            req.model,
            call_seed=req.key or short_hash(req.key_payload()),
        )
        out["usage"]["cost_usd"] = cost_of(
            req.model, out["usage"]["prompt_tokens"], out["usage"]["completion_tokens"]
        )
        return out


def _error_text(raw: bytes) -> str:
    try:
        data = orjson.loads(raw)
        err = data.get("error", data) if isinstance(data, dict) else data
        text = err.get("message", err) if isinstance(err, dict) else err
        text = str(text)
    except (orjson.JSONDecodeError, AttributeError):
        text = raw[:500].decode("utf-8", "replace")
    return _first_line(redact(text))
