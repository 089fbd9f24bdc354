"""One dialog → its pairs, as an executor runs it: in-process (local executor) or in a Ray worker, which builds its
own gateway and context from a picklable `PrefsJobFactory`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from toolsynth.executors.config import ExecutorConfig
from toolsynth.prefs.config import PrefsConfig
from toolsynth.prefs.dialog_pairs import DialogPairs, PrefsContext, pairs_for_dialog
from toolsynth.synth.config import SynthConfig
from toolsynth.synth.record import Dialog


@dataclass
class PrefsJobFactory:
    gateway: Any  # GatewaySpec, or None for a run without a model (rule negatives only)
    config: PrefsConfig
    synth: SynthConfig
    negative_model: str | None

    def build(self) -> PrefsJob:
        return PrefsJob(self)


class PrefsJob:
    def __init__(self, factory: PrefsJobFactory) -> None:
        self.gateway = factory.gateway.build() if factory.gateway is not None else None
        self.ctx = PrefsContext(
            config=factory.config,
            synth=factory.synth,
            gateway=self.gateway,
            negative_model=factory.negative_model,
        )

    async def realize(self, dialog: Dialog) -> DialogPairs:
        return await pairs_for_dialog(dialog, self.ctx)

    def usage(self) -> dict[str, Any]:
        from toolsynth.executors.ray_executor import take_usage

        return take_usage(self.gateway) if self.gateway is not None else {}

    async def close(self) -> None:
        from toolsynth.executors.ray_executor import close_gateway

        if self.gateway is not None:
            await close_gateway(self.gateway)


def dialog_executor(ctx: PrefsContext, slots: int, config: ExecutorConfig | None = None) -> Any:
    """The executor `prefs.executor` names, started. Dialogs in flight when one fails are let finish (and
    journaled) before the error surfaces, as make-preferences always did."""
    config = config or ctx.config.executor
    if config.kind == "local":
        from toolsynth.executors.local import LocalExecutor

        return LocalExecutor(lambda d: pairs_for_dialog(d, ctx), slots, finish_in_flight=True)
    from toolsynth.executors.ray_executor import GatewaySpec, RayExecutor

    spec = GatewaySpec.of(ctx.gateway) if ctx.gateway is not None else None
    factory = PrefsJobFactory(spec, ctx.config, ctx.synth, ctx.negative_model)
    executor = RayExecutor(factory, config, slots, usage_into=ctx.gateway, finish_in_flight=True)
    executor.start()
    return executor
