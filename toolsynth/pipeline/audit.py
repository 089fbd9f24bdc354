"""Verify stage: audit a dialogs file (ours, OpenAI fine-tuning JSONL, ShareGPT) or a preferences file before training."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from toolsynth.llm.config import LLMConfig


@dataclass(frozen=True)
class VerifyResult:
    kind: Literal["dialogs", "preferences"]
    report: dict[
        str, Any
    ]  # per-layer counts and the failing records (pairs for a preferences file), fail_under, ok
    ok: bool  # the share of passing records (pairs) reaches fail_under

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_json(self) -> dict[str, Any]:
        return self.report


def verify(
    path: Path,
    *,
    checks: str | Iterable[str] = "format,execution,adherence",
    tools: Path | None = None,
    backend: str | None = None,
    fmt: str | None = None,
    plans: Path | None = None,
    rejects: Path | None = None,
    annotated: Path | None = None,
    fail_under: float = 1.0,
    llm: LLMConfig | None = None,
    cache_base: Path | None = None,
    concurrency: int = 16,
    max_listed: int = 10,
    on_record: Callable[[bool], None] | None = None,
) -> VerifyResult:
    """Run the check layers on every record of `path` (a preferences file: both sides of every pair, where they
    fork). `llm` is the semantic judge's settings (only built when `checks` has semantic); `on_record` sees each
    record's (pair's) verdict as it is made."""
    from toolsynth.errors import InputError
    from toolsynth.prefs.verify import is_preference_file
    from toolsynth.synth.verify import load_plans, load_tools, parse_layers, verify_file

    layers = parse_layers(checks)

    def judge() -> Any:
        from toolsynth.llm.config import LLMConfig
        from toolsynth.pipeline.gateway import open_gateway

        if "semantic" not in layers:
            return None
        return open_gateway(llm or LLMConfig(), stage="verify", cache_base=cache_base)

    if is_preference_file(path):
        from toolsynth.prefs.verify import verify_preferences

        pair_report = verify_preferences(
            path,
            checks=layers,
            gateway=judge(),
            on_pair=(lambda pc: on_record(pc.ok)) if on_record else None,
        )
        pair_report.max_listed = max(pair_report.max_listed, max_listed)
        result = pair_report.to_dict()
        result["fail_under"] = fail_under
        result["ok"] = result["ok_rate"] >= fail_under
        return VerifyResult("preferences", result, result["ok"])
    if fmt is not None and fmt not in ("canonical", "openai", "sharegpt"):
        raise InputError("choose canonical, openai or sharegpt", where="--format")
    tool_list = load_tools(tools) if tools is not None else None
    plan_map = load_plans(plans) if plans is not None else None
    gateway = judge()
    report = verify_file(
        path,
        tools=tool_list,
        backend=backend,
        layers=layers,
        gateway=gateway,
        plans=plan_map,
        fmt=fmt,  # type: ignore[arg-type]
        rejects=rejects,
        annotated=annotated,
        concurrency=concurrency,
        on_outcome=(lambda outcome: on_record(outcome.passed)) if on_record else None,
    )
    report.max_listed = max(report.max_listed, max_listed)
    result = report.to_dict()
    result["fail_under"] = fail_under
    result["ok"] = report.accept_rate() >= fail_under
    if gateway is not None:
        result["usage"] = gateway.usage_summary()
    return VerifyResult("dialogs", result, result["ok"])
