"""Train stage: fine-tune a local model on the `trl-sft` or `mdpo` export (TRL + peft, the `train` extra)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from toolsynth.train.config import TrainConfig


@dataclass(frozen=True)
class TrainResult:
    mode: Literal["sft", "mdpo"]
    summary: dict[str, Any]  # examples, steps, first/last loss, seconds, device, model (also train.json)

    @property
    def model_dir(self) -> Path:
        return Path(self.summary["model"])

    def to_json(self) -> dict[str, Any]:
        return self.summary


def train(mode: Literal["sft", "mdpo"], data: Path, output: Path, cfg: TrainConfig) -> TrainResult:
    """Train on `data` (OUTDIR/trl-sft/train.jsonl or OUTDIR/mdpo/train.jsonl) into `output` (model/, train.json).
    A broken file or model path is reported before the slow imports; a missing extra is a one-line error."""
    from toolsynth.errors import ToolsynthError
    from toolsynth.train.run import read
    from toolsynth.train.run import train as run_training

    records = read(mode, data)
    if not cfg.model.startswith("local/"):
        from toolsynth.train.model import resolve_model_dir

        resolve_model_dir(cfg.model)
    try:
        import peft  # noqa: F401
        import trl  # noqa: F401
    except ImportError as exc:
        raise ToolsynthError(
            f"`toolsynth train` needs the train extra ({exc.name} is missing): pip install 'toolsynth[train]'"
        ) from exc
    return TrainResult(mode, run_training(mode, data, output, cfg, records))
