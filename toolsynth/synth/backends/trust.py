"""Which backends a data file may choose, and how a user's choice combines with what a record names.

A plan's `backend` and a dialog's `backend_spec` are data: written by a sampler, by another tool, by a stranger.
Data never chooses what code runs, so a spec that comes from a record may only name the allow-listed kinds below:
`bfcl` (whose classes are checked against BFCL's own list of executable classes) and `simulated` (an LLM makes the
results; nothing runs). `python:` modules and plug-in kinds come only from the command line or the recipe; a record
that names one is refused (`UntrustedBackendError`) and never imported.

A user's override may still take the recorded *state* of a same-kind record (a BFCL dialog's `initial_config`), but
never a key that picks code (`module`, `class`, `init`).
"""

from __future__ import annotations

from typing import Any

from toolsynth.errors import InputError

#: Kinds a data record may name. Everything else needs the user's say (`--backend`, `synth.backend`).
DATA_KINDS: frozenset[str] = frozenset({"bfcl", "simulated"})

#: Keys a same-kind override takes from a record: state and the allow-listed class names, never code.
STATE_KEYS: dict[str, tuple[str, ...]] = {
    "bfcl": ("classes", "involved_classes", "initial_config", "long_context"),
    "python": ("initial_config", "state"),
}


class UntrustedBackendError(InputError):
    """A data record named a backend that only the user may choose."""


def spec_label(spec: dict[str, Any]) -> str:
    kind = str(spec.get("kind"))
    if kind == "python":
        return f"python:{spec.get('module')}"
    return kind


def require_data_safe(spec: dict[str, Any] | None, *, where: str = "backend") -> dict[str, Any] | None:
    """`spec` (normalized) when a data record may name it; else `UntrustedBackendError` saying why."""
    if spec is None or spec.get("kind") in DATA_KINDS:
        return spec
    raise UntrustedBackendError(
        f"the record names backend {spec_label(spec)!r}; a data file may only name "
        f"{' or '.join(sorted(DATA_KINDS))}: code to run is chosen on the command line (--backend) or in the "
        "recipe (synth.backend), never by data",
        where=where,
    )


def combine(recorded: dict[str, Any] | None, override: dict[str, Any] | None) -> dict[str, Any] | None:
    """The spec to run: the user's override (keeping the record's state when the kinds agree), else the record's own
    spec when it is data-safe. Both arguments are normalized specs."""
    if override is None:
        return require_data_safe(recorded)
    if recorded is None or recorded.get("kind") != override.get("kind"):
        return override
    keep = STATE_KEYS.get(str(override["kind"]), ())
    state = {k: recorded[k] for k in keep if k in recorded and k not in override}
    return {**override, **state}
