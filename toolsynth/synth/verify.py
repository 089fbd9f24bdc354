"""`verify`: run the checks over a whole dialogs file, ours or anyone's, and summarize per layer.

Each dialog is replayed on a fresh backend (its own initial state), so execution is judged exactly as a trainer's
data would have been produced. Nothing is dropped: the report counts every turn per layer, lists the failing records,
and can write the failing records (with the failing check and turn) to a rejects file and every record, annotated
with its checks, to an output file.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolsynth.artifacts import ArtifactWriter, iter_jsonl
from toolsynth.catalog.model import Tool
from toolsynth.errors import InputError
from toolsynth.llm.protocol import ModelClient
from toolsynth.plans.record import Plan
from toolsynth.synth.backends.base import Backend, normalize_spec
from toolsynth.synth.backends.registry import make_backend
from toolsynth.synth.backends.trust import UntrustedBackendError, combine
from toolsynth.synth.checks import LAYERS, RULE_LAYERS, ToolIndex, check_dialog, is_judge_error
from toolsynth.synth.ingest import DialogFormat, Unreadable, read_dialogs
from toolsynth.synth.record import CheckResult, Dialog, DialogReject, RecordSource


def parse_layers(text: str | Iterable[str] | None) -> list[str]:
    """`format,execution` → ordered list; `all` = every layer; `rules` = everything but the LLM judge."""
    if text is None:
        return list(RULE_LAYERS)
    items = [s.strip().lower() for s in (text.split(",") if isinstance(text, str) else text) if s.strip()]
    out: list[str] = []
    for item in items:
        expand = {"all": list(LAYERS), "rules": list(RULE_LAYERS)}.get(item, [item])
        for layer in expand:
            if layer not in LAYERS:
                raise InputError(
                    f"unknown check {layer!r} (choose from {', '.join(LAYERS)}, or all / rules)",
                    where="--checks",
                )
            if layer not in out:
                out.append(layer)
    if not out:
        raise InputError("no checks selected", where="--checks")
    return out


def load_tools(path: str | Path) -> list[Tool]:
    """Tools from a toolsynth `tools.jsonl` or from any catalog the catalog loaders read."""
    path = Path(path)
    if path.is_file() and path.suffix == ".jsonl":
        first = next(iter_jsonl(path), None)
        if first is not None and str(first[1].get("schema", "")).startswith("toolsynth.tool/"):
            return [Tool.from_record(rec) for _, rec in iter_jsonl(path)]
    if not path.exists():
        raise InputError("tools file or catalog not found", where=str(path))
    try:
        from toolsynth.catalog.load import load_catalog
    except ImportError as exc:  # pragma: no cover - the loaders ship with the package
        raise InputError("catalog loaders are not available in this build", where=str(path)) from exc
    tools = list(load_catalog(path).tools)
    if not tools:
        raise InputError("no tools found", where=str(path))
    return tools


def load_plans(path: str | Path) -> dict[str, Plan]:
    return {p.id: p for p in (Plan.from_record(rec) for _, rec in iter_jsonl(path))}


@dataclass
class LayerCounts:
    passed: int = 0
    failed: int = 0
    not_applicable: int = 0
    records_failed: int = 0

    @property
    def checked(self) -> int:
        return self.passed + self.failed

    def rate(self) -> float | None:
        return self.passed / self.checked if self.checked else None

    def to_dict(self) -> dict[str, Any]:
        rate = self.rate()
        return {
            "turns_passed": self.passed,
            "turns_failed": self.failed,
            "turns_not_applicable": self.not_applicable,
            "turn_pass_rate": None if rate is None else round(rate, 4),
            "records_failed": self.records_failed,
        }


@dataclass
class RecordOutcome:
    line: int
    format: DialogFormat
    dialog: Dialog
    checks: list[CheckResult]
    required: set[str]

    @property
    def passed(self) -> bool:
        return all(c.passed is not False for c in self.checks if c.layer in self.required)

    def failures(self) -> list[CheckResult]:
        return [c for c in self.checks if c.passed is False and c.layer in self.required]


@dataclass
class VerifyReport:
    path: str
    layers: list[str]
    records: int = 0
    passed: int = 0
    formats: Counter[str] = field(default_factory=Counter)
    per_layer: dict[str, LayerCounts] = field(default_factory=dict)
    failing: list[dict[str, Any]] = field(default_factory=list)
    max_listed: int = 50
    judge_errors: int = 0  # semantic checks with no verdict from the judge (each fails its turn)
    first_unknown: tuple[int, str] | None = None  # the first line no reader could take, and why

    def add(self, outcome: RecordOutcome) -> None:
        self.records += 1
        self.formats[outcome.format] += 1
        if outcome.format == "unknown" and self.first_unknown is None:
            self.first_unknown = (outcome.line, outcome.checks[0].reason if outcome.checks else "unreadable")
        if outcome.passed:
            self.passed += 1
        failed_layers: set[str] = set()
        self.judge_errors += sum(1 for c in outcome.checks if is_judge_error(c))
        for c in outcome.checks:
            counts = self.per_layer.setdefault(c.layer, LayerCounts())
            if c.passed is True:
                counts.passed += 1
            elif c.passed is False:
                counts.failed += 1
                failed_layers.add(c.layer)
            else:
                counts.not_applicable += 1
        for layer in failed_layers:
            self.per_layer[layer].records_failed += 1
        if not outcome.passed and len(self.failing) < self.max_listed:
            self.failing.append(
                {
                    "id": outcome.dialog.id,
                    "line": outcome.line,
                    "failures": [
                        {"layer": c.layer, "turn": c.turn, "reason": c.reason} for c in outcome.failures()
                    ],
                }
            )

    @property
    def failed(self) -> int:
        return self.records - self.passed

    def accept_rate(self) -> float:
        return self.passed / self.records if self.records else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "checks": self.layers,
            "records": self.records,
            "records_passed": self.passed,
            "records_failed": self.failed,
            "accept_rate": round(self.accept_rate(), 4),
            "formats": dict(self.formats),
            "layers": {layer: self.per_layer.get(layer, LayerCounts()).to_dict() for layer in self.layers},
            "failing": self.failing,
            "failing_listed": len(self.failing),
            "judge_errors": self.judge_errors,
        }


def unreadable_outcome(
    line: int, fmt: DialogFormat, rid: str, reason: str, required: set[str]
) -> RecordOutcome:
    """A record that could not be read as a dialog fails the format layer (it could never be trained on as is)."""
    empty = Dialog(id=rid, plan_id="", strategy="external", tools=[], messages=[], turns=[])
    check = CheckResult(layer="format", turn=0, passed=False, reason=reason)
    return RecordOutcome(line, fmt, empty, [check], required | {"format"})


def reject_record(outcome: RecordOutcome) -> dict[str, Any]:
    """A `dialog_reject` record, the same shape synthesize writes: the dialog (with its checks), plus `failure`
    (the first failing required check) and where the record came from."""
    fails = outcome.failures()
    dialog = outcome.dialog.model_copy(update={"checks": outcome.checks})
    source = RecordSource(line=outcome.line, format=outcome.format)
    return DialogReject.of(dialog, fails[0] if fails else None, source=source).to_record()


class BackendChooser:
    """Which backend replays a dialog: `--backend` when given, else the spec the dialog recorded when a data file
    may name it (`backends.trust`): a record never makes `verify` import or run code the user did not choose."""

    def __init__(self, override: str | dict[str, Any] | None, tools: list[Tool]) -> None:
        self.disabled = override == "none"
        self.override = None if override in (None, "", "auto", "none") else normalize_spec(override)
        self.tools = tools
        if self.override is not None and self.override["kind"] == "python":
            # The user's own module: a missing or broken one is a usage error of the whole command (exit 2),
            # found before any record is judged.
            make_backend(self.override, tools, trusted=True)

    def spec_for(self, dialog: Dialog) -> dict[str, Any] | None:
        """The spec to run; `UntrustedBackendError` when only the record names one and it is not data-safe."""
        if self.disabled:
            return None
        recorded = normalize_spec(dialog.backend_spec) if dialog.backend_spec else None
        if self.override is None and recorded is not None and recorded["kind"] == "simulated":
            return None  # simulated results are checked against return schemas, not regenerated
        return combine(recorded, self.override)

    def make(self, dialog: Dialog, tools: ToolIndex) -> Backend | None:
        spec = self.spec_for(dialog)
        if spec is None:
            return None
        # Trusted: either the user's own choice, or a record's spec that passed the allow-list above.
        return make_backend(spec, tools.tools(), trusted=True)


def prepare(dialog: Dialog, catalog: ToolIndex | None) -> Dialog:
    """A dialog that names no tools was made for the whole catalog: offer all of it."""
    if dialog.tools or catalog is None:
        return dialog
    defs = [t.to_openai() for t in catalog.tools()]
    return dialog.model_copy(update={"tools": defs})


async def verify_dialogs(
    items: Iterable[tuple[int, DialogFormat, Dialog | Unreadable]],
    *,
    path: str = "",
    tools: list[Tool] | None = None,
    backend: str | dict[str, Any] | None = None,
    layers: Iterable[str] = RULE_LAYERS,
    required: Iterable[str] | None = None,
    gateway: ModelClient | None = None,
    plans: dict[str, Plan] | None = None,
    concurrency: int = 16,
    on_outcome: Callable[[RecordOutcome], None] | None = None,
) -> VerifyReport:
    """Check every dialog; `on_outcome` sees each result in input order (for writing rejects/annotated output)."""
    layer_list = list(layers)
    required_set = set(required) if required is not None else set(layer_list)
    report = VerifyReport(path=path, layers=layer_list)
    catalog = ToolIndex(tools) if tools else None
    chooser = BackendChooser(backend, tools or [])

    async def one(line: int, fmt: DialogFormat, item: Dialog | Unreadable) -> RecordOutcome:
        if isinstance(item, Unreadable):
            return unreadable_outcome(line, fmt, item.id, item.reason, required_set)
        try:
            return await judge(line, fmt, item)
        except InputError as exc:
            # Something in this record (not in the command) is broken: it fails on its own, the file goes on.
            return unreadable_outcome(line, fmt, item.id, exc.one_line(), required_set)

    async def judge(line: int, fmt: DialogFormat, item: Dialog) -> RecordOutcome:
        # A dialog that names no tools (and no --tools) is plain chat, which is valid data: it gets the checks
        # that apply to chat (a call in it names no offered tool and fails format).
        dialog = prepare(item, catalog)
        try:
            idx = ToolIndex.for_dialog(dialog, catalog)
        except InputError as exc:
            return unreadable_outcome(
                line, fmt, dialog.id, f"invalid tool definition: {exc.one_line()}", required_set
            )
        be: Backend | None = None
        start_error: str | None = None
        not_run: str | None = None
        if "execution" in layer_list:
            try:
                be = chooser.make(dialog, idx)
            except UntrustedBackendError as exc:
                # Judged without execution (recorded results only); the execution layer says why.
                not_run = f"not executed: {exc.message}"
            except Exception as exc:  # noqa: BLE001 - a record the backend cannot start fails on its own
                detail = exc.one_line() if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
                start_error = f"backend could not start: {detail}"
        checks = await check_dialog(
            dialog,
            tools=idx,
            backend=be,
            layers=layer_list,
            gateway=gateway,
            plan=(plans or {}).get(dialog.plan_id),
        )
        if not_run:
            checks = [
                c.model_copy(update={"reason": f"{c.reason}; {not_run}"}) if c.layer == "execution" else c
                for c in checks
            ]
        if start_error:
            checks = [
                CheckResult(layer="execution", turn=c.turn, passed=False, reason=start_error)
                if c.layer == "execution" and c.passed is not None
                else c
                for c in checks
            ]
        return RecordOutcome(line, fmt, dialog, checks, required_set)

    sem = asyncio.Semaphore(max(1, concurrency))

    async def bounded(item: tuple[int, DialogFormat, Dialog | Unreadable]) -> RecordOutcome:
        async with sem:
            return await one(*item)

    # Windows keep memory bounded on big files while the judge calls inside a window run concurrently.
    for window in _windows(items, max(1, concurrency) * 4):
        for outcome in await asyncio.gather(*(bounded(it) for it in window)):
            report.add(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
    return report


def _windows(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for it in items:
        batch.append(it)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def verify_file(
    path: str | Path,
    *,
    tools: list[Tool] | None = None,
    backend: str | dict[str, Any] | None = None,
    layers: Iterable[str] = RULE_LAYERS,
    required: Iterable[str] | None = None,
    gateway: ModelClient | None = None,
    plans: dict[str, Plan] | None = None,
    fmt: DialogFormat | None = None,
    rejects: str | Path | None = None,
    annotated: str | Path | None = None,
    concurrency: int = 16,
    on_outcome: Callable[[RecordOutcome], None] | None = None,
) -> VerifyReport:
    """Synchronous entry point: verify a file, optionally writing rejects and annotated dialogs (atomically)."""
    rej = ArtifactWriter(rejects, "dialog_reject") if rejects else None
    ann = ArtifactWriter(annotated, "dialog") if annotated else None

    def sink(outcome: RecordOutcome) -> None:
        if rej is not None and not outcome.passed:
            rej.write(reject_record(outcome))
        if ann is not None:
            ann.write(outcome.dialog.model_copy(update={"checks": outcome.checks}).to_record())
        if on_outcome is not None:
            on_outcome(outcome)

    async def main() -> VerifyReport:
        return await verify_dialogs(
            read_dialogs(path, fmt, keep_going=True),
            path=str(path),
            tools=tools,
            backend=backend,
            layers=layers,
            required=required,
            gateway=gateway,
            plans=plans,
            concurrency=concurrency,
            on_outcome=sink,
        )

    writers = [w for w in (rej, ann) if w is not None]
    for w in writers:
        w.__enter__()
    try:
        report = asyncio.run(main())
        if report.records and report.formats.get("unknown", 0) == report.records:
            # Not one line of the file is a dialog record: the input is wrong, not the data (exit 2).
            line, reason = report.first_unknown or (0, "no dialog records")
            raise InputError(f"{reason} (no line of this file is a dialog record)", where=f"{path}:{line}")
    except BaseException as exc:
        for w in writers:
            w.__exit__(type(exc), exc, exc.__traceback__)
        raise
    for w in writers:
        w.__exit__(None, None, None)
    return report
