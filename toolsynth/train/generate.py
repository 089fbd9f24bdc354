"""Greedy generation with a local model directory, for the downstream evaluation (prompted in the format the
model was trained on: toolsynth.train.render).

On a CPU the prompt dominates: the system message with the tool schemas is ~3k tokens and every step of every
entry repeats it (BFCL entries of the same classes share it across categories). Its key/value cache is computed
once per distinct system message and copied for each generation, so a step only pays for the dialog after it.
The system segment is tokenized on its own, exactly as training tokenizes it (message by message).
"""

from __future__ import annotations

import copy
import inspect
import os
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any

from toolsynth.train.render import END


class LocalGenerator:
    def __init__(
        self,
        model_dir: Path,
        *,
        max_new_tokens: int = 128,
        int8: bool = True,
        threads: int | None = None,
        prefix_slots: int = 4,
    ):
        import torch
        import transformers

        transformers.utils.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        torch.set_num_threads(threads or min(4, os.cpu_count() or 1))
        self.torch = torch
        self.tok = transformers.AutoTokenizer.from_pretrained(model_dir)
        model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        if int8 and self.device == "cpu":
            # the same int8 dynamic quantization the offline engine runs with (~2x tokens/s on CPU)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        self.model = model.to(self.device)
        # transformers renamed `past_key_values` to `cache` in 5.x; accept either (as toolsynth.llm.local does).
        self._cache_kw = (
            "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
        )
        self.max_new_tokens = max_new_tokens
        self.context = int(getattr(model.config, "max_position_embeddings", 8192) or 8192)
        end = self.tok.convert_tokens_to_ids(END)
        self.stop = {i for i in (end, self.tok.eos_token_id) if isinstance(i, int) and i >= 0}
        self._prefixes: OrderedDict[str, Any] = OrderedDict()
        self._slots = prefix_slots
        self.new_tokens = 0

    def count_tokens(self, text: str) -> int:
        return len(self.tok(text, add_special_tokens=False)["input_ids"]) + self.max_new_tokens

    def _ids(self, text: str) -> Any:
        return self.tok(text, add_special_tokens=False, return_tensors="pt")["input_ids"].to(self.device)

    def _step(self, ids: Any, cache: Any) -> tuple[Any, Any]:
        out = self.model(input_ids=ids, use_cache=True, logits_to_keep=1, **{self._cache_kw: cache})
        new_cache = getattr(out, "cache", None)
        if new_cache is None:
            new_cache = getattr(out, "past_key_values", None)
        return out.logits[0, -1], new_cache

    def _prefix_cache(self, prefix: str) -> Any:
        cache = self._prefixes.get(prefix)
        if cache is None:
            _, cache = self._step(self._ids(prefix), None)
            self._prefixes[prefix] = cache
            if len(self._prefixes) > self._slots:
                self._prefixes.popitem(last=False)
        self._prefixes.move_to_end(prefix)
        return copy.deepcopy(cache)

    def __call__(self, prompt: str) -> str:
        torch = self.torch
        head, sep, rest = prompt.partition(END + "\n")
        out: list[int] = []
        with torch.inference_mode():
            if sep and rest:
                logits, cache = self._step(self._ids(rest), self._prefix_cache(head + sep))
            else:
                logits, cache = self._step(self._ids(prompt), None)
            for _ in range(self.max_new_tokens):
                nxt = int(torch.argmax(logits))
                if nxt in self.stop:
                    break
                out.append(nxt)
                logits, cache = self._step(torch.tensor([[nxt]], device=self.device), cache)
        self.new_tokens += len(out)
        return self.tok.decode(out, skip_special_tokens=True)
