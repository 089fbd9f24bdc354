"""The embedding model as an ONNX graph run by onnxruntime: the fast path of `Embedder` (graph.embedding.backend).

Made locally from the weights already on disk, never downloaded: the sentence-transformers directory's transformer
is exported once with `torch.onnx.export` (`model.onnx`, the same vectors as PyTorch to ~1e-6) and a copy with its
matrix weights quantized to int8 (`onnxruntime.quantization.quantize_dynamic`, `model_int8.onnx`), both kept under the user cache (`$TOOLSYNTH_CACHE_HOME/onnx/<model>-<hash>/`, keyed by
the weights' size and mtime, so new weights make a new export). Pooling and normalization are done here in numpy, as
the model directory's modules say (mean or CLS pooling, then L2). Texts are tokenized once and batched by exact
token length, so no batch computes on padding.

Only models that are a plain transformer + pooling (+ normalize) are supported; `supported()` says why not for the
others, and the caller falls back to the PyTorch path. Needs the `fast` extra (onnxruntime, onnx).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from toolsynth.console import log

_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"
EXPORT_VERSION = 3  # bump when the export recipe changes, so old exports are not reused


def available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "onnx"))


def _modules(model_dir: Path) -> list[dict[str, Any]]:
    try:
        return json.loads((model_dir / "modules.json").read_text())
    except (OSError, ValueError):
        return []


def supported(model_dir: str | Path) -> str | None:
    """None when the model can run here, else the reason it cannot."""
    d = Path(model_dir)
    if not d.is_dir():
        return "not a local model directory"
    mods = _modules(d)
    kinds = [m.get("type") for m in mods]
    if not kinds or kinds[0] != _TRANSFORMER or _POOLING not in kinds:
        return "not a plain transformer + pooling model"
    if any(k not in (_TRANSFORMER, _POOLING, _NORMALIZE) for k in kinds) or kinds.count(_TRANSFORMER) != 1:
        return f"has modules this path does not run ({', '.join(str(k) for k in kinds)})"
    pool = _pooling_mode(d, mods)
    if pool is None:
        return "its pooling is neither mean nor CLS"
    return None


def _pooling_mode(d: Path, mods: list[dict[str, Any]]) -> str | None:
    pm = next(m for m in mods if m.get("type") == _POOLING)
    try:
        cfg = json.loads((d / pm.get("path", "") / "config.json").read_text())
    except (OSError, ValueError):
        return None
    on = [k for k, v in cfg.items() if k.startswith("pooling_mode_") and v]
    if on == ["pooling_mode_mean_tokens"]:
        return "mean"
    if on == ["pooling_mode_cls_token"]:
        return "cls"
    return None


def _export_dir(model_dir: Path, cache_root: Path) -> Path:
    weights = sorted(p for p in model_dir.iterdir() if p.suffix in (".safetensors", ".bin"))
    h = hashlib.sha256(f"v{EXPORT_VERSION}:{model_dir.resolve()}".encode())
    for w in weights:
        st = w.stat()
        h.update(f"{w.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return cache_root / "onnx" / f"{model_dir.name}-{h.hexdigest()[:12]}"


def export(model_dir: Path, out_dir: Path, quantized: bool) -> Path:
    """Export the transformer to ONNX (`model.onnx`) and a copy with int8 weights (`model_int8.onnx`); returns
    the one asked for."""
    final = out_dir / ("model_int8.onnx" if quantized else "model.onnx")
    if final.exists():
        return final
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    out_dir.mkdir(parents=True, exist_ok=True)
    log.info("exporting %s to ONNX, fp32 and int8 (once; kept in %s)", model_dir, out_dir)
    inner = AutoModel.from_pretrained(str(model_dir)).eval()

    class _Hidden(torch.nn.Module):
        # Keyword arguments: transformers' forward signatures differ in positional order between versions.
        def __init__(self) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    model = _Hidden().eval()
    names = ["input_ids", "attention_mask", "token_type_ids"]
    dummy = tuple(torch.ones((2, 8), dtype=torch.long) for _ in names)
    axes = {n: {0: "batch", 1: "seq"} for n in [*names, "last_hidden_state"]}
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        fp32 = Path(tmp) / "model.onnx"
        with torch.no_grad():
            torch.onnx.export(
                model,
                dummy,
                str(fp32),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        staged = Path(tmp) / "model_int8.onnx.tmp"
        # Only the matrix products, per output channel: quantizing the embedding tables (Gather) too costs
        # accuracy for no speed.
        quantize_dynamic(
            str(fp32),
            str(staged),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
        # Both files are kept, each under its own name (atomic: a concurrent or killed export never leaves half a
        # file); the fp32 one must never be the int8 weights under the fp32 name.
        os.replace(staged, out_dir / "model_int8.onnx")
        os.replace(fp32, out_dir / "model.onnx")
    return final


class OnnxEncoder:
    """`encode(texts)` → L2-normalized float32 rows, like `SentenceTransformer.encode(normalize_embeddings=True)`."""

    def __init__(
        self, model_dir: str | Path, cache_root: Path, quantized: bool = False, threads: int | None = None
    ) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        self.dir = Path(model_dir)
        mods = _modules(self.dir)
        self.pooling = _pooling_mode(self.dir, mods)
        try:
            sb = json.loads((self.dir / "sentence_bert_config.json").read_text())
        except (OSError, ValueError):
            sb = {}
        self.max_len = int(sb.get("max_seq_length") or 512)
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.dir))
        path = export(self.dir, _export_dir(self.dir, cache_root), quantized)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or (os.cpu_count() or 1)
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}

    def get_embedding_dimension(self) -> int:
        return int(
            self.session.get_outputs()[0].shape[-1]
            or json.loads((self.dir / "config.json").read_text())["hidden_size"]
        )

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        enc = self.tokenizer(texts, truncation=True, max_length=self.max_len, padding=False)
        ids: list[list[int]] = enc["input_ids"]
        types: list[list[int]] = enc.get("token_type_ids") or [[0] * len(x) for x in ids]
        # Batches hold texts of one token length: no padding, so no compute on pad tokens and an all-ones
        # attention mask (the traced graph's masking is only exact for that).
        by_len: dict[int, list[int]] = {}
        for i, x in enumerate(ids):
            by_len.setdefault(len(x), []).append(i)
        out: np.ndarray | None = None
        for length in sorted(by_len):
            group = by_len[length]
            for start in range(0, len(group), batch_size):
                rows = group[start : start + batch_size]
                input_ids = np.asarray([ids[i] for i in rows], dtype=np.int64)
                feed = {
                    "input_ids": input_ids,
                    "attention_mask": np.ones_like(input_ids),
                    "token_type_ids": np.asarray([types[i] for i in rows], dtype=np.int64),
                }
                hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
                vecs = hidden[:, 0, :] if self.pooling == "cls" else hidden.mean(axis=1)
                # The embedder always asks for unit vectors (cosine = inner product in FAISS).
                vecs = vecs / np.clip(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12, None)
                if out is None:
                    out = np.empty((len(texts), vecs.shape[1]), dtype=np.float32)
                out[rows] = vecs
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)
