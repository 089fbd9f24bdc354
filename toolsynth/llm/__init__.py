"""The one way to call a language model: litellm underneath, with concurrency, retries, cache, structured output and accounting.

Nothing heavy is imported here: litellm, torch and transformers load on first use.
"""

import os

# OpenMP threads that spin while waiting steal the CPU from every other process (and from our own event loop);
# this must be in the environment before torch initialises its thread pool, so set it as early as we can.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__all__ = ["ModelClient", "ModelGateway", "make_gateway"]


def __getattr__(name: str) -> object:
    # `toolsynth.llm.make_gateway` and the protocol types, loaded on first use so importing the package stays free.
    if name == "make_gateway":
        from toolsynth.llm.factory import make_gateway

        return make_gateway
    if name in ("ModelClient", "ModelGateway"):
        from toolsynth.llm import protocol

        return getattr(protocol, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
