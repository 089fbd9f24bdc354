"""MAGNET's multi-turn DPO on TRL's DPOTrainer.

    L = w_sft · L_SFT(τw) + λ · L_mDPO,
    L_mDPO = −log σ(η · (Σ_{τw} log πθ/πref − Σ_{τl} log πθ/πref))

Each side is one whole trajectory; the sums run over the assistant's action tokens only (user turns, system and
tool results are masked). TRL's DPOTrainer already computes the sigmoid loss from per-sequence sums over a
`completion_mask`, and its `sft` loss is the mean NLL of the chosen side over the same mask; what multi-turn needs
is a mask that is not one prompt/completion split but the interleaved action tokens of each trajectory. So the
subclass only feeds it pre-tokenized trajectories and that mask; the loss, the reference model (the adapters
switched off under LoRA, else a frozen copy) and the training loop are TRL's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from toolsynth.train.config import TrainConfig

PAIR_COLUMNS = ["chosen_ids", "chosen_mask", "rejected_ids", "rejected_mask"]


@dataclass
class TrajectoryPairCollator:
    """A batch as DPOTrainer reads it: chosen rows first, then rejected rows, right-padded; `completion_mask` is
    1 on the action tokens of each trajectory."""

    pad_token_id: int

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        import torch
        from trl.trainer.utils import pad

        ids = [e["chosen_ids"] for e in examples] + [e["rejected_ids"] for e in examples]
        masks = [e["chosen_mask"] for e in examples] + [e["rejected_mask"] for e in examples]
        return {
            "input_ids": pad([torch.tensor(x) for x in ids], padding_value=self.pad_token_id),
            "attention_mask": pad([torch.ones(len(x), dtype=torch.long) for x in ids], padding_value=0),
            "completion_mask": pad([torch.tensor(m, dtype=torch.long) for m in masks], padding_value=0),
        }


def _trainer_class() -> type:
    from trl import DPOTrainer

    class MDPOTrainer(DPOTrainer):  # type: ignore[misc,valid-type]
        def _prepare_dataset(self, dataset: Any, processing_class: Any, args: Any, dataset_name: str) -> Any:
            missing = [c for c in PAIR_COLUMNS if c not in dataset.column_names]
            if missing:
                raise ValueError(f"the {dataset_name} dataset lacks {missing}: build it with pair_rows()")
            return dataset  # already tokenized with per-token action masks

        def _set_signature_columns_if_needed(self) -> None:
            if self._signature_columns is None:
                self._signature_columns = list(PAIR_COLUMNS)

    return MDPOTrainer


def dpo_args(cfg: TrainConfig, output_dir: str, *, use_cpu: bool) -> Any:
    from trl import DPOConfig

    from toolsynth.train.sft import trainer_settings

    return DPOConfig(
        **trainer_settings(cfg, output_dir, use_cpu=use_cpu),
        beta=cfg.mdpo.eta,
        loss_type=["sigmoid", "sft"],
        loss_weights=[cfg.mdpo.mdpo_weight, cfg.mdpo.sft_weight],
        remove_unused_columns=True,
    )


def build_trainer(
    model: Any,
    tokenizer: Any,
    rows: list[dict[str, Any]],
    cfg: TrainConfig,
    output_dir: str,
    *,
    ref_model: Any = None,
    peft_config: Any = None,
    use_cpu: bool = True,
) -> Any:
    import datasets

    return _trainer_class()(
        model=model,
        ref_model=ref_model,
        args=dpo_args(cfg, output_dir, use_cpu=use_cpu),
        data_collator=TrajectoryPairCollator(tokenizer.pad_token_id),
        train_dataset=datasets.Dataset.from_list(rows),
        processing_class=tokenizer,
        peft_config=peft_config,
    )
