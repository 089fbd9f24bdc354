"""SFT on the `trl-sft` export with TRL's SFTTrainer: the dialogs are tokenized here (toolsynth.train.render) and
handed over with `assistant_masks`, from which TRL builds the labels; only the assistant's actions are learned."""

from __future__ import annotations

from typing import Any

from toolsynth.train.config import TrainConfig


def sft_args(cfg: TrainConfig, output_dir: str, *, use_cpu: bool) -> Any:
    from trl import SFTConfig

    return SFTConfig(**trainer_settings(cfg, output_dir, use_cpu=use_cpu), dataset_num_proc=None)


def trainer_settings(cfg: TrainConfig, output_dir: str, *, use_cpu: bool) -> dict[str, Any]:
    """The TrainingArguments both trainers share (SFT and mDPO read the same `train:` recipe section)."""
    return {
        "output_dir": output_dir,
        "learning_rate": cfg.learning_rate,
        "num_train_epochs": cfg.epochs,
        "max_steps": cfg.max_steps,
        "per_device_train_batch_size": cfg.batch_size,
        "gradient_accumulation_steps": cfg.gradient_accumulation,
        "max_length": None,  # over-long records are left out before, never truncated here
        "seed": cfg.seed,
        "gradient_checkpointing": cfg.gradient_checkpointing,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": [],
        "use_cpu": use_cpu,
        "bf16": False,
        "disable_tqdm": True,
    }


def build_trainer(
    model: Any,
    tokenizer: Any,
    rows: list[dict[str, Any]],
    cfg: TrainConfig,
    output_dir: str,
    *,
    peft_config: Any = None,
    use_cpu: bool = True,
) -> Any:
    import datasets
    from trl import SFTTrainer

    return SFTTrainer(
        model=model,
        args=sft_args(cfg, output_dir, use_cpu=use_cpu),
        train_dataset=datasets.Dataset.from_list(rows),
        processing_class=tokenizer,
        peft_config=peft_config,
    )
