"""MAGNET graph edges: an LLM gives every tool a domain label; among tools with the same label, candidate pairs are
judged by an LLM, and the pairs it finds plausible ("B is naturally called after A") become directed `magnet` edges.

All calls go through the LLM gateway (cached, rate-limited, usage counted). Candidates for a tool are its nearest
same-label tools by description embedding, so the judge's calls go to pairs that have a chance.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from toolsynth.catalog.model import Tool
from toolsynth.graph.config import MagnetConfig
from toolsynth.graph.store import Edge
from toolsynth.llm.config import LLMConfig
from toolsynth.llm.protocol import ModelClient, ModelGateway
from toolsynth.prompts import graph_judge
from toolsynth.prompts import registry as prompts

# Kept under their old names: the prompts are `prompts.graph_judge.LABEL` and `.PAIR`.
LABEL_SCHEMA = graph_judge.LABEL_SCHEMA
JUDGE_SCHEMA = graph_judge.PAIR_SCHEMA
ORDERS = graph_judge.ORDERS
normalize_label = graph_judge.normalize_label


def signature(tool: Tool) -> str:
    params = ", ".join(
        f"{name}{'' if name in tool.required else '?'}: {schema.get('type', 'any')}"
        for name, schema in tool.properties.items()
    )
    rets = ", ".join(f.path for f in tool.return_fields())
    out = f"{tool.name}({params})"
    if rets:
        out += f" -> {{{rets}}}"
    return f"{out}\n  {tool.description.strip()}" if tool.description.strip() else out


@dataclass
class MagnetResult:
    labels: dict[str, str] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    label_failures: int = 0
    judged_pairs: int = 0
    judge_failures: int = 0
    usage: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "labels": len(set(self.labels.values())),
            "labelled_tools": len(self.labels),
            "label_failures": self.label_failures,
            "judged_pairs": self.judged_pairs,
            "judge_failures": self.judge_failures,
            "edges": len(self.edges),
            "usage": self.usage,
            "prompts": prompts.stage_prompts("build-graph"),
        }


def candidate_pairs(
    tools: list[Tool], labels: dict[str, str], tool_vecs: np.ndarray, per_tool: int
) -> list[tuple[int, int]]:
    """Unordered (i, j), i < j: for each tool its `per_tool` most similar tools that carry the same label."""
    groups: dict[str, list[int]] = {}
    for i, t in enumerate(tools):
        if t.name in labels:
            groups.setdefault(labels[t.name], []).append(i)
    pairs: set[tuple[int, int]] = set()
    for members in groups.values():
        if len(members) < 2:
            continue
        ids = np.asarray(members)
        sims = tool_vecs[ids] @ tool_vecs[ids].T
        np.fill_diagonal(sims, -np.inf)
        for row, i in enumerate(members):
            order = np.lexsort((ids, -sims[row]))[:per_tool]
            for j in ids[order].tolist():
                if j != i:
                    pairs.add((min(i, j), max(i, j)))
    return sorted(pairs)


async def _label_all(gw: ModelClient, tools: list[Tool], cfg: MagnetConfig, result: MagnetResult) -> None:
    async def one(tool: Tool) -> None:
        tpl = prompts.get(graph_judge.LABEL_ID)
        res = await gw.structured(
            cfg.label_role, tpl.messages(signature=signature(tool)), tpl.schema, name="domain_label"
        )
        label = tpl.parse(res.data, cfg.max_label_words) if res.ok else ""
        if label:
            result.labels[tool.name] = label
        else:
            result.label_failures += 1

    await asyncio.gather(*(one(t) for t in tools))


async def _judge_all(
    gw: ModelClient,
    tools: list[Tool],
    pairs: list[tuple[int, int]],
    tool_vecs: np.ndarray,
    cfg: MagnetConfig,
    result: MagnetResult,
) -> None:
    found: dict[tuple[int, int], Edge] = {}

    async def one(i: int, j: int) -> None:
        a, b = tools[i], tools[j]
        tpl = prompts.get(graph_judge.PAIR_ID)
        res = await gw.structured(
            cfg.judge_role,
            tpl.messages(first=signature(a), second=signature(b)),
            tpl.schema,
            name="pair_judgement",
        )
        result.judged_pairs += 1
        if not res.ok or not isinstance(res.data, dict):
            result.judge_failures += 1
            return
        order = res.data.get("order")
        if not res.data.get("related") or order not in ORDERS or order == "neither":
            return
        sim = float(tool_vecs[i] @ tool_vecs[j])
        reason = {"label": result.labels.get(a.name), "order": order}
        if res.data.get("reason"):
            reason["judge"] = str(res.data["reason"])[:300]
        directions = {"first_then_second": [(i, j)], "second_then_first": [(j, i)]}.get(
            order, [(i, j), (j, i)]
        )
        for s, t in directions:
            found[(s, t)] = Edge(
                source=tools[s].name,
                target=tools[t].name,
                kind="magnet",
                score=sim,
                weight=1.0,
                directed=True,
                reason=dict(reason),
            )

    await asyncio.gather(*(one(i, j) for i, j in pairs))
    result.edges = [found[k] for k in sorted(found)]


def magnet_edges(
    tools: list[Tool],
    tool_vecs: np.ndarray,
    llm: LLMConfig,
    cfg: MagnetConfig,
    cache_dir: Path | None = None,
    gateway: ModelGateway | None = None,
) -> MagnetResult:
    """Label every tool, then judge same-label candidate pairs; returns labels, edges and call usage. An injected
    `gateway` is used as given and left open (its owner closes it); else one is built for the build-graph stage."""
    from toolsynth.llm.factory import make_gateway

    gw = gateway if gateway is not None else make_gateway(llm, stage="build-graph", cache_dir=cache_dir)
    result = MagnetResult()

    async def run() -> None:
        await _label_all(gw, tools, cfg, result)
        pairs = candidate_pairs(tools, result.labels, tool_vecs, cfg.candidates_per_tool)
        await _judge_all(gw, tools, pairs, tool_vecs, cfg, result)

    try:
        gw.run(run())
    finally:
        if gateway is None:
            gw.close()
    result.usage = gw.usage_summary()
    return result
