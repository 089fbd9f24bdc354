"""`make_backend`: a backend for one dialog from its spec, through the built-in kinds and the plug-in registry.

A module apart from `base.py` because it names the concrete backends (imported on demand) while they import
`base.py`: the factory sits above them, never between them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from toolsynth.catalog.model import Tool
from toolsynth.errors import InputError
from toolsynth.synth.backends.base import Backend, normalize_spec

BackendFactory = Callable[[dict[str, Any], list[Tool]], Backend]
_REGISTRY: dict[str, BackendFactory] = {}


def register_backend(kind: str, factory: BackendFactory) -> None:
    """Plug-in hook: `make_backend({"kind": kind, ...}, tools)` calls `factory(spec, tools)`."""
    _REGISTRY[kind] = factory


_BUILTIN_KINDS = frozenset({"bfcl", "python", "simulated"})


def _builtin(kind: str) -> BackendFactory | None:
    # Imported on demand: the BFCL classes and user modules are only loaded when a dialog needs them.
    if kind == "bfcl":
        from toolsynth.integrations.bfcl.backend import BFCLBackend

        return BFCLBackend.from_spec
    if kind == "python":
        from toolsynth.synth.backends.python_module import PythonModuleBackend

        return PythonModuleBackend.from_spec
    if kind == "simulated":
        try:
            from toolsynth.synth.backends.simulated import SimulatedBackend  # type: ignore[attr-defined]
        except ImportError:
            return None
        return SimulatedBackend.from_spec  # type: ignore[no-any-return]
    return None


def make_backend(
    spec: dict[str, Any] | str | None, tools: Iterable[Tool], *, trusted: bool = False
) -> Backend | None:
    """A fresh backend for one dialog, started from the spec's initial state; None when the spec names none.

    `tools` are the tools offered in the dialog (sanitized names); backends use them to map names to code and to
    validate arguments against the JSON Schema before calling anything.

    `trusted`: the spec comes from the user (command line, recipe), not from a data record. Untrusted specs may only
    name the allow-listed kinds (`trust.DATA_KINDS`); anything else raises before any module is imported.
    """
    norm = normalize_spec(spec)
    if norm is None:
        return None
    kind = norm["kind"]
    if kind not in _REGISTRY and kind not in _BUILTIN_KINDS:
        known = sorted({"bfcl", "python:<module>", "simulated", *_REGISTRY})
        raise InputError(f"unknown backend kind {kind!r} (known: {', '.join(known)})", where="backend")
    if not trusted:
        from toolsynth.synth.backends.trust import require_data_safe

        require_data_safe(norm)  # before `_builtin` imports anything
    factory = _REGISTRY.get(kind) or _builtin(kind)
    if factory is None:
        raise InputError(f"backend kind {kind!r} is not available in this installation", where="backend")
    return factory(norm, list(tools))
