"""`toolsynth train sft|mdpo` as library calls: read and check the data first (cheap, before any model loads),
then load the model, tokenize, train with TRL, save the merged model and a summary."""

from __future__ import annotations

import logging
import os
import time
import warnings
from pathlib import Path
from typing import Any, Literal

import orjson

from toolsynth import __version__
from toolsynth.artifacts import atomic_write_bytes, file_sha256
from toolsynth.errors import InputError
from toolsynth.train.config import TrainConfig
from toolsynth.train.data import read_mdpo, read_sft

Mode = Literal["sft", "mdpo"]
log = logging.getLogger("toolsynth")


def _quiet() -> None:
    """stdout carries only the result: no progress bars from datasets/transformers, their deprecation chatter off."""
    import datasets
    import transformers

    datasets.disable_progress_bars()
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"transformers\..*")


def _log_to_stderr(trainer: Any) -> None:
    """Trainer prints its log dicts on stdout (PrinterCallback): route them to the log (stderr) instead."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback, TrainerCallback

    class StepLog(TrainerCallback):  # type: ignore[misc]
        def on_log(
            self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **_: Any
        ) -> None:
            if logs and "loss" in logs:
                log.info("step %d/%d: loss %.4f", state.global_step, state.max_steps, float(logs["loss"]))

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(StepLog())


def _device_is_cpu() -> bool:
    import torch

    return not torch.cuda.is_available()


def read(mode: Mode, data: Path) -> list[Any]:
    return read_sft(data) if mode == "sft" else read_mdpo(data)


def train(
    mode: Mode, data: Path, out: Path, cfg: TrainConfig, records: list[Any] | None = None
) -> dict[str, Any]:
    if records is None:
        records = read(mode, data)  # bad data fails before any model loads
    t0 = time.perf_counter()
    _quiet()
    from toolsynth.train import examples
    from toolsynth.train import model as model_io

    model_dir = model_io.resolve_model_dir(cfg.model)
    model, tok = model_io.load(model_dir)
    prep = (
        examples.sft_rows(tok, records, cfg.max_length)
        if mode == "sft"
        else examples.pair_rows(tok, records, cfg.max_length)
    )
    if not prep.rows:
        raise InputError(
            f"every record is longer than train.max_length={cfg.max_length} tokens", where=str(data)
        )
    import transformers

    transformers.set_seed(cfg.seed)
    peft_config = model_io.lora_config(cfg.lora)
    work = out / ".checkpoints"
    use_cpu = _device_is_cpu()
    if mode == "sft":
        from toolsynth.train import sft

        trainer = sft.build_trainer(
            model, tok, prep.rows, cfg, str(work), peft_config=peft_config, use_cpu=use_cpu
        )
    else:
        from toolsynth.train import mdpo

        trainer = mdpo.build_trainer(
            model, tok, prep.rows, cfg, str(work), peft_config=peft_config, use_cpu=use_cpu
        )
    _log_to_stderr(trainer)
    result = trainer.train()
    saved = model_io.save_merged(trainer.model, tok, out)
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    summary = {
        "mode": mode,
        "toolsynth_version": __version__,
        "data": {"path": str(data), "sha256": file_sha256(data), "records": len(records)},
        "base_model": {"spec": cfg.model, "path": str(model_dir)},
        "model": str(saved),
        "examples": len(prep.rows),
        "dropped_too_long": prep.dropped_too_long,
        "steps": int(result.global_step),
        "train_loss": float(result.training_loss),
        "first_loss": losses[0] if losses else None,
        "last_loss": losses[-1] if losses else None,
        "seconds": round(time.perf_counter() - t0, 1),
        "device": "cpu" if use_cpu else "cuda",
        "threads": os.cpu_count(),
        "config": cfg.model_dump(mode="json"),
    }
    atomic_write_bytes(out / "train.json", orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    return summary
