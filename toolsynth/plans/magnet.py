"""MAGNET function-signature paths (Yin et al., 2025, §2-3): `FSP = (fs1..fsH)` from a walk, one signature per
turn, then node operations that turn an easy path into the hard multi-turn cases BFCL measures.

Per plan: nested (insert) and parallel (merge) are drawn at the recipe's rates; the category (base / miss_param /
miss_func / long_context) is assigned by the run so the mix meets its targets, and its operation must apply or the
walk is redrawn. No model is involved: values come from the schema or the backend state (`values.py`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from toolsynth.plans.config import PlansConfig
from toolsynth.plans.operations import (
    apply_insert,
    apply_long_context,
    apply_merge,
    apply_missing_function,
    apply_split,
)
from toolsynth.plans.skeleton import SCall, Skeleton, STurn
from toolsynth.plans.walk import Walk, WalkIndex


@dataclass
class Built:
    skeleton: Skeleton
    category_ok: bool
    inserted: bool
    merged: bool


def fsp_from_walk(walk: Walk) -> Skeleton:
    """One function signature per turn, in walk order."""
    return Skeleton(turns=[STurn("call", [SCall(t)]) for t in walk.tools], tools=list(walk.tools))


def apply_category(
    skel: Skeleton,
    category: str,
    index: WalkIndex,
    rng: random.Random,
    cfg: PlansConfig,
    prefer: int | None = None,
) -> bool:
    """The operation that makes a plan belong to its BFCL category; False when this skeleton does not allow it."""
    if category == "miss_param":
        return apply_split(skel, index, rng, cfg.path_length[1], prefer=prefer)
    if category == "miss_func":
        return apply_missing_function(
            skel, index, rng, cfg.path_length[1], cfg.magnet.reoffer_rate, cfg.magnet.near_miss
        )
    if category == "long_context":
        return apply_long_context(skel, index, rng, cfg.distractors)
    return True


def magnet_skeleton(
    walk: Walk,
    index: WalkIndex,
    category: str,
    rng: random.Random,
    cfg: PlansConfig,
    *,
    want_insert: bool,
    want_merge: bool,
) -> Built:
    skel = fsp_from_walk(walk)
    hops = {h.tool: h for h in walk.hops}
    inserted = want_insert and apply_insert(
        skel, index, hops, rng, min_turns=cfg.path_length[0], min_score=cfg.dependency_min_score
    )
    merged = want_merge and apply_merge(skel, index, rng, min_turns=cfg.path_length[0])
    ok = apply_category(skel, category, index, rng, cfg)
    return Built(skel, ok, inserted, merged)
