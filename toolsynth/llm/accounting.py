"""Token, call and cost accounting per stage and role, for manifests and the end-of-command summary."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RoleUsage:
    model: str = ""
    calls: int = 0  # requests that reached a model (cache misses), successful or not
    cached: int = 0  # requests answered from the cache
    retries: int = 0  # extra attempts after a transient error
    failures: int = 0  # requests that ended in an error, and structured answers that never validated
    repairs: int = 0  # structured re-asks after an invalid answer
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = True  # false once any call's price was unknown (local and self-hosted models)

    def add(self, other: RoleUsage) -> None:
        self.calls += other.calls
        self.cached += other.cached
        self.retries += other.retries
        self.failures += other.failures
        self.repairs += other.repairs
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cost_usd += other.cost_usd
        self.cost_known = self.cost_known and other.cost_known

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["cost_usd"] = round(self.cost_usd, 6) if self.cost_known else None
        del d["cost_known"]
        return d


@dataclass
class Accounting:
    stage: str
    roles: dict[str, RoleUsage] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def role(self, role: str, model: str) -> RoleUsage:
        u = self.roles.get(role)
        if u is None:
            u = self.roles[role] = RoleUsage(model=model)
        elif model and u.model != model and model not in u.model.split(","):
            u.model = f"{u.model},{model}"
        return u

    def record_call(
        self, role: str, model: str, prompt_tokens: int, completion_tokens: int, cost: float | None
    ) -> None:
        with self._lock:
            u = self.role(role, model)
            u.calls += 1
            u.prompt_tokens += prompt_tokens
            u.completion_tokens += completion_tokens
            if cost is None:
                u.cost_known = False
            else:
                u.cost_usd += cost

    def record(self, role: str, model: str, what: str, n: int = 1) -> None:
        """what: calls | cached | retries | failures | repairs."""
        with self._lock:
            u = self.role(role, model)
            setattr(u, what, getattr(u, what) + n)

    def total(self) -> RoleUsage:
        t = RoleUsage(model="")
        for u in self.roles.values():
            t.add(u)
        return t

    def summary(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "roles": {r: u.to_dict() for r, u in sorted(self.roles.items())},
            "total": {k: v for k, v in self.total().to_dict().items() if k != "model"},
        }


def format_summary(summary: dict[str, Any]) -> str:
    """One human line for the end of a command, e.g.
    `llm (synthesize): 120 calls + 30 cached, 45,210 tokens in / 12,034 out, 2 retries, 0 failures, $0.0123`."""
    t = summary["total"]
    cost = t.get("cost_usd")
    cost_text = f"${cost:.4f}" if cost is not None else "cost unknown"
    parts = [
        f"{t['calls']} calls + {t['cached']} cached",
        f"{t['prompt_tokens']:,} tokens in / {t['completion_tokens']:,} out",
        f"{t['retries']} retries",
        f"{t['failures']} failures",
    ]
    if t.get("repairs"):
        parts.append(f"{t['repairs']} repairs")
    parts.append(cost_text)
    return f"llm ({summary['stage']}): " + ", ".join(parts)


def merge_summaries(summaries: list[dict[str, Any]], stage: str | None = None) -> dict[str, Any]:
    """Combine several gateways' summaries (e.g. one per sub-step) into one, role by role."""
    acc = Accounting(stage=stage or ",".join(dict.fromkeys(s["stage"] for s in summaries)))
    for s in summaries:
        for role, d in s["roles"].items():
            u = acc.role(role, d.get("model", ""))
            other = RoleUsage(**{k: v for k, v in d.items() if k not in ("model", "cost_usd")})
            other.cost_usd = d["cost_usd"] or 0.0
            other.cost_known = d["cost_usd"] is not None
            u.add(other)
    return acc.summary()
