"""Train / validation / test by a stable hash of the plan id: every dialog and pair of one plan lands on one side."""

from __future__ import annotations

import hashlib

SPLITS = ("train", "validation", "test")


def split_of(plan_id: str, validation: float, test: float) -> str:
    # sha256 rather than hash(): the same plan gets the same split on every machine and Python run.
    u = int.from_bytes(hashlib.sha256(plan_id.encode("utf-8")).digest()[:8], "big") / 2**64
    if u < test:
        return "test"
    if u < test + validation:
        return "validation"
    return "train"
