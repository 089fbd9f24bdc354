"""Plans are built as the `Plan` model without validation (the hot path); every record a run writes must still be
exactly what validating it gives back, with the id its content hashes to."""

from __future__ import annotations

import pytest

from toolsynth.graph.store import ToolGraph
from toolsynth.plans.config import PlansConfig
from toolsynth.plans.record import Plan
from toolsynth.plans.sample import PlanSampler


@pytest.mark.parametrize(("n", "dry_run"), [(300, False), (30, True)])
def test_built_plans_are_valid_records_with_their_content_id(
    bfcl_graph: ToolGraph, n: int, dry_run: bool
) -> None:
    outcomes = list(
        PlanSampler(bfcl_graph, PlansConfig(n=n, dry_run=dry_run), strategy="magnet", seed=5).magnet_plans()
    )
    built = [o for o in outcomes if o.plan is not None]
    assert len(built) >= n * 0.8
    if dry_run:
        assert any(c.result is not None for o in built for t in o.plan.turns for c in t.expected.calls)
    for o in built:
        assert o.plan.to_record() == o.record
        valid = Plan.from_record(o.record)
        assert valid.to_record() == o.record
        assert valid.compute_id() == o.record["id"] == o.plan.id
