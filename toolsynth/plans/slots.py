"""How a run's N plan slots are drawn: a seed per slot, the exact category mix, the exact share of slots that wish
for a nested or parallel call. Each draw has its own salted seed, so none shifts when another changes."""

from __future__ import annotations

import hashlib
import random

from toolsynth.plans.config import CATEGORIES


def plan_seed(seed: int, index: int) -> int:
    """Per-plan seed: a plan's randomness does not shift when another plan draws more or fewer numbers."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{index}".encode()).digest()[:4], "big")


def assign_categories(n: int, targets: dict[str, float], seed: int) -> list[str]:
    """Exactly `round(n × target)` plans per category (largest remainder), in a seeded random order."""
    exact = {c: n * targets.get(c, 0.0) for c in CATEGORIES}
    counts = {c: int(v) for c, v in exact.items()}
    by_remainder = sorted(CATEGORIES, key=lambda c: (-(exact[c] - counts[c]), CATEGORIES.index(c)))
    for c in by_remainder[: n - sum(counts.values())]:
        counts[c] += 1
    out = [c for c in CATEGORIES for _ in range(counts[c])]
    random.Random(plan_seed(seed, -1)).shuffle(out)
    return out


def assign_flags(n: int, rate: float, seed: int, salt: int) -> list[bool]:
    """Exactly `round(n × rate)` plans get the wish, in a seeded random order (per-plan coin flips would leave the
    share a few points off the target on a thousand plans)."""
    k = min(n, int(n * rate + 0.5))
    out = [True] * k + [False] * (n - k)
    random.Random(plan_seed(seed, salt)).shuffle(out)
    return out
