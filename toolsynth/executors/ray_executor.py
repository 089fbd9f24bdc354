"""The Ray executor: items go to `workers` Ray actors, each with its own job (its own gateway, built from the same
settings in the worker); results come back to the driver, whose sink alone writes the journal.

The model cache needs no merging: it is one SQLite file in WAL mode that every worker process opens (concurrent
writers wait, `llm/cache.py`), so a local cluster shares it. Workers on other machines need the same path (a shared
disk) to share it; without one each node's answers are cached where it runs and the output is the same.

Ray is imported only here and only when this executor is chosen; the worker processes import toolsynth, so a remote
cluster needs it installed on its nodes (a local one inherits this process's environment).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from toolsynth.errors import ToolsynthError
from toolsynth.executors.base import drain
from toolsynth.executors.config import ExecutorConfig


class WorkerJob(Protocol):
    async def realize(self, item: Any) -> Any: ...

    def usage(
        self,
    ) -> dict[str, Any]: ...  # the worker gateway's usage since the last call (`Accounting.roles`)

    async def close(self) -> None: ...


class JobFactory(Protocol):
    """Picklable: sent to every worker, which builds its own job from it."""

    def build(self) -> WorkerJob: ...


@dataclass(frozen=True)
class GatewaySpec:
    """What a worker needs to build a gateway like the driver's: settings, stage and cache directory."""

    config: Any
    stage: str
    cache_dir: str | None

    @classmethod
    def of(cls, gateway: Any) -> GatewaySpec:
        from toolsynth.llm.gateway import Gateway

        if not isinstance(gateway, Gateway):
            raise ToolsynthError(
                "the ray executor builds one gateway per worker from the run's settings; this run's model client "
                f"({type(gateway).__name__}) cannot be rebuilt that way",
                where="executor",
            )
        cache = gateway.cache
        # Absolute: a worker's working directory need not be the driver's.
        return cls(
            gateway.config, gateway.stage, str(cache.directory.resolve()) if cache is not None else None
        )

    def build(self) -> Any:
        from toolsynth.llm.factory import make_gateway

        return make_gateway(self.config, self.stage, Path(self.cache_dir) if self.cache_dir else None)


def take_usage(gateway: Any) -> dict[str, Any]:
    """A worker gateway's usage since the last call (then zero), for the driver's manifest; its cache is flushed
    first, so what a run paid for is on disk when the run ends."""
    if gateway.cache is not None:
        gateway.cache.flush()
    acc = gateway.accounting
    with acc._lock:
        roles, acc.roles = dict(acc.roles), {}
    return roles


async def close_gateway(gateway: Any) -> None:
    await gateway.aclose()
    gateway.close()


def merge_usage(gateway: Any, roles: dict[str, Any]) -> None:
    """A worker's usage into the driver's gateway, so the stage's manifest and summary line count every call."""
    acc = getattr(gateway, "accounting", None)
    if acc is None:
        return
    with acc._lock:
        for role, usage in roles.items():
            acc.role(role, usage.model).add(usage)


class _Worker:
    """One Ray actor: builds its job once, then realizes items concurrently (an async actor)."""

    def __init__(self, factory: JobFactory) -> None:
        self._job = factory.build()

    async def ready(self) -> bool:
        return True

    async def realize(self, item: Any) -> Any:
        return await self._job.realize(item)

    async def usage(self) -> dict[str, Any]:
        return self._job.usage()

    async def close(self) -> None:
        await self._job.close()


def _probe(address: str) -> None:
    """Fail fast, in one line, on a head that does not answer (ray.init would wait and log for a long time)."""
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ToolsynthError(f"expected host:port (or auto), got {address!r}", where="--address")
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
    except OSError as exc:
        raise ToolsynthError(
            f"no Ray cluster answers at {address}: {exc.strerror or exc}", where="--address"
        ) from exc


def connect(config: ExecutorConfig) -> bool:
    """Ray ready for this run: an already initialized Ray (a test's, a notebook's), the cluster at `address`, or a
    local one started here. True when this call started or joined it (and the run must shut it down)."""
    try:
        import ray
    except ImportError as exc:
        raise ToolsynthError(
            "the ray executor needs the ray package: pip install 'toolsynth[ray]'", where="executor"
        ) from exc
    if config.address and config.address != "auto":
        _probe(config.address)
    if ray.is_initialized():
        return False
    try:
        if config.address:
            ray.init(address=config.address, logging_level=logging.WARNING)
        else:
            ray.init(num_cpus=config.workers, include_dashboard=False, logging_level=logging.WARNING)
    except Exception as exc:  # noqa: BLE001 - Ray raises many kinds here; each is the user's setup, one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ToolsynthError(f"cannot start Ray: {first}", where=config.address or "executor") from exc
    return True


def _cause(exc: BaseException) -> BaseException:
    """The worker's own exception inside Ray's wrapper, so the driver handles it as the local executor would."""
    cause = getattr(exc, "cause", None)
    return cause if isinstance(cause, BaseException) else exc


class RayExecutor:
    def __init__(
        self,
        factory: JobFactory,
        config: ExecutorConfig,
        slots_per_worker: int,
        *,
        usage_into: Any = None,
        finish_in_flight: bool = False,
    ) -> None:
        self.factory = factory
        self.config = config
        self.slots_per_worker = max(1, slots_per_worker)
        self.usage_into = usage_into
        self.finish_in_flight = finish_in_flight
        self._actors: list[Any] = []
        self._owns_ray = False

    def start(self) -> None:
        """Connect and start the workers; every failure here is a one-line error before anything is written."""
        self._owns_ray = connect(self.config)
        import ray

        try:
            # Workers wait on the model, not on CPUs: they take none, so they fit any cluster; SPREAD puts them on
            # different nodes when there are several.
            actor = ray.remote(num_cpus=0, max_concurrency=self.slots_per_worker + 2)(_Worker)
            self._actors = [
                actor.options(scheduling_strategy="SPREAD").remote(self.factory)
                for _ in range(self.config.workers)
            ]
            ray.get([a.ready.remote() for a in self._actors])
        except Exception as exc:
            self.close()
            cause = _cause(exc)
            if isinstance(cause, ToolsynthError):
                raise cause from None
            # Ray's message is the worker's whole traceback; its last line is the error itself.
            lines = [ln.strip() for ln in str(cause).splitlines() if ln.strip()]
            last = lines[-1] if lines else type(cause).__name__
            raise ToolsynthError(f"the Ray workers did not start: {last}", where="executor") from exc

    async def run(self, next_item: Callable[[], Any], sink: Callable[[Any], None]) -> None:
        from ray.exceptions import RayActorError, RayTaskError

        if not self._actors:
            self.start()

        async def realize(slot: int, item: Any) -> Any:
            actor = self._actors[slot % len(self._actors)]
            try:
                return await actor.realize.remote(item)
            except RayTaskError as exc:
                raise _cause(exc) from None
            except RayActorError as exc:
                raise ToolsynthError(
                    f"a Ray worker died ({type(exc).__name__}); what finished is journaled: rerun to resume",
                    where="executor",
                ) from exc

        try:
            slots = self.slots_per_worker * len(self._actors)
            await drain(slots, next_item, realize, sink, finish_in_flight=self.finish_in_flight)
        finally:
            await self._collect_usage()

    async def _collect_usage(self) -> None:
        import asyncio

        usages = await asyncio.gather(*(a.usage.remote() for a in self._actors), return_exceptions=True)
        for u in usages:
            if isinstance(u, dict) and self.usage_into is not None:
                merge_usage(self.usage_into, u)

    def close(self) -> None:
        """Workers flush and close their gateways, then go; a Ray this executor started is shut down."""
        import ray

        if self._actors:
            # A worker that died has nothing left to flush.
            with contextlib.suppress(Exception):
                ray.get([a.close.remote() for a in self._actors], timeout=60)
        for a in self._actors:
            ray.kill(a)
        self._actors = []
        if self._owns_ray:
            ray.shutdown()
            self._owns_ray = False
