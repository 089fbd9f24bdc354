"""The one way to call a language model: litellm underneath, with concurrency, retries, cache, structured output and accounting.

Nothing heavy is imported here: litellm, torch and transformers load on first use.
"""

import os

# OpenMP threads that spin while waiting steal the CPU from every other process (and from our own event loop);
# this must be in the environment before torch initialises its thread pool, so set it as early as we can.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
