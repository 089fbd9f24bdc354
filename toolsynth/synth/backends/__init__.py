"""Tool execution backends: real BFCL classes, user Python modules, LLM-simulated results (see `base.py`)."""

from toolsynth.synth.backends.base import Backend, ExecResult, normalize_spec, validate_arguments
from toolsynth.synth.backends.registry import make_backend, register_backend

__all__ = [
    "Backend",
    "ExecResult",
    "make_backend",
    "normalize_spec",
    "register_backend",
    "validate_arguments",
]
