"""One dialog → its preference pairs: gather negatives from the configured sources, prove each one wrong with
synthesis's checks, keep a spread of them. What an executor runs per dialog (in-process or in a Ray worker)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from toolsynth.console import log
from toolsynth.errors import LLMError, ToolsynthError
from toolsynth.prefs.case import DialogCase, Negative
from toolsynth.prefs.classify import classify
from toolsynth.prefs.config import PrefsConfig
from toolsynth.prefs.pairs import choose, pair_of
from toolsynth.prefs.record import PreferencePair
from toolsynth.synth.config import SynthConfig
from toolsynth.synth.record import Dialog

KINDS = ("regeneration", "model", "rule")


@dataclass
class PrefsContext:
    config: PrefsConfig
    synth: SynthConfig = field(default_factory=SynthConfig)
    gateway: Any = None
    # the model string the hint-free assistant resolves to (for the records)
    negative_model: str | None = None

    def fingerprint(self) -> str:
        """What a dialog's pairs depend on: a journal made under other settings is not resumed."""
        import hashlib

        llm = getattr(self.gateway, "config", None)
        body = {
            "prefs": self.config.model_dump(mode="json"),
            "synth": self.synth.model_dump(mode="json", exclude={"concurrency"}),
            "llm": llm.model_dump(
                mode="json", include={"model", "temperature", "max_tokens", "seed", "roles"}
            )
            if llm is not None and hasattr(llm, "model_dump")
            else None,
        }
        return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def _empty_stats() -> dict[str, Any]:
    return {
        "by_kind": {k: {"candidates": 0, "accidentally_correct": 0, "proven": 0, "kept": 0} for k in KINDS},
        "by_error": {},
        "skipped": {},
    }


@dataclass
class DialogPairs:
    dialog_id: str
    pairs: list[PreferencePair]
    stats: dict[str, Any]
    error: str | None = None

    def to_record(self, fingerprint: str | None = None) -> dict[str, Any]:
        return {
            "dialog_id": self.dialog_id,
            "fingerprint": fingerprint,
            "pairs": [p.to_record() for p in self.pairs],
            "stats": self.stats,
            "error": self.error,
        }


def _role_model(gateway: Any, role: str) -> str | None:
    """The model string a gateway role resolves to (its own, else the run's)."""
    llm = getattr(gateway, "config", None)
    if llm is None or not hasattr(llm, "roles"):
        return None
    rs = llm.roles.get(role)
    return (rs.model if rs is not None else None) or llm.model


async def candidates(case: DialogCase, ctx: PrefsContext, stats: dict[str, Any]) -> list[Negative]:
    from toolsynth.prefs.regeneration import regeneration_negatives
    from toolsynth.prefs.rerun import rerun_turn, rerun_turns
    from toolsynth.prefs.rules import RuleMaker, realize

    cfg = ctx.config
    out: list[Negative] = []
    if "regeneration" in cfg.kinds:
        out += await regeneration_negatives(case)
    if "model" in cfg.kinds:
        if ctx.gateway is None:
            raise ToolsynthError("model negatives need a model", where="prefs.kinds")
        model = ctx.negative_model or _role_model(ctx.gateway, cfg.role)
        for turn in rerun_turns(case, cfg.model_turns):
            neg = await rerun_turn(case, turn, ctx.gateway, cfg.role, model)
            if neg is not None:
                out.append(neg)
    if "rule" in cfg.kinds:
        if not cfg.simulate:
            case.gateway = None  # no tool agent: a well-formed call to a simulated tool is skipped
        for edit in RuleMaker(case, dict(cfg.rules), cfg.seed).edits():
            neg = await realize(case, edit)
            if neg is None:
                stats["skipped"]["rule_needs_tool_agent"] = (
                    stats["skipped"].get("rule_needs_tool_agent", 0) + 1
                )
                continue
            out.append(neg)
    return out


async def pairs_for_dialog(dialog: Dialog, ctx: PrefsContext) -> DialogPairs:
    """Every pair this dialog gives under `ctx` (deterministic for the scripted model and the rules)."""
    stats = _empty_stats()
    cfg = ctx.config
    judge = ctx.gateway if "semantic" in cfg.checks else None
    if "semantic" in cfg.checks and judge is None:
        raise ToolsynthError("the semantic check needs a judge model", where="prefs.checks")
    try:
        case = DialogCase(dialog, ctx.gateway, ctx.synth)
        proven: list[Negative] = []
        for neg in await candidates(case, ctx, stats):
            k = stats["by_kind"][neg.kind]
            k["candidates"] += 1
            failed = await case.prove(neg, list(cfg.checks), judge)
            if (
                not failed
                and neg.recorded_failure is not None
                and neg.recorded_failure.layer not in cfg.checks
            ):
                # A failure only the judge saw at synthesis time (a layer not re-run here): the judge's verdict,
                # made by the same check code, is the proof.
                failed = [neg.recorded_failure]
            if not failed:
                k["accidentally_correct"] += 1
                continue
            neg.failed = failed
            if neg.kind != "rule":
                neg.error, detail = classify(
                    neg.messages,
                    neg.turn.planned,
                    failed,
                    case.tools,
                    list(case.offered(neg.turn)),
                    dialog.messages[neg.turn.start : neg.fork],
                )
                neg.detail = f"{neg.detail}: {detail}" if detail else neg.detail
            k["proven"] += 1
            proven.append(neg)
        kept = choose(proven, cfg.per_dialog, f"{cfg.seed}:{dialog.id}")
    except LLMError:
        raise
    except ToolsynthError as exc:
        # A replay that disagrees with the record, a backend that cannot start: this dialog gives no pairs.
        return DialogPairs(dialog.id, [], stats, error=exc.one_line())
    except Exception as exc:  # noqa: BLE001 - one broken dialog must not end a long run; it is counted and named
        log.warning("dialog %s: %s: %s", dialog.id, type(exc).__name__, exc)
        log.debug("traceback", exc_info=True)
        return DialogPairs(dialog.id, [], stats, error=f"{type(exc).__name__}: {exc}")
    pairs = [pair_of(case, n) for n in kept]
    for p in pairs:
        stats["by_kind"][p.kind]["kept"] += 1
        stats["by_error"][p.error] = stats["by_error"].get(p.error, 0) + 1
    pairs.sort(key=lambda p: p.id)
    return DialogPairs(dialog.id, pairs, stats)
