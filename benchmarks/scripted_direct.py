"""Run the `toolsynth` CLI with the model answered in-process: the scripted test model's hint-following rules behind
the gateway's direct transport (no HTTP, no litellm), so a benchmark measures toolsynth's own cost per dialog.

    python benchmarks/scripted_direct.py synthesize plans.jsonl -o dialogs.jsonl --recipe bench.yaml

The recipe must name an `openai/...` model with an `api_base` and `transport: direct` (`bench_recipe()` writes
one); the api_base is never contacted. `SCRIPTED_DIRECT_DELAY` (seconds) makes every answer wait that long
(asyncio.sleep: a fixed-delay server without the sockets). The scripted model's call log (a test aid that keeps
every request) is switched off, so it does not grow the process.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "synth"))


class _NoLog(list):
    def append(self, _item: object) -> None:
        pass


def bench_recipe(path: Path, concurrency: int = 32) -> Path:
    path.write_text(
        "strategy: magnet\ncatalog: .\nllm:\n  model: openai/bench\n  api_base: http://127.0.0.1:9/v1\n"
        f"  transport: direct\n  cache: false\n  max_retries: 0\n  concurrency: {concurrency}\n"
    )
    return path


def install(delay: float = 0.0) -> None:
    from bfcl_plan_fixtures import install_good_model

    from toolsynth.llm import transport
    from toolsynth.testing.scripted import ScriptedModel, ScriptedRequest

    install_good_model()
    ScriptedModel.calls = _NoLog()

    async def complete(self: object, req: transport.Request) -> dict:
        if delay:
            await asyncio.sleep(delay)
        rf = req.params.get("response_format") or {}
        schema = (rf.get("json_schema") or {}).get("schema") if isinstance(rf, dict) else None
        params = {k: v for k, v in req.params.items() if k != "response_format"}
        reply = ScriptedModel.answer(
            ScriptedRequest("scripted/bench", req.messages, req.tools, schema, params)
        )
        content = json.dumps(reply["json"]) if "json" in reply else reply.get("content")
        calls = [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": c["name"], "arguments": json.dumps(c.get("arguments", {}))},
            }
            for i, c in enumerate(reply.get("tool_calls") or [])
        ]
        usage = {"prompt_tokens": 12, "completion_tokens": 1}
        finish = "tool_calls" if calls else "stop"
        return transport._normalize(content, calls or None, usage, finish, req.model, call_seed=req.key)

    transport.DirectTransport.complete = complete  # type: ignore[method-assign]


def main() -> None:
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-not-a-real-key")
    install(float(os.environ.get("SCRIPTED_DIRECT_DELAY", "0") or 0))
    from toolsynth.cli import main as cli

    sys.argv = ["toolsynth", *sys.argv[1:]]
    cli()


if __name__ == "__main__":
    main()
