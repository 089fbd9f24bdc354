"""Structured output's model-independent parts: validating an answer against its JSON Schema, whether a model
takes the schema natively, and the retry backoff the gateway waits between attempts."""

from __future__ import annotations

import functools
import random
import re
from typing import Any

import orjson


def backoff_delay(
    attempt: int, base: float, cap: float, rng: random.Random, retry_after: float | None = None
) -> float:
    """Exponential backoff with "equal jitter": half the step fixed, half random, so that many clients that hit a
    rate limit together do not come back together. A server's Retry-After is honoured up to the cap."""
    step = min(cap, base * (2**attempt))
    delay = step / 2 + rng.random() * step / 2
    if retry_after is not None and retry_after > delay:
        delay = min(retry_after, cap)
    return delay


@functools.lru_cache(maxsize=256)
def schema_validator(schema_json: bytes) -> Any:
    from jsonschema.validators import validator_for

    schema = orjson.loads(schema_json)
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def first_error(validator: Any, data: Any) -> str | None:
    from jsonschema.exceptions import best_match

    err = best_match(validator.iter_errors(data))
    if err is None:
        return None
    where = "/".join(str(p) for p in err.absolute_path) or "(root)"
    msg = " ".join(err.message.split())
    return f"at {where}: {msg[:300]}"


def with_instructions(messages: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """`messages` with `text` (the schema stated in words) appended to the system message, or as one."""
    msgs = [dict(m) for m in messages]
    if msgs and msgs[0].get("role") == "system" and isinstance(msgs[0].get("content"), str):
        msgs[0]["content"] = f"{msgs[0]['content']}\n\n{text}"
    else:
        msgs.insert(0, {"role": "system", "content": text})
    return msgs


def schema_name(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:64] or "answer"


@functools.cache
def supports_schema(model: str) -> bool:
    from toolsynth.llm._litellm import get_litellm

    try:
        return bool(get_litellm().supports_response_schema(model=model))
    except Exception:  # noqa: BLE001 - unknown models: litellm raises; fall back to instructions
        return False
