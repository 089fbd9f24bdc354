"""Accounting: calls, cache hits, retries, failures, tokens and cost per role, and totals that are their sums."""

from __future__ import annotations

import pytest
from fake_openai import FakeOpenAI, completion

from toolsynth.artifacts import read_manifest, write_artifact, write_manifest
from toolsynth.llm.accounting import format_summary, merge_summaries
from toolsynth.llm.transport import cost_of
from toolsynth.testing.scripted import ScriptedModel

FIELDS = ("calls", "cached", "retries", "failures", "repairs", "prompt_tokens", "completion_tokens")


def test_per_role_usage_and_totals_add_up(make_gateway) -> None:
    gw = make_gateway(stage="synthesize")
    ScriptedModel.add_rule(
        "count me", {"content": "ok", "usage": {"prompt_tokens": 100, "completion_tokens": 7}}
    )
    ScriptedModel.fail(503, times=1, match="retry me")

    async def work() -> None:
        for i in range(3):
            await gw.chat("user", [{"role": "user", "content": f"count me {i}"}])
        await gw.chat("user", [{"role": "user", "content": "count me 0"}])  # cache hit
        await gw.chat("assistant", [{"role": "user", "content": "retry me"}])
        await gw.structured(
            "judge",
            [{"role": "user", "content": "j"}],
            {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]},
        )

    gw.run(work())
    s = gw.usage_summary()
    assert s["stage"] == "synthesize"
    user, assistant, judge = s["roles"]["user"], s["roles"]["assistant"], s["roles"]["judge"]
    assert (user["calls"], user["cached"], user["prompt_tokens"], user["completion_tokens"]) == (
        3,
        1,
        300,
        21,
    )
    assert (assistant["calls"], assistant["retries"]) == (2, 1)
    assert judge["calls"] == 1 and judge["model"] == "scripted/test"
    for f in FIELDS:
        assert s["total"][f] == sum(r[f] for r in s["roles"].values()), f
    assert s["total"]["calls"] == len(ScriptedModel.calls) == 6
    assert s["total"]["cost_usd"] == 0.0  # in-process models are free


def test_cost_from_litellm_price_map_and_unknown_models(make_gateway) -> None:
    def respond(body, headers):
        return 200, completion("priced", usage=(1000, 200))

    with FakeOpenAI(respond) as srv:
        gw = make_gateway(model="openai/gpt-4o-mini", api_base=srv.base, cache=False)
        gw.run(gw.chat("assistant", [{"role": "user", "content": "hi"}]))
        gw.run(gw.chat("assistant", [{"role": "user", "content": "hi again"}]))
        expected = 2 * cost_of("openai/gpt-4o-mini", 1000, 200)
        assert expected > 0
        assert gw.usage_summary()["roles"]["assistant"]["cost_usd"] == pytest.approx(expected, rel=1e-6)

        gw2 = make_gateway(model="hosted_vllm/my-own-finetune", api_base=srv.base, cache=False)
        gw2.run(gw2.chat("assistant", [{"role": "user", "content": "hi"}]))
        assert gw2.usage_summary()["total"]["cost_usd"] is None  # unknown, not zero
        assert "cost unknown" in format_summary(gw2.usage_summary())


def test_summary_goes_into_the_manifest_and_merges(make_gateway, tmp_path) -> None:
    a, b = make_gateway(stage="plans"), make_gateway(stage="plans")
    a.run(a.chat("planner", [{"role": "user", "content": "one"}]))
    b.run(b.chat("planner", [{"role": "user", "content": "two"}]))
    b.run(b.chat("judge", [{"role": "user", "content": "three"}]))
    merged = merge_summaries([a.usage_summary(), b.usage_summary()])
    assert merged["roles"]["planner"]["calls"] == 2 and merged["total"]["calls"] == 3
    out = tmp_path / "plans.jsonl"
    write_artifact(out, "plan", [{"id": "1"}])
    write_manifest(out, kind="plan", counts={"plans": 1}, extra={"llm": merged})
    assert read_manifest(out)["llm"]["total"]["calls"] == 3
    line = format_summary(merged)
    assert line.startswith("llm (plans): 3 calls + 0 cached") and "$0.0000" in line
