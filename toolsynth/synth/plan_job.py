"""One plan → one finished result, the unit an executor runs: the dialog, or why there is none (an error record
kept out of the journal). The same function runs in-process (local executor) and in a Ray worker, which builds its
own gateway and context from a picklable `SynthJobFactory`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from toolsynth.console import log
from toolsynth.errors import LLMError
from toolsynth.executors.config import ExecutorConfig
from toolsynth.plans.record import Plan
from toolsynth.synth.builder import DialogBuilder
from toolsynth.synth.config import SynthConfig
from toolsynth.synth.context import DialogOutcome, SynthContext
from toolsynth.synth.journal import error_record
from toolsynth.synth.turn_checks import Checker


@dataclass
class PlanResult:
    """A dialog to journal (`outcome`), or an error record for the errors file; `unavailable` when the model gave
    up on a call after its retries (then `exc` is that error, for the driver's stop-after-a-streak rule)."""

    outcome: DialogOutcome | None = None
    error: dict[str, Any] | None = None
    unavailable: bool = False
    exc: BaseException | None = None


async def realize_plan(plan: Plan, ctx: SynthContext) -> PlanResult:
    builder = DialogBuilder(plan, ctx)
    try:
        return PlanResult(outcome=await builder.run())
    except asyncio.CancelledError:
        raise
    except LLMError as exc:
        # A bad key or an unknown model fails every dialog alike: stop (the journal keeps what is done).
        # A request the provider refused on its own (context too long) only costs this dialog.
        if type(exc).__name__ == "LLMUnavailableError":
            # A flaky model gave up on one call after its retries: this dialog is not judged (not journaled,
            # retried by a rerun) and counted; many in a row mean the model is down (the driver stops).
            log.warning("dialog for %s: model unavailable: %s", plan.id, exc.one_line())
            return PlanResult(error=error_record(plan, builder, exc), unavailable=True, exc=exc)
        if type(exc).__name__ != "LLMRequestError":
            raise
        log.warning("dialog for %s: %s", plan.id, exc.one_line())
        return PlanResult(outcome=DialogOutcome(builder._dialog(), False, error=exc.one_line()))
    except Exception as exc:  # noqa: BLE001 - one broken dialog must not end a long run
        # A bug, not a verdict on the data: kept out of the journal (a rerun retries it), counted, and the dialog
        # as far as it got goes to the errors file for whoever fixes the bug.
        log.warning("dialog for %s failed: %s: %s", plan.id, type(exc).__name__, exc)
        log.debug("traceback", exc_info=True)
        return PlanResult(error=error_record(plan, builder, exc))


@dataclass
class SynthJobFactory:
    """What a Ray worker needs to make dialogs like the driver would: the gateway's settings and the context."""

    gateway: Any  # GatewaySpec
    config: SynthConfig
    models: dict[str, str]
    checker: Checker

    def build(self) -> SynthJob:
        return SynthJob(self)


class SynthJob:
    def __init__(self, factory: SynthJobFactory) -> None:
        self.gateway = factory.gateway.build()
        self.ctx = SynthContext(
            gateway=self.gateway, config=factory.config, models=dict(factory.models), checker=factory.checker
        )

    async def realize(self, plan: Plan) -> PlanResult:
        return await realize_plan(plan, self.ctx)

    def usage(self) -> dict[str, Any]:
        from toolsynth.executors.ray_executor import take_usage

        return take_usage(self.gateway)

    async def close(self) -> None:
        from toolsynth.executors.ray_executor import close_gateway

        await close_gateway(self.gateway)


def plan_executor(ctx: SynthContext, slots: int, config: ExecutorConfig | None = None) -> Any:
    """The executor `synth.executor` names, started: the local one runs `realize_plan` on `ctx` itself; the Ray
    one's workers rebuild the gateway from its settings (and report their usage back into it)."""
    config = config or ctx.config.executor
    if config.kind == "local":
        from toolsynth.executors.local import LocalExecutor

        return LocalExecutor(lambda plan: realize_plan(plan, ctx), slots)
    from toolsynth.executors.ray_executor import GatewaySpec, RayExecutor

    factory = SynthJobFactory(GatewaySpec.of(ctx.gateway), ctx.config, dict(ctx.models), ctx.checker)
    executor = RayExecutor(factory, config, slots, usage_into=ctx.gateway)
    executor.start()
    return executor
