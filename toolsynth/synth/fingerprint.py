"""What a synthesized dialog depends on, as a flat mapping: the resume fingerprint of `synthesize`'s journal.

A dialog is a function of the model settings, the synth settings, the prompts the agents and the judge are given,
the toolsynth version and the plans it realises. A journal continued with any of these changed would mix dialogs
made two ways under one manifest, so `JournalWriter` refuses it and names the keys that changed. Settings that do
not change content (concurrency, cache, transport, timeouts) are left out, so a rerun may change those freely.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

#: LLM settings that change what a model answers.
LLM_CONTENT_FIELDS = ("model", "temperature", "max_tokens", "seed", "api_base", "structured_retries", "roles")


def prompts_digest() -> str:
    """A hash of every prompt the synth stage sends (the module-level prompt strings of the agents, the tool
    simulator and the judge): editing one changes every later dialog, so it changes the fingerprint."""
    from toolsynth.synth import agents, checks
    from toolsynth.synth.backends import simulated

    h = hashlib.sha256()
    for mod in (agents, checks, simulated):
        for name in sorted(vars(mod)):
            value = getattr(mod, name)
            if name.isupper() and isinstance(value, str):
                h.update(f"{mod.__name__}.{name}\0{value}\0".encode())
    return h.hexdigest()[:16]


def synth_fingerprint(llm: Any, synth: Any, inputs: dict[str, Path]) -> dict[str, Any]:
    """Flat `key → value`, so a mismatch names the setting: `llm.model`, `synth.max_regenerations`, `input.plans`."""
    from toolsynth import __version__
    from toolsynth.artifacts import file_sha256

    out: dict[str, Any] = {"toolsynth_version": __version__, "prompts": prompts_digest()}
    for key, value in llm.model_dump(mode="json", include=set(LLM_CONTENT_FIELDS)).items():
        out[f"llm.{key}"] = value
    for key, value in synth.model_dump(mode="json", exclude={"concurrency", "max_error_rate"}).items():
        out[f"synth.{key}"] = value
    for name, path in inputs.items():
        out[f"input.{name}"] = file_sha256(path) if Path(path).is_file() else None
    return out
