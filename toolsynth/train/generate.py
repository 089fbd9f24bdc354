"""Greedy generation with a local model directory, for the downstream evaluation (prompted in the format the
model was trained on: toolsynth.train.render)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any


class LocalGenerator:
    def __init__(
        self, model_dir: Path, *, max_new_tokens: int = 128, int8: bool = True, threads: int | None = None
    ):
        import torch
        import transformers

        transformers.utils.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        torch.set_num_threads(threads or min(4, os.cpu_count() or 1))
        self.torch = torch
        self.tok = transformers.AutoTokenizer.from_pretrained(model_dir)
        model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
        if int8 and not torch.cuda.is_available():
            # the same int8 dynamic quantization the offline engine runs with (~2x tokens/s on CPU)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        elif torch.cuda.is_available():
            model = model.to("cuda")
        self.model = model
        self.max_new_tokens = max_new_tokens
        self.context = int(getattr(model.config, "max_position_embeddings", 8192) or 8192)
        end = self.tok.convert_tokens_to_ids("<|im_end|>")
        self.stop = [i for i in {end, self.tok.eos_token_id} if isinstance(i, int) and i >= 0]
        self.new_tokens = 0

    def count_tokens(self, text: str) -> int:
        return len(self.tok(text, add_special_tokens=False)["input_ids"]) + self.max_new_tokens

    def __call__(self, prompt: str) -> str:
        torch = self.torch
        ids = self.tok(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"].to(
            self.model.device
        )
        with torch.inference_mode():
            out: Any = self.model.generate(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                eos_token_id=self.stop,
                pad_token_id=self.tok.pad_token_id if self.tok.pad_token_id is not None else self.stop[0],
            )
        new = out[0, ids.shape[1] :]
        self.new_tokens += int(new.shape[0])
        return self.tok.decode(new, skip_special_tokens=True)
