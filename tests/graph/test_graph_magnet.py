"""MAGNET edges: labels per tool, same-label candidates, the judge's verdicts turned into directed edges."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from toolsynth.graph.build import build_graph
from toolsynth.graph.config import MagnetConfig
from toolsynth.graph.judge import JUDGE_SCHEMA, LABEL_SCHEMA, candidate_pairs, magnet_edges, normalize_label
from toolsynth.llm.config import LLMConfig


@dataclass
class _Result:
    ok: bool
    data: dict | None
    error: str | None = None
    raw: str | None = None


class FakeGateway:
    """Answers like a model would: labels by the tool's BFCL class, and a verdict chosen by the test."""

    instances: list[FakeGateway] = []

    def __init__(self, config: LLMConfig, stage: str, cache_dir: Any = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.closed = False
        FakeGateway.instances.append(self)

    async def structured(
        self, role: str, messages: list[dict], schema: dict, name: str = "answer", **kw: Any
    ):
        text = messages[-1]["content"]
        self.calls.append((role, name))
        if schema is LABEL_SCHEMA:
            if "cancel_booking(" in text:
                return _Result(ok=False, data=None, error="no valid JSON")
            travel = any(w in text for w in ("travel", "flight", "booking", "card", "airport", "invoice"))
            return _Result(ok=True, data={"domain": "  Travel Booking!! " if travel else "File System"})
        assert schema is JUDGE_SCHEMA
        first = text.split("Second function:")[0]
        if "authenticate_travel(" in first:
            return _Result(
                ok=True, data={"related": True, "order": "first_then_second", "reason": "login first"}
            )
        if "ls(" in first or "pwd(" in first:
            return _Result(ok=True, data={"related": True, "order": "either"})
        return _Result(ok=True, data={"related": False, "order": "neither"})

    def run(self, coro):
        import asyncio

        return asyncio.run(coro)

    def close(self) -> None:
        self.closed = True

    def usage_summary(self) -> dict:
        return {"calls": len(self.calls)}


def test_normalize_label() -> None:
    assert normalize_label("  Travel Booking!! ", 3) == "travel booking"
    assert normalize_label("A b c d e", 2) == "a b"
    assert normalize_label("???", 3) == ""


def test_candidate_pairs_stay_within_a_label() -> None:
    class T:
        def __init__(self, name: str) -> None:
            self.name = name

    tools = [T(n) for n in "abcde"]
    labels = {"a": "x", "b": "x", "c": "x", "d": "y"}  # e unlabelled
    vecs = np.eye(5, dtype=np.float32)
    vecs[1] = vecs[0] * 0.9 + 0.1
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    pairs = candidate_pairs(tools, labels, vecs, per_tool=1)  # type: ignore[arg-type]
    assert pairs == [(0, 1), (0, 2)] or pairs == [(0, 1), (1, 2)]
    assert all(labels[tools[i].name] == labels[tools[j].name] for i, j in pairs)
    assert candidate_pairs(tools, labels, vecs, per_tool=5) == [(0, 1), (0, 2), (1, 2)]  # type: ignore[arg-type]


def test_magnet_edges_from_verdicts(monkeypatch, bfcl_two, graph_config, embedder) -> None:
    import toolsynth.llm.gateway as gateway

    FakeGateway.instances.clear()
    monkeypatch.setattr(gateway, "Gateway", FakeGateway)
    cfg = graph_config.model_copy(deep=True)
    cfg.magnet.enabled = True
    cfg.magnet.candidates_per_tool = 6
    built = build_graph(bfcl_two, cfg, embedder=embedder)
    gw = FakeGateway.instances[-1]
    assert gw.closed
    labels = built.graph.labels
    assert labels["book_flight"] == "travel booking" and labels["cat"] == "file system"
    assert "cancel_booking" not in labels  # its label failed: no label, no candidates
    summary = built.report["magnet"]
    assert summary["label_failures"] == 1 and summary["labelled_tools"] == 35
    assert summary["judged_pairs"] == sum(1 for role, _ in gw.calls if role == cfg.magnet.judge_role)

    magnet = [e for e in built.graph.edges if e.kind == "magnet"]
    assert magnet and all(e.directed for e in magnet)
    for e in magnet:
        assert labels[e.source] == labels[e.target] == e.reason["label"]
        assert e.source != "cancel_booking" and e.target != "cancel_booking"
    auth = [e for e in magnet if "authenticate_travel" in (e.source, e.target)]
    # "first_then_second" with authenticate_travel first: always from it, never into it.
    assert auth and all(e.source == "authenticate_travel" for e in auth)
    assert all(e.reason.get("judge") == "login first" for e in auth)
    # "either" gives both directions.
    ls_edges = {(e.source, e.target) for e in magnet if "ls" in (e.source, e.target)}
    assert ls_edges and all((b, a) in ls_edges for a, b in ls_edges)
    # Nothing crosses labels, and "neither" verdicts leave no edge.
    assert not any(e.source == "cat" and e.target == "grep" for e in magnet)


def test_magnet_off_makes_no_calls(monkeypatch, bfcl_two, graph_config, embedder) -> None:
    import toolsynth.llm.gateway as gateway

    class Boom(Exception):
        pass

    def boom(*a, **k):
        raise Boom("no gateway without the magnet switch")

    # Patched before the build (a session fixture built earlier would prove nothing), and shown to bite: with
    # the switch on, the same build reaches the gateway and fails.
    monkeypatch.setattr(gateway, "Gateway", boom)
    built = build_graph(bfcl_two, graph_config, embedder=embedder)
    assert not [e for e in built.graph.edges if e.kind == "magnet"]
    assert "magnet" not in built.report
    on = graph_config.model_copy(deep=True)
    on.magnet.enabled = True
    with pytest.raises(Boom):
        build_graph(bfcl_two, on, embedder=embedder)


def test_magnet_judge_uses_an_injected_gateway(monkeypatch, bfcl_two, graph_config, embedder) -> None:
    import toolsynth.llm.gateway as gateway

    def boom(*a, **k):
        raise AssertionError("an injected gateway must be the only one")

    monkeypatch.setattr(gateway, "Gateway", boom)
    injected = FakeGateway(LLMConfig(), stage="caller's")
    cfg = graph_config.model_copy(deep=True)
    cfg.magnet.enabled = True
    built = build_graph(bfcl_two, cfg, embedder=embedder, gateway=injected)
    assert injected.calls and not injected.closed  # its owner closes it, not the judge
    assert built.report["magnet"]["judged_pairs"] == sum(
        1 for r, _ in injected.calls if r == cfg.magnet.judge_role
    )
    assert [e for e in built.graph.edges if e.kind == "magnet"]


@pytest.mark.skipif(
    importlib.util.find_spec("toolsynth.testing.scripted") is None,
    reason="scripted LLM backend not in this tree yet",
)
def test_magnet_with_scripted_model(bfcl_two, graph_config, embedder, tmp_path) -> None:
    tools = bfcl_two[:6]
    cfg = graph_config.model_copy(deep=True)
    cfg.magnet.enabled = True
    llm = LLMConfig(model="scripted/graph-test", cache_dir=str(tmp_path / "llm"))
    res = magnet_edges(tools, embedder.embed([t.description for t in tools]), llm, MagnetConfig(enabled=True))
    assert len(res.labels) + res.label_failures == len(tools)
    assert res.usage
    for e in res.edges:
        assert e.kind == "magnet" and res.labels[e.source] == res.labels[e.target]
