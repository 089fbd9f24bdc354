"""mDPO and SFT on a tiny randomly initialised Llama: the trainer's loss equals a direct computation on a hand-made
pair, masked tokens (system, user, tool) get no gradient, an SFT step runs and learns only the actions."""

from __future__ import annotations

import pytest
from pairs import mdpo_record, sft_record
from tiny_model import tiny_model, tiny_tokenizer

from toolsynth.train.config import LoraSettings, TrainConfig
from toolsynth.train.data import TrajectoryPair, parse_message, parse_tools
from toolsynth.train.examples import pair_rows, sft_rows

torch = pytest.importorskip("torch")


def _pair() -> TrajectoryPair:
    rec = mdpo_record()
    return TrajectoryPair(
        id="p",
        tools=parse_tools(rec["tools"], "t"),
        chosen=[parse_message(m, "c", flags=True) for m in rec["chosen"]],
        rejected=[parse_message(m, "r", flags=True) for m in rec["rejected"]],
    )


def _cfg(**kw) -> TrainConfig:
    cfg = TrainConfig(model="unused", lora=LoraSettings(enabled=False), **kw)
    cfg.mdpo.eta = 0.5
    cfg.mdpo.mdpo_weight = 0.7
    return cfg


def _action_logps(model, ids: list[int], mask: list[int]):
    """log π of each action token, straight from the logits (no TRL code)."""
    x = torch.tensor([ids])
    logits = model(input_ids=x).logits[0, :-1].float()
    lp = torch.log_softmax(logits, -1).gather(-1, x[0, 1:, None])[:, 0]
    keep = torch.tensor(mask[1:]).bool()
    return lp[keep]


def _direct_loss(policy, ref, row, cfg, ref_ctx=None):
    import contextlib

    w = _action_logps(policy, row["chosen_ids"], row["chosen_mask"])
    lo = _action_logps(policy, row["rejected_ids"], row["rejected_mask"])
    with torch.no_grad(), ref_ctx or contextlib.nullcontext():
        w_ref = _action_logps(ref, row["chosen_ids"], row["chosen_mask"]).sum()
        lo_ref = _action_logps(ref, row["rejected_ids"], row["rejected_mask"]).sum()
    margin = (w.sum() - w_ref) - (lo.sum() - lo_ref)
    mdpo = -torch.nn.functional.logsigmoid(cfg.mdpo.eta * margin)
    return cfg.mdpo.sft_weight * (-w.mean()) + cfg.mdpo.mdpo_weight * mdpo, margin


def test_mdpo_loss_equals_direct_computation(tmp_path):
    from toolsynth.train import mdpo

    tok = tiny_tokenizer()
    policy, ref = tiny_model(len(tok), seed=0), tiny_model(len(tok), seed=1)
    cfg = _cfg()
    row = pair_rows(tok, [_pair()], 4096).rows[0]
    assert sum(row["chosen_mask"]) > 0 and sum(row["rejected_mask"]) > 0
    trainer = mdpo.build_trainer(policy, tok, [row], cfg, str(tmp_path), ref_model=ref)
    got = trainer.compute_loss(trainer.model, trainer.data_collator([row]))
    want, margin = _direct_loss(policy, ref, row, cfg)
    assert abs(float(margin)) > 1e-3  # two different models: the mDPO term is not the trivial log 2
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_mdpo_under_lora_compares_with_the_base_model(tmp_path):
    from toolsynth.train import mdpo
    from toolsynth.train.model import lora_config

    tok = tiny_tokenizer()
    cfg = _cfg()
    row = pair_rows(tok, [_pair()], 4096).rows[0]
    trainer = mdpo.build_trainer(
        tiny_model(len(tok)), tok, [row], cfg, str(tmp_path), peft_config=lora_config(LoraSettings(r=4))
    )
    model = trainer.model
    with torch.no_grad():  # a trained adapter: B = 0 at init would make policy and reference equal
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)
    got = trainer.compute_loss(model, trainer.data_collator([row]))
    want, margin = _direct_loss(model, model, row, cfg, ref_ctx=model.disable_adapter())
    assert abs(float(margin)) > 1e-3
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_masked_tokens_get_no_gradient(tmp_path):
    """The gradient reaching the final hidden state at position t comes only from the prediction of token t+1:
    it is zero exactly where token t+1 is context (system, user, tool, role headers)."""
    from toolsynth.train import mdpo

    tok = tiny_tokenizer()
    policy, ref = tiny_model(len(tok), seed=0), tiny_model(len(tok), seed=1)
    row = pair_rows(tok, [_pair()], 4096).rows[0]
    trainer = mdpo.build_trainer(policy, tok, [row], _cfg(), str(tmp_path), ref_model=ref)
    batch = trainer.data_collator([row])
    seen = {}

    def keep(_module, _inp, out):
        out.retain_grad()
        seen["h"] = out

    handle = trainer.model.model.norm.register_forward_hook(keep)
    try:
        trainer.compute_loss(trainer.model, batch).backward()
    finally:
        handle.remove()
    grad = seen["h"].grad.abs().sum(-1)  # [2 (chosen, rejected), seq]
    for side, (ids, mask) in enumerate([("chosen_ids", "chosen_mask"), ("rejected_ids", "rejected_mask")]):
        target_is_action = torch.tensor(row[mask][1:] + [0])
        target_is_action[len(row[ids]) - 1 :] = 0
        g = grad[side, : len(row[ids])]
        assert torch.all(g[target_is_action[: len(g)] == 0] == 0), "a context token's prediction got gradient"
        assert torch.all(g[target_is_action[: len(g)] == 1] > 0)


def test_sft_step_runs_and_learns_only_the_actions(tmp_path):
    from toolsynth.train import sft
    from toolsynth.train.data import Conversation
    from toolsynth.train.model import lora_config

    tok = tiny_tokenizer()
    rec = sft_record()
    conv = Conversation(
        messages=[parse_message(m, "m", flags=False) for m in rec["messages"]],
        tools=parse_tools(rec["tools"], "t"),
    )
    rows = sft_rows(tok, [conv], 4096).rows
    cfg = TrainConfig(model="unused", max_steps=3, learning_rate=1e-2, lora=LoraSettings(r=4))
    trainer = sft.build_trainer(
        tiny_model(len(tok)), tok, rows, cfg, str(tmp_path), peft_config=lora_config(cfg.lora)
    )
    labels = trainer.train_dataset[0]["labels"]
    ids, mask = rows[0]["input_ids"], rows[0]["assistant_masks"]
    assert labels == [i if m else -100 for i, m in zip(ids, mask, strict=True)]
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if p.requires_grad}
    assert before and all("lora" in n for n in before)  # LoRA by default: the base stays frozen
    result = trainer.train()
    assert result.global_step == 3 and torch.isfinite(torch.tensor(result.training_loss))
    changed = [
        n for n, p in trainer.model.named_parameters() if n in before and not torch.equal(p, before[n])
    ]
    assert changed
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    assert losses[-1] < losses[0]  # lr 1e-2 on one dialog: the action tokens get likelier
