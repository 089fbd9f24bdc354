"""ToolFlow edges from field embeddings: parameter ↔ parameter and return → parameter.

Every step is array work over FAISS k-NN results (no all-pairs Python loop):
1. every parameter and return field is embedded from "name: description (type)"; the tool's own description vector is
   mixed in (`context_weight`), so `id` of an artist search and `id` of a hotel search are told apart;
2. candidates are the k nearest fields in both directions (plus, for payload parameters, the nearest outputs);
3. a candidate's score is its cosine, weighed by JSON type compatibility, by whether the parameter is required, and
   by the generic-field rule; the best field pair of a tool pair makes the edge, and says why in `reason`.

Generic fields (`limit`, `page`, `language`): a parameter name that a large share of the catalog's tools carry (low
IDF) says nothing about how two tools relate, yet it matches itself perfectly, so left alone it links every such tool
to every other. Such names never cause parameter↔parameter edges, and as optional return→parameter consumers they
are down-weighted (they are settings a user picks, not values another call produces).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolsynth.catalog.model import FieldView, Tool
from toolsynth.graph.config import GraphConfig, ReturnParamConfig
from toolsynth.graph.store import Edge

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^A-Za-z0-9]+")

TYPES = ["any", "string", "number", "integer", "boolean", "array", "object", "null"]
_TYPE_CODE = {t: i for i, t in enumerate(TYPES)}


def words(name: str) -> list[str]:
    """`originSkyId` → [origin, sky, id]; `user_first_name` → [user, first, name]; `location.name` → [location, name]."""
    return [w.lower() for w in _NON_WORD.split(_CAMEL.sub(" ", name.replace("[]", " "))) if w]


def humanize(name: str) -> str:
    return " ".join(words(name)) or name


def normalize_name(name: str) -> str:
    """The identity of a field name across tools: `pageNumber`, `page_number` and `PageNumber` are one name."""
    return "_".join(words(name))


def field_text(view: FieldView) -> str:
    """What is embedded for one field: its humanized path, description and type."""
    desc = f": {view.description.strip()}" if view.description and view.description.strip() else ""
    return f"{humanize(view.path)}{desc} ({view.type})"


def tool_text(tool: Tool) -> str:
    desc = f": {tool.description.strip()}" if tool.description.strip() else ""
    return f"{humanize(tool.name)}{desc}"


def base_type(label: str) -> str:
    """`array[string]` → array, `string|null` → string, `any` → any."""
    parts = [p for p in label.split("|") if p and p != "null"] or [label]
    head = parts[0].split("[", 1)[0].strip().lower()
    return head if head in _TYPE_CODE else "any"


def compat_matrix(cfg: ReturnParamConfig) -> np.ndarray:
    """compat[producer type, consumer type]: 1 same kind, `convertible_weight` when the value can be rendered into
    the consumer's type without loss of meaning, `unlikely_weight` when it rarely can, 0 never (boolean → object)."""
    n = len(TYPES)
    m = np.full((n, n), cfg.unlikely_weight, dtype=np.float32)
    if not cfg.type_check:
        return np.ones((n, n), dtype=np.float32)
    c = _TYPE_CODE
    num = (c["number"], c["integer"])
    for t in range(n):
        m[t, t] = 1.0
        m[t, c["any"]] = 1.0
        m[c["any"], t] = 1.0
    for a in num:
        for b in num:
            m[a, b] = 1.0
    for src in ("number", "integer", "boolean", "array", "object"):
        m[c[src], c["string"]] = cfg.convertible_weight  # anything can be written out as text
    for src in ("string", "number", "integer", "boolean", "object"):
        m[c[src], c["array"]] = cfg.convertible_weight  # a single value can be a one-element list
    m[c["boolean"], c["object"]] = 0.0
    m[c["boolean"], c["array"]] = cfg.unlikely_weight
    m[c["null"], :] = 0.0
    m[:, c["null"]] = 0.0
    return m


@dataclass
class FieldTable:
    """The fields of one kind (all parameters, or all return fields) as parallel arrays."""

    kind: str
    views: list[FieldView] = field(default_factory=list)
    tool_idx: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    names: list[str] = field(default_factory=list)
    type_code: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    required: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    generic: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    payload: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    vectors: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.views)

    def texts(self) -> list[str]:
        return [field_text(v) for v in self.views]


def collect_fields(tools: list[Tool], config: GraphConfig) -> tuple[FieldTable, FieldTable]:
    params = FieldTable("param")
    returns = FieldTable("return")
    p_idx: list[int] = []
    r_idx: list[int] = []
    for i, tool in enumerate(tools):
        for v in tool.param_fields(max_depth=config.param_depth):
            params.views.append(v)
            p_idx.append(i)
        for v in tool.return_fields(max_depth=config.return_depth):
            returns.views.append(v)
            r_idx.append(i)
    for table, idx in ((params, p_idx), (returns, r_idx)):
        table.tool_idx = np.asarray(idx, dtype=np.int64)
        table.names = [normalize_name(v.leaf) for v in table.views]
        table.type_code = np.asarray([_TYPE_CODE[base_type(v.type)] for v in table.views], dtype=np.int64)
        table.required = np.asarray([v.required for v in table.views], dtype=bool)
        table.generic = np.zeros(len(table.views), dtype=bool)
        table.payload = np.zeros(len(table.views), dtype=bool)
    return params, returns


def generic_names(params: FieldTable, n_tools: int, config: GraphConfig) -> dict[str, int]:
    """Parameter names generic in this catalog, with their document frequency (number of tools carrying them)."""
    g = config.generic
    if not g.enabled or n_tools == 0:
        return {}
    df: Counter[str] = Counter()
    seen: set[tuple[int, str]] = set()
    for ti, name in zip(params.tool_idx.tolist(), params.names, strict=True):
        if name and (ti, name) not in seen:
            seen.add((ti, name))
            df[name] += 1
    cut = max(g.min_tools, g.max_share * n_tools)
    return {name: n for name, n in df.most_common() if n >= cut}


def mark_fields(params: FieldTable, generic: dict[str, int], cfg: ReturnParamConfig) -> None:
    params.generic = np.asarray([n in generic for n in params.names], dtype=bool)
    vocab = {w.lower() for w in cfg.payload_words}
    if not cfg.payload_rule or not vocab:
        return
    flags = []
    for v in params.views:
        ws = [re.sub(r"\d+$", "", w) for w in words(v.leaf)]
        ws = [w[:-1] if w.endswith("s") and w[:-1] in vocab else w for w in ws if w]
        flags.append(bool(ws) and all(w in vocab for w in ws) and v.required)
    params.payload = np.asarray(flags, dtype=bool)


def mix_context(
    field_vecs: np.ndarray, tool_idx: np.ndarray, tool_vecs: np.ndarray, weight: float
) -> np.ndarray:
    if weight <= 0 or len(field_vecs) == 0:
        return np.ascontiguousarray(field_vecs, dtype=np.float32)
    v = field_vecs + weight * tool_vecs[tool_idx]
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(v / norms, dtype=np.float32)


def _triples(
    ids: np.ndarray, sims: np.ndarray, query_is_row: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flatten a k-NN result into (return row, param row, similarity); `query_is_row` says whether the queries
    were the return fields."""
    q = np.repeat(np.arange(len(ids), dtype=np.int64), ids.shape[1])
    h = ids.reshape(-1)
    s = sims.reshape(-1)
    ok = h >= 0
    return (q[ok], h[ok], s[ok]) if query_is_row else (h[ok], q[ok], s[ok])


def _name_ranks(tools: list[Tool]) -> np.ndarray:
    ranks = np.empty(len(tools), dtype=np.int64)
    ranks[np.argsort(np.asarray([t.name for t in tools], dtype=object), kind="stable")] = np.arange(
        len(tools)
    )
    return ranks


def _best_per_group(keys: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Index of the highest-scoring row for each distinct key (ties: lowest index, so results are deterministic)."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((np.arange(len(keys)), -scores, keys))
    first = np.ones(len(order), dtype=bool)
    first[1:] = keys[order][1:] != keys[order][:-1]
    return order[first]


def _rank_within(groups: np.ndarray, scores: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """0-based rank of each row among the rows of its group, by descending score; equal scores (the payload floor
    gives many) are ordered by `tiebreak`, e.g. the rank of the other tool's name, so that the graph does not
    depend on the order tools were listed in."""
    if len(groups) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((tiebreak, -scores, groups))
    g = groups[order]
    start = np.ones(len(g), dtype=bool)
    start[1:] = g[1:] != g[:-1]
    starts = np.maximum.accumulate(np.where(start, np.arange(len(g)), 0))
    rank = np.empty(len(g), dtype=np.int64)
    rank[order] = np.arange(len(g)) - starts
    return rank


@dataclass
class EdgeTimings:
    index_s: float = 0.0
    search_s: float = 0.0
    score_s: float = 0.0
    candidates: dict[str, int] = field(default_factory=dict)
    index_kinds: dict[str, str] = field(default_factory=dict)


def return_param_edges(
    tools: list[Tool],
    params: FieldTable,
    returns: FieldTable,
    config: GraphConfig,
    timings: EdgeTimings | None = None,
) -> list[Edge]:
    import time

    from toolsynth.graph.index import build_index

    cfg = config.return_param
    timings = timings or EdgeTimings()
    if not cfg.enabled or cfg.max_out == 0 or len(params) == 0 or len(returns) == 0:
        return []
    assert params.vectors is not None and returns.vectors is not None
    k = cfg.candidates
    t0 = time.perf_counter()
    p_index = build_index(params.vectors, config.index)
    r_index = build_index(returns.vectors, config.index)
    pay_ids = np.nonzero(params.payload)[0]
    pay_index = build_index(params.vectors[pay_ids], config.index) if len(pay_ids) else None
    timings.index_s += time.perf_counter() - t0
    timings.index_kinds["params"] = p_index.kind
    timings.index_kinds["returns"] = r_index.kind

    t0 = time.perf_counter()
    # The similarities FAISS returns are exact inner products for every index kind, so they are kept rather than
    # recomputed (recomputing would gather two vectors per candidate: gigabytes on a large catalog).
    sims, ids = p_index.search(returns.vectors, k)  # for each output: the parameters it could fill
    r1, p1, s1 = _triples(ids, sims, query_is_row=True)
    sims, ids = r_index.search(params.vectors, k)  # for each parameter: the outputs that could fill it
    r2, p2, s2 = _triples(ids, sims, query_is_row=False)
    rs, ps, ss = [r1, r2], [p1, p2], [s1, s2]
    if pay_index is not None:
        # Payload parameters accept any output of a compatible type, so a producer needs its nearest ones even
        # when they are far from it in meaning.
        sims, ids = pay_index.search(returns.vectors, min(k, len(pay_ids)))
        r3, local, s3 = _triples(ids, sims, query_is_row=True)
        rs.append(r3)
        ps.append(pay_ids[local])
        ss.append(s3)
    del sims, ids
    timings.search_s += time.perf_counter() - t0

    t0 = time.perf_counter()
    r, p, sim = np.concatenate(rs), np.concatenate(ps), np.concatenate(ss)
    del rs, ps, ss
    _, first = np.unique(r * len(params) + p, return_index=True)
    r, p, sim = r[first], p[first], sim[first]
    a = returns.tool_idx[r]
    b = params.tool_idx[p]
    keep = a != b
    r, p, a, b, sim = r[keep], p[keep], a[keep], b[keep], sim[keep]
    timings.candidates["return_param"] = len(r)
    n_tools = len(tools)
    name_rank = _name_ranks(tools)
    is_payload = params.payload[p] & (sim < cfg.payload_floor)
    if cfg.payload_max_in is not None and is_payload.any():
        # Only the `payload_max_in` nearest producers of a consumer tool get the floor.
        idx = np.nonzero(is_payload)[0]
        pair = a * n_tools + b
        best = idx[_best_per_group(pair[idx], sim[idx])]
        over = best[_rank_within(b[best], sim[best], name_rank[a[best]]) >= cfg.payload_max_in]
        is_payload &= ~np.isin(pair, pair[over])
    score = np.where(is_payload, cfg.payload_floor, sim)
    compat = compat_matrix(cfg)[returns.type_code[r], params.type_code[p]]
    score = score * compat
    req = params.required[p]
    score = np.where(req, score, score * cfg.optional_weight)
    generic_opt = params.generic[p] & ~req
    if config.generic.enabled:
        score = np.where(generic_opt, score * config.generic.optional_weight, score)

    best = _best_per_group(a * n_tools + b, score)
    best = best[score[best] >= cfg.min_score]
    rank = _rank_within(a[best], score[best], name_rank[b[best]])
    best = best[rank < cfg.max_out]
    best = best[np.lexsort((b[best], a[best]))]
    edges = []
    for i in best.tolist():
        rv, pv = returns.views[r[i]], params.views[p[i]]
        reason: dict[str, Any] = {
            "source_field": f"return:{rv.path}",
            "target_field": f"param:{pv.path}",
            "similarity": round(float(sim[i]), 4),
            "types": f"{rv.type}->{pv.type}",
            "type_compat": round(float(compat[i]), 2),
            "required": bool(req[i]),
        }
        if is_payload[i]:
            reason["rule"] = "payload"
        if config.generic.enabled and generic_opt[i]:
            reason["generic"] = params.names[p[i]]
        edges.append(
            Edge(
                source=tools[a[i]].name,
                target=tools[b[i]].name,
                kind="return_param",
                score=float(score[i]),
                weight=float(score[i]),
                directed=True,
                reason=reason,
            )
        )
    timings.score_s += time.perf_counter() - t0
    return edges


def param_param_edges(
    tools: list[Tool], params: FieldTable, config: GraphConfig, timings: EdgeTimings | None = None
) -> list[Edge]:
    import time

    from toolsynth.graph.index import build_index

    cfg = config.param_param
    timings = timings or EdgeTimings()
    if not cfg.enabled or cfg.max_per_tool == 0 or len(params) < 2:
        return []
    assert params.vectors is not None
    usable = np.nonzero(~params.generic)[0] if config.generic.enabled else np.arange(len(params))
    if len(usable) < 2:
        return []
    vecs = params.vectors[usable]
    t0 = time.perf_counter()
    index = build_index(vecs, config.index)
    timings.index_s += time.perf_counter() - t0
    t0 = time.perf_counter()
    sims, ids = index.search(vecs, config.return_param.candidates + 1)
    timings.search_s += time.perf_counter() - t0
    t0 = time.perf_counter()
    q = np.repeat(np.arange(len(vecs), dtype=np.int64), ids.shape[1])
    h = ids.reshape(-1)
    s = sims.reshape(-1)
    ok = (h >= 0) & (s >= cfg.threshold)
    i, j, s = usable[q[ok]], usable[h[ok]], s[ok]
    swap = params.tool_idx[i] > params.tool_idx[j]  # each unordered tool pair in one orientation
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    ta, tb = params.tool_idx[i], params.tool_idx[j]
    keep = ta != tb
    i, j, s, ta, tb = i[keep], j[keep], s[keep], ta[keep], tb[keep]
    timings.candidates["param_param"] = len(i)
    n_tools = len(tools)
    best = _best_per_group(ta * n_tools + tb, s)
    # An edge stays if it is among the strongest `max_per_tool` of either end: hubs keep their best links, and a
    # sparse tool is not cut off by a hub's cap.
    name_rank = _name_ranks(tools)
    ends = np.concatenate([ta[best], tb[best]])
    others = np.concatenate([name_rank[tb[best]], name_rank[ta[best]]])
    ranks = _rank_within(ends, np.concatenate([s[best], s[best]]), others)
    nb = len(best)
    ok = (ranks[:nb] < cfg.max_per_tool) | (ranks[nb:] < cfg.max_per_tool)
    best = best[ok]
    best = best[np.lexsort((tb[best], ta[best]))]
    edges = []
    for x in best.tolist():
        fi, fj = i[x], j[x]
        if tools[ta[x]].name > tools[tb[x]].name:  # stored once, source < target by name
            fi, fj = fj, fi
        edges.append(
            Edge(
                source=tools[params.tool_idx[fi]].name,
                target=tools[params.tool_idx[fj]].name,
                kind="param_param",
                score=float(s[x]),
                weight=float(s[x]),
                directed=False,
                reason={
                    "source_field": f"param:{params.views[fi].path}",
                    "target_field": f"param:{params.views[fj].path}",
                    "similarity": round(float(s[x]), 4),
                },
            )
        )
    timings.score_s += time.perf_counter() - t0
    return edges
