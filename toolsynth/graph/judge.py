"""MAGNET graph edges: an LLM gives every tool a domain label; among tools with the same label, candidate pairs are
judged by an LLM, and the pairs it finds plausible ("B is naturally called after A") become directed `magnet` edges.

All calls go through the LLM gateway (cached, rate-limited, usage counted). Candidates for a tool are its nearest
same-label tools by description embedding, so the judge's calls go to pairs that have a chance.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from toolsynth.catalog.model import Tool
from toolsynth.graph.config import MagnetConfig
from toolsynth.graph.store import Edge
from toolsynth.llm.config import LLMConfig
from toolsynth.llm.protocol import ModelClient, ModelGateway

LABEL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "domain": {
            "type": "string",
            "description": "the tool's domain in one to three lowercase words, e.g. `travel`, `file system`",
        }
    },
    "required": ["domain"],
    "additionalProperties": False,
}

ORDERS = ["first_then_second", "second_then_first", "either", "neither"]

JUDGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "related": {
            "type": "boolean",
            "description": "would one user plausibly call both tools in one conversation",
        },
        "order": {"type": "string", "enum": ORDERS},
        "reason": {"type": "string", "description": "one short sentence"},
    },
    "required": ["related", "order"],
    "additionalProperties": False,
}

_LABEL_SYSTEM = (
    "You label API functions with the domain they belong to. Answer with the domain in one to three lowercase "
    "words (for example: travel, file system, finance, messaging, weather). Tools of the same product area must "
    "get the same label."
)
_JUDGE_SYSTEM = (
    "You decide whether two API functions are naturally used together in one multi-turn conversation, and in "
    "which order: `first_then_second` if the second is typically called after the first (for example because "
    "it uses the first's result), `second_then_first` for the reverse, `either` if both orders are natural, "
    "`neither` if they are unrelated."
)


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


def normalize_label(text: str, max_words: int) -> str:
    ws = re.findall(r"[a-z0-9]+", text.lower())
    return " ".join(ws[:max_words])


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
        res = await gw.structured(
            cfg.label_role,
            [
                {"role": "system", "content": _LABEL_SYSTEM},
                {"role": "user", "content": f"Function:\n{signature(tool)}\n\nIts domain?"},
            ],
            LABEL_SCHEMA,
            name="domain_label",
        )
        label = (
            normalize_label(str((res.data or {}).get("domain", "")), cfg.max_label_words) if res.ok else ""
        )
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
        res = await gw.structured(
            cfg.judge_role,
            [
                {"role": "system", "content": _JUDGE_SYSTEM},
                {
                    "role": "user",
                    "content": f"First function:\n{signature(a)}\n\nSecond function:\n{signature(b)}",
                },
            ],
            JUDGE_SCHEMA,
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
