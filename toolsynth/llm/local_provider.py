"""The litellm handler for `local/...` models: requests run one at a time on one worker thread (generation
already uses the cores), so the event loop stays free."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from typing import Any

from toolsynth.llm.litellm_module import import_litellm
from toolsynth.llm.local import get_engine

_EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="toolsynth-local")


def _complete(model: str, messages: list[Any], optional_params: dict[str, Any]) -> Any:
    litellm = import_litellm()
    opts = dict(optional_params or {})
    local = opts.pop("toolsynth_local", None) or {}
    name = model.split("/", 1)[-1]
    engine = get_engine(name, bool(local.get("int8", True)), local.get("threads"))
    res = engine.complete([dict(m) for m in messages], opts)
    message: dict[str, Any] = {"role": "assistant", "content": res["content"]}
    if res["tool_calls"]:
        message["tool_calls"] = res["tool_calls"]
    n_in, n_out = res["usage"]
    return litellm.ModelResponse(
        choices=[{"index": 0, "message": message, "finish_reason": res["finish_reason"]}],
        usage={"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out},
        model=f"local/{name}",
    )


def make_provider() -> Any:
    """Built on demand (from the provider registry), so importing this module stays light."""
    base = import_litellm().CustomLLM

    class LocalProvider(base):  # type: ignore[misc,valid-type]
        def completion(
            self, model: str, messages: list[Any], *, optional_params: dict[str, Any] | None = None, **_: Any
        ) -> Any:
            return _EXECUTOR.submit(_complete, model, messages, optional_params or {}).result()

        async def acompletion(
            self, model: str, messages: list[Any], *, optional_params: dict[str, Any] | None = None, **_: Any
        ) -> Any:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                _EXECUTOR, functools.partial(_complete, model, messages, optional_params or {})
            )

    return LocalProvider()
