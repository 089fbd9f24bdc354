"""Weighted random walks over the tool graph: the related tool subset behind one plan (ToolFlow 1, MAGNET 2).

A step's weight is the edge's weight × a per-kind multiplier (return→param edges first: they make sequential steps
whose second call can be fed by the first) × a coverage penalty `(1 + uses)^-alpha`, so that a run of N plans spreads
over the catalog instead of circling the hub tools. Walks never revisit a tool; at a dead end they restart from an
earlier tool of the walk and, when the whole walk is exhausted, jump to an unvisited tool of the same category.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from toolsynth.graph.store import Edge, ToolGraph
from toolsynth.plans.config import WalkConfig


@dataclass(frozen=True, slots=True)
class Hop:
    """How the walk reached `tool`: over `edge` from `source`, or by a jump (start or teleport) when `edge` is None."""

    tool: str
    source: str | None = None
    edge: Edge | None = None


@dataclass(slots=True)
class Walk:
    hops: list[Hop]
    restarts: int = 0
    jumps: int = 0

    @property
    def tools(self) -> list[str]:
        return [h.tool for h in self.hops]


def field_name(ref: object, prefix: str) -> str | None:
    """`"return:location.name"` → `"location.name"`; None when the reason names no field of that side."""
    if not isinstance(ref, str) or not ref:
        return None
    if ":" in ref:
        side, _, name = ref.partition(":")
        if side.strip() not in (prefix, f"{prefix}s"):
            return None
        return name.strip() or None
    return ref


class _Fenwick:
    """Prefix sums over float weights: sample ∝ weight and update one weight in O(log n).

    Sampling over the whole catalog happens once per walk (the start tool); a linear scan would make large
    catalogs (tens of thousands of tools) the bottleneck of a run.
    """

    def __init__(self, weights: list[float]) -> None:
        self.n = len(weights)
        self.w = list(weights)
        self.tree = [0.0] * (self.n + 1)
        for i, x in enumerate(weights, 1):
            self.tree[i] += x
            j = i + (i & -i)
            if j <= self.n:
                self.tree[j] += self.tree[i]
        self._log = 1 << max(0, self.n.bit_length() - 1) if self.n else 0

    def total(self) -> float:
        s, i = 0.0, self.n
        while i > 0:
            s += self.tree[i]
            i -= i & -i
        return s

    def set(self, idx: int, value: float) -> None:
        delta = value - self.w[idx]
        self.w[idx] = value
        i = idx + 1
        while i <= self.n:
            self.tree[i] += delta
            i += i & -i

    def find(self, target: float) -> int:
        """Smallest index whose prefix sum exceeds `target`."""
        pos, step = 0, self._log
        while step:
            nxt = pos + step
            if nxt <= self.n and self.tree[nxt] <= target:
                pos = nxt
                target -= self.tree[nxt]
            step >>= 1
        return min(pos, self.n - 1)


@dataclass
class WalkIndex:
    """Adjacency and look-ups precomputed once per graph (ToolGraph.neighbours scans every edge per call)."""

    graph: ToolGraph
    config: WalkConfig
    names: list[str] = field(init=False)
    out: dict[str, list[tuple[str, float, Edge]]] = field(init=False)
    producers: dict[str, list[Edge]] = field(init=False)
    similar: dict[str, list[tuple[str, float]]] = field(init=False)
    group: dict[str, str] = field(init=False)
    members: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        g, cfg = self.graph, self.config
        self.names = sorted(g.tools)
        self.out = {n: [] for n in self.names}
        self.producers = {n: [] for n in self.names}
        sim: dict[str, dict[str, float]] = {n: {} for n in self.names}
        for e in sorted(g.edges, key=lambda e: (e.source, e.target, e.kind)):
            if e.source == e.target or e.score < cfg.min_score:
                continue
            base = (e.weight if e.weight > 0 else e.score) * cfg.kind_weights.get(e.kind, 1.0)
            if base > 0:
                self.out[e.source].append((e.target, base, e))
                if not e.directed:
                    rev = Edge(e.target, e.source, e.kind, e.score, e.weight, False, _swap_reason(e.reason))
                    self.out[e.target].append((e.source, base, rev))
            if e.kind == "return_param":
                self.producers[e.target].append(e)
            # Look-alikes for distractors and near misses: any edge says "related", parameter similarity most.
            bonus = 1.0 if e.kind == "param_param" else 0.5
            for a, b in ((e.source, e.target), (e.target, e.source)):
                sim[a][b] = max(sim[a].get(b, 0.0), e.score * bonus)
        self.similar = {n: sorted(d.items(), key=lambda kv: (-kv[1], kv[0])) for n, d in sim.items()}
        self.group = {n: g.labels.get(n) or _category(g, n) for n in self.names}
        self.members = {}
        for n in self.names:
            self.members.setdefault(self.group[n], []).append(n)


def _category(g: ToolGraph, name: str) -> str:
    prov = g.tools[name].provenance
    return prov.category or prov.catalog


def _swap_reason(reason: dict) -> dict:
    """An undirected edge walked backwards: its field names swap sides."""
    if "source_field" in reason or "target_field" in reason:
        out = dict(reason)
        out["source_field"], out["target_field"] = reason.get("target_field"), reason.get("source_field")
        return out
    return reason


class CoverageSampler:
    """Draws walks for a whole run, remembering how often each tool was used so far."""

    def __init__(self, index: WalkIndex) -> None:
        self.index = index
        self.cfg = index.config
        self.uses: dict[str, int] = dict.fromkeys(index.names, 0)
        self._pos = {n: i for i, n in enumerate(index.names)}
        self._alpha = [1.0]
        self._beta = [1.0]
        self._start = _Fenwick([1.0] * len(index.names))

    def _pen(self, table: list[float], exp: float, uses: int) -> float:
        while len(table) <= uses:
            table.append((1.0 + len(table)) ** -exp)
        return table[uses]

    def record(self, tools: Iterable[str]) -> None:
        """Count the tools a finished plan really uses: the penalty steers later walks elsewhere."""
        for t in tools:
            if t not in self.uses:
                continue
            self.uses[t] += 1
            self._start.set(self._pos[t], self._pen(self._beta, self.cfg.start_beta, self.uses[t]))

    def pick_start(self, rng: random.Random, pool: list[str] | None = None) -> str | None:
        """A start tool, rarely used ones first; from `pool` when given."""
        return self._pick_start(rng, pool, set())

    def _pick_start(self, rng: random.Random, pool: list[str] | None, exclude: set[str]) -> str | None:
        if pool is None:
            total = self._start.total()
            for _ in range(8):
                name = self.index.names[self._start.find(rng.random() * total)]
                if name not in exclude:
                    return name
            pool = self.index.names
        if len(pool) > 64:
            # Large pools: a tournament of 8 random members, least used wins. Close to the weighted draw where it
            # matters (rarely used tools win) at a cost that does not grow with the pool.
            picks = [pool[rng.randrange(len(pool))] for _ in range(8)]
            picks = [n for n in picks if n not in exclude]
            if picks:
                return min(picks, key=lambda n: self.uses[n])
        cands = [n for n in pool if n not in exclude]
        if not cands:
            return None
        weights = [self._pen(self._beta, self.cfg.start_beta, self.uses[n]) for n in cands]
        return rng.choices(cands, weights)[0]

    def walk(self, size: int, rng: random.Random, start: str | None = None) -> Walk:
        """A walk of up to `size` distinct tools (shorter only when the graph around the start has no more)."""
        idx, cfg = self.index, self.cfg
        first = start or self._pick_start(rng, None, set())
        if first is None:
            return Walk(hops=[])
        walk = Walk(hops=[Hop(first)])
        visited = {first}
        cur = first
        while len(walk.hops) < size:
            cands = [(t, w, e) for t, w, e in idx.out[cur] if t not in visited]
            if not cands:
                if walk.restarts >= cfg.max_restarts:
                    break
                walk.restarts += 1
                cur = self._restart_from(walk, visited, rng)
                if cur is not None:
                    continue
                jump = self._teleport(walk, visited, rng)
                if jump is None:
                    break
                walk.jumps += 1
                walk.hops.append(Hop(jump))
                visited.add(jump)
                cur = jump
                continue
            weights = [w * self._pen(self._alpha, cfg.coverage_alpha, self.uses[t]) for t, w, _ in cands]
            t, _, e = cands[_choice(weights, rng)]
            walk.hops.append(Hop(t, cur, e))
            visited.add(t)
            cur = t
        return walk

    def _restart_from(self, walk: Walk, visited: set[str], rng: random.Random) -> str | None:
        """An earlier tool of this walk that still has unvisited neighbours (the subset stays connected)."""
        open_ = [h.tool for h in walk.hops if any(t not in visited for t, _, _ in self.index.out[h.tool])]
        return rng.choice(open_) if open_ else None

    def _teleport(self, walk: Walk, visited: set[str], rng: random.Random) -> str | None:
        mode = self.cfg.teleport
        if mode == "none":
            return None
        if mode == "category":
            return self._pick_start(rng, self.index.members[self.index.group[walk.hops[0].tool]], visited)
        return self._pick_start(rng, None, visited)

    # ---- reporting ---------------------------------------------------------------------------------------------

    def coverage(self) -> float:
        n = len(self.uses)
        return sum(1 for v in self.uses.values() if v) / n if n else 0.0

    def gini(self) -> float:
        return gini(self.uses.values())


def _choice(weights: list[float], rng: random.Random) -> int:
    if len(weights) == 1:
        return 0
    acc, cum = 0.0, []
    for w in weights:
        acc += w
        cum.append(acc)
    return min(bisect.bisect_right(cum, rng.random() * acc), len(weights) - 1)


def gini(counts: Iterable[int | float]) -> float:
    """Gini coefficient of usage: 0 = every tool used equally often, → 1 = all use on one tool."""
    xs = sorted(float(c) for c in counts)
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return (2 * weighted) / (n * total) - (n + 1) / n
