"""Model negatives with the offline model (slow: loads SmolLM2-135M in-process). Only what make-preferences
guarantees is asserted, never what the 135M model chooses: one hint-free run per chosen turn, and a pair exists
exactly when that run fails a check, which the pair then names."""

from __future__ import annotations

import asyncio

import pytest
from bfcl_plan_fixtures import message_plan
from prefs_fixtures import accepted

from toolsynth.llm.config import LLMConfig, ModelSettings
from toolsynth.llm.gateway import Gateway
from toolsynth.prefs.config import PrefsConfig
from toolsynth.prefs.run import PrefsContext, pairs_for_dialog
from toolsynth.synth.config import SynthConfig


@pytest.mark.slow
def test_offline_model_negatives_are_proven_or_dropped(tmp_path):
    d = accepted(message_plan())
    llm = LLMConfig(
        model="scripted/good",
        cache=False,
        temperature=0.0,
        max_tokens=96,
        roles={"negative": ModelSettings(model="local/smollm2")},
    )
    ctx = PrefsContext(
        PrefsConfig(kinds=["model"], model_turns=1, per_dialog=None),
        synth=SynthConfig(max_steps=2),
        gateway=Gateway(llm, stage="make-preferences"),
    )
    res = asyncio.run(pairs_for_dialog(d, ctx))
    assert res.error is None
    k = res.stats["by_kind"]["model"]
    assert k["candidates"] == 1 and k["proven"] + k["accidentally_correct"] == 1
    assert len(res.pairs) == k["proven"]
    for p in res.pairs:
        assert p.models["assistant"] == "local/smollm2" and p.turn == 0
        assert p.failed_checks and all(c.passed is False and c.turn == 0 for c in p.failed_checks)
        assert p.prompt + p.chosen == d.messages and p.rejected[0].role == "assistant"
