"""What a synthesized dialog depends on, as a flat mapping: the resume fingerprint of `synthesize`'s journal.

A dialog is a function of the model settings, the synth settings, the prompts the agents and the judge are given,
the toolsynth version and the plans it realises. A journal continued with any of these changed would mix dialogs
made two ways under one manifest, so `JournalWriter` refuses it and names the keys that changed. Settings that do
not change content (concurrency, cache, transport, timeouts) are left out, so a rerun may change those freely.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: LLM settings that change what a model answers.
LLM_CONTENT_FIELDS = ("model", "temperature", "max_tokens", "seed", "api_base", "structured_retries", "roles")


def prompts_digest() -> str:
    """One hash over every prompt synthesize may send (its entries in `toolsynth.prompts.catalogue.STAGES`, with
    any override in force): editing one changes every later dialog, so it changes the fingerprint."""
    from toolsynth.prompts.registry import stage_digest

    return stage_digest("synthesize")


def prompt_keys() -> dict[str, str]:
    """`prompt.<id>` → "v<version> <sha256>", so a refused resume names the prompt that changed."""
    from toolsynth.prompts.registry import stage_prompts

    return {
        f"prompt.{pid}": f"v{e['version']} {e['sha256']}" for pid, e in stage_prompts("synthesize").items()
    }


def synth_fingerprint(llm: Any, synth: Any, inputs: dict[str, Path]) -> dict[str, Any]:
    """Flat `key → value`, so a mismatch names the setting: `llm.model`, `synth.max_regenerations`, `input.plans`."""
    from toolsynth import __version__
    from toolsynth.artifacts import file_sha256

    out: dict[str, Any] = {"toolsynth_version": __version__, "prompts": prompts_digest(), **prompt_keys()}
    for key, value in llm.model_dump(mode="json", include=set(LLM_CONTENT_FIELDS)).items():
        out[f"llm.{key}"] = value
    for key, value in synth.model_dump(mode="json", exclude={"concurrency", "max_error_rate"}).items():
        out[f"synth.{key}"] = value
    for name, path in inputs.items():
        out[f"input.{name}"] = file_sha256(path) if Path(path).is_file() else None
    return out
