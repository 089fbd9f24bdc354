"""What every dialog of a run shares: the gateway (seen through a per-dialog tally), the settings, the models and
the checker; a finished dialog's outcome; the dialog id of a plan."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from toolsynth.plans.record import Plan
from toolsynth.synth.agents import UsageTally
from toolsynth.synth.config import SynthConfig
from toolsynth.synth.record import (
    CheckResult,
    Dialog,
    DialogReject,
)
from toolsynth.synth.roles import role_models
from toolsynth.synth.turn_checks import Checker, default_checker


def dialog_id(plan: Plan) -> str:
    """One dialog per plan, named after it, so a rerun recognizes what it already made."""
    pid = plan.id or plan.compute_id()
    tail = pid.split("-", 1)[1] if pid.startswith("plan-") else hashlib.sha256(pid.encode()).hexdigest()[:16]
    return f"dialog-{tail}"


@dataclass
class DialogOutcome:
    dialog: Dialog
    accepted: bool
    failure: CheckResult | None = None
    error: str | None = None

    def reject_record(self) -> dict[str, Any]:
        return DialogReject.of(self.dialog, self.failure, reason=self.error or "unknown").to_record()


class TalliedGateway:
    """The run's gateway as one dialog sees it: same calls, plus the dialog's own token/cost tally and the synth
    stage's per-agent answer-length caps."""

    def __init__(self, gateway: Any, tally: UsageTally, caps: dict[str, int] | None = None) -> None:
        self._gw = gateway
        self.tally = tally
        self.caps = caps or {}

    def _limits(self, role: str, kw: dict[str, Any]) -> dict[str, Any]:
        cap = self.caps.get(role)
        llm = getattr(self._gw, "config", None)
        if cap is None or kw.get("max_tokens") is not None or llm is None:
            return kw
        rs = llm.roles.get(role) if hasattr(llm, "roles") else None
        if rs is not None and rs.max_tokens is not None:
            return kw  # the recipe said how long this role may talk
        return {**kw, "max_tokens": min(cap, llm.max_tokens)}

    async def chat(self, role: str, messages: list[Any], tools: list[Any] | None = None, **kw: Any) -> Any:
        res = await self._gw.chat(role, messages, tools=tools, **self._limits(role, kw))
        self.tally.add(role, res)
        return res

    async def structured(self, role: str, messages: list[Any], schema: dict[str, Any], **kw: Any) -> Any:
        res = await self._gw.structured(role, messages, schema, **self._limits(role, kw))
        self.tally.add(role, res)
        return res

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gw, name)


@dataclass
class SynthContext:
    gateway: Any
    config: SynthConfig
    models: dict[str, str] = field(default_factory=dict)
    checker: Checker = default_checker

    def __post_init__(self) -> None:
        llm = getattr(self.gateway, "config", None)
        if not self.models and llm is not None and hasattr(llm, "roles"):
            self.models = role_models(llm, self.config)
