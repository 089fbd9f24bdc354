"""A tiny randomly initialised Llama and a tiny byte-level BPE tokenizer, built locally (no hub), for the
training tests: seconds on a CPU."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SPECIALS = ["<|im_start|>", "<|im_end|>", "<pad>"]
CORPUS = [
    '<|im_start|>system\nYou are an expert in composing functions. <tools>[{"name": "cd"}]</tools>',
    '<tool_call>[{"name": "cd", "arguments": {"folder": "document"}}]</tool_call>',
    '<tool_response>cd: {"current_working_directory": "document"}</tool_response>',
    "Go into the document folder and list what is there. Sure, what name should I use?",
]


def tiny_tokenizer() -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(CORPUS * 4, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<pad>", bos_token=None
    )


def tiny_model(vocab_size: int, seed: int = 0) -> Any:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=False,
    )
    return LlamaForCausalLM(cfg)


def tiny_model_dir(path: Path) -> Path:
    tok = tiny_tokenizer()
    model = tiny_model(len(tok))
    model.config.pad_token_id = tok.pad_token_id
    model.config.eos_token_id = tok.eos_token_id
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path
