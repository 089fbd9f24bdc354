"""Every prompt toolsynth sends, by id. Stages look their prompts up here at call time, so an override (a
replacement registered under the same id) reaches them, and its content hash reaches the manifests."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from toolsynth.prompts import catalogue
from toolsynth.prompts.base import Prompt

_PROMPTS: dict[str, Prompt] = {}
_DEFAULTS: dict[str, Prompt] = {}


def register(prompt: Prompt) -> Prompt:
    """Add a prompt of your own (once per id: a second definition is a bug)."""
    if prompt.id in _DEFAULTS:
        raise ValueError(f"prompt {prompt.id!r} is defined twice")
    _DEFAULTS[prompt.id] = _PROMPTS[prompt.id] = prompt
    return prompt


def get(prompt_id: str) -> Prompt:
    try:
        return _PROMPTS[prompt_id]
    except KeyError:
        raise KeyError(f"no prompt {prompt_id!r} (known: {', '.join(sorted(_PROMPTS))})") from None


def override(prompt_id: str, **changes: Any) -> Prompt:
    """Replace a prompt's texts (`template`, `system`, `parts`: all of them, or a dict of some parts to change)
    for this process. An override must say what it is: give it a `version` of its own, else the default's
    version + 1000 marks it. Parsers and schemas stay the default's unless given."""
    base = get(prompt_id)
    parts = changes.pop("parts", None)
    if parts is not None:
        unknown = set(parts) - set(base.parts)
        if unknown:
            raise KeyError(f"prompt {prompt_id!r} has no parts {sorted(unknown)}")
        changes["parts"] = {**base.parts, **parts}
    changes.setdefault("version", base.version + 1000)
    new = dataclasses.replace(base, **changes)
    _PROMPTS[prompt_id] = new
    return new


def restore(prompt_id: str | None = None) -> None:
    """Back to the default of `prompt_id` (of every prompt with None)."""
    for pid in [prompt_id] if prompt_id else list(_DEFAULTS):
        _PROMPTS[pid] = _DEFAULTS[pid]


@contextmanager
def overridden(prompt_id: str, **changes: Any) -> Iterator[Prompt]:
    previous = get(prompt_id)
    try:
        yield override(prompt_id, **changes)
    finally:
        _PROMPTS[prompt_id] = previous


def all_prompts() -> list[Prompt]:
    return [_PROMPTS[k] for k in sorted(_PROMPTS)]


def manifest_entry(ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """`{id: {"version", "sha256"}}` of the prompts a stage sends, for its manifest."""
    return {pid: {"version": get(pid).version, "sha256": get(pid).digest} for pid in sorted(set(ids))}


def digest(ids: Iterable[str]) -> str:
    """One hash over the prompts `ids` (what a resume fingerprint keeps)."""
    h = hashlib.sha256()
    for pid, entry in manifest_entry(ids).items():
        h.update(f"{pid}\0{entry['version']}\0{entry['sha256']}\0".encode())
    return h.hexdigest()[:16]


for _prompt in catalogue.DEFAULTS:
    register(_prompt)


def stage_prompts(stage: str) -> dict[str, dict[str, Any]]:
    """The manifest entry of every prompt `stage` may send (`catalogue.STAGES`)."""
    return manifest_entry(catalogue.STAGES[stage])


def stage_digest(stage: str) -> str:
    return digest(catalogue.STAGES[stage])
