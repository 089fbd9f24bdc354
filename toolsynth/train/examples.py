"""Tokenized training examples: what is kept, and what is left out and why (never cut mid-dialog)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolsynth.train.data import Conversation, TrajectoryPair
from toolsynth.train.render import encode


@dataclass
class Prepared:
    rows: list[dict[str, Any]]
    dropped_too_long: list[str] = field(default_factory=list)


def sft_rows(tokenizer: Any, convs: list[Conversation], max_length: int) -> Prepared:
    out = Prepared(rows=[])
    for c in convs:
        enc = encode(tokenizer, c.messages, c.tools)
        if len(enc) > max_length:
            out.dropped_too_long.append(c.source)
            continue
        out.rows.append({"input_ids": enc.input_ids, "assistant_masks": enc.action_mask})
    return out


def pair_rows(tokenizer: Any, pairs: list[TrajectoryPair], max_length: int) -> Prepared:
    out = Prepared(rows=[])
    for p in pairs:
        w = encode(tokenizer, p.chosen, p.tools)
        lo = encode(tokenizer, p.rejected, p.tools)
        if max(len(w), len(lo)) > max_length:
            # a cut trajectory would drop actions from one side's sum only and bias the margin
            out.dropped_too_long.append(p.source)
            continue
        out.rows.append(
            {
                "chosen_ids": w.input_ids,
                "chosen_mask": w.action_mask,
                "rejected_ids": lo.input_ids,
                "rejected_mask": lo.action_mask,
            }
        )
    return out
