"""Per-dialog accounting of model calls: what a dialog record's `usage` holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class UsageTally:
    """Tokens and calls of one dialog, per role (the gateway keeps the run-wide totals). Whether an answer came from
    the cache is left out of the record: the same dialog must read the same on a rerun that hits the cache."""

    calls: dict[str, int] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    rule_user_messages: int = 0
    # Assistant texts of the plan-grounded mode (synth/grounded.py): written by the model / by rule after its tries
    # broke the guard. Recorded only when that mode ran, so free-mode dialogs read as before.
    grounded: bool = False
    model_replies: int = 0
    rule_replies: int = 0

    def add(self, role: str, result: Any) -> None:
        """Count one gateway answer (ChatResult or StructuredResult) against `role`."""
        self.calls[role] = self.calls.get(role, 0) + 1
        usage = getattr(result, "usage", None)
        if usage is not None:
            self.prompt_tokens += int(_get(usage, "prompt_tokens", "input_tokens") or 0)
            self.completion_tokens += int(_get(usage, "completion_tokens", "output_tokens") or 0)
            self.cost += float(_get(usage, "cost", "cost_usd") or 0.0)

    def to_record(self) -> dict[str, Any]:
        rec: dict[str, Any] = {
            "calls": dict(sorted(self.calls.items())),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost": round(self.cost, 6),
            "rule_user_messages": self.rule_user_messages,
        }
        if self.grounded:
            rec["model_replies"] = self.model_replies
            rec["rule_replies"] = self.rule_replies
        return rec


def _get(obj: Any, *names: str) -> Any:
    for n in names:
        v = obj.get(n) if isinstance(obj, dict) else getattr(obj, n, None)
        if v is not None:
            return v
    return None
