"""`run_recipe`: the whole pipeline from one recipe, stage by stage, each writing into the recipe's `output_dir`.

catalog convert → build-graph → sample-plans → synthesize → make-preferences → export → report, each stage the
same library function its command calls, with the recipe's settings. A stage whose inputs (the files the earlier
stages wrote, hashed) and settings (its recipe sections) are the same as when it last finished is skipped
(`run_state`); `force` ignores that.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolsynth.console import log, progress_log

if TYPE_CHECKING:
    from toolsynth.recipe import Recipe

STAGES = ("convert", "build-graph", "sample-plans", "synthesize", "make-preferences", "export", "report")


@dataclass(frozen=True)
class Stage:
    name: str
    command: list[str]  # the equivalent `toolsynth` command line, for the progress log
    inputs: list[Path]  # files or directories whose content the stage reads
    outputs: list[Path]  # what it writes (the first is the one shown)
    call: Callable[[], Any]  # runs the stage, returns its result object


def plan_stages(
    recipe: Recipe, recipe_path: Path, out: Path, catalog: Path, *, restart: bool = False
) -> list[Stage]:
    """Every stage, in order, with its inputs, outputs and the library call that makes them."""
    from toolsynth import pipeline as p

    r = str(recipe_path)
    tools, graph, plans = out / "tools.jsonl", out / "graph", out / "plans.jsonl"
    dialogs, prefs, export = out / "dialogs.jsonl", out / "preferences.jsonl", out / "export"
    rejects = out / "dialogs.rejects.jsonl"

    def do_export() -> Any:
        # pairs only when make-preferences wrote them
        return p.export(
            dialogs,
            export,
            p.export_settings(recipe, where=r),
            preferences=prefs if prefs.exists() else None,
        )

    export_cmd = ["export", str(dialogs), "-o", str(export)]
    export_cmd += (["--preferences", str(prefs)] if prefs.exists() else []) + ["--recipe", r]
    return [
        Stage(
            "convert",
            ["catalog", "convert", str(catalog), "-o", str(tools)],
            [catalog],
            [tools],
            lambda: p.convert(catalog, tools),
        ),
        Stage(
            "build-graph",
            ["build-graph", str(tools), "-o", str(graph), "--recipe", r],
            [tools],
            [graph],
            lambda: p.build_graph(tools, graph, p.graph_settings(recipe), recipe_path=recipe_path),
        ),
        Stage(
            "sample-plans",
            ["sample-plans", str(graph), "-o", str(plans), "--recipe", r],
            [graph / "nodes.jsonl", graph / "edges.jsonl"],
            [plans],
            lambda: p.sample_plans(graph, plans, p.plan_settings(recipe), recipe_path=recipe_path),
        ),
        Stage(
            "synthesize",
            ["synthesize", str(plans), "-o", str(dialogs), "--recipe", r]
            + (["--restart"] if restart else []),
            [plans],
            [dialogs, rejects],
            lambda: p.synthesize(
                plans, dialogs, p.synth_settings(recipe), restart=restart, recipe_path=recipe_path
            ),
        ),
        Stage(
            "make-preferences",
            ["make-preferences", str(dialogs), "-o", str(prefs), "--recipe", r],
            [dialogs],
            [prefs],
            lambda: p.make_preferences(dialogs, prefs, p.prefs_settings(recipe), recipe_path=recipe_path),
        ),
        Stage("export", export_cmd, [dialogs, prefs], [export], do_export),
        Stage(
            "report",
            ["report", str(out)],
            [tools, plans, dialogs, rejects, prefs, export],
            [out / "report.html"],
            lambda: p.report(out),
        ),
    ]


@dataclass(frozen=True)
class StageRun:
    stage: str
    # ran, skipped or not built; "failed" (seen by on_stage only): the stage whose exit code stopped the run
    status: str
    artifact: str
    seconds: float
    result: Any = None  # the stage function's result object when it ran

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "status": self.status,
            "artifact": self.artifact,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class RunResult:
    recipe: Path
    output_dir: Path
    stages: list[StageRun]
    seconds: float
    acceptance_rate: float | None
    fail_under: float | None
    exit_code: int  # 0 done; 1 the acceptance gate failed; else the code of the stage that stopped the run
    stopped_at: str | None = None  # the stage whose non-zero exit stopped the run (later stages did not run)
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def gate_failed(self) -> bool:
        return self.stopped_at is None and self.exit_code == 1

    @property
    def dataset(self) -> Path | None:
        return self.output_dir / "export" if (self.output_dir / "export").is_dir() else None

    @property
    def report(self) -> Path | None:
        return self.output_dir / "report.html" if (self.output_dir / "report.html").exists() else None

    def to_json(self) -> dict[str, Any]:
        return {
            "recipe": str(self.recipe),
            "output_dir": str(self.output_dir),
            "stages": [s.to_json() for s in self.stages],
            "seconds": self.seconds,
            "acceptance_rate": self.acceptance_rate,
            "fail_under": self.fail_under,
            "dataset": str(self.dataset) if self.dataset else None,
            "report": str(self.report) if self.report else None,
            "exit_code": self.exit_code,
        }


def _acceptance(out: Path) -> float | None:
    from toolsynth.artifacts import read_manifest

    manifest = read_manifest(out / "dialogs.jsonl") if (out / "dialogs.jsonl").exists() else None
    rate = ((manifest or {}).get("counts") or {}).get("acceptance_rate")
    return float(rate) if isinstance(rate, int | float) else None


def run_recipe(
    recipe_path: Path,
    *,
    start: str = STAGES[0],
    until: str = STAGES[-1],
    fail_under: float | None = None,
    force: bool = False,
    restart: bool = False,
    on_stage: Callable[[StageRun], None] | None = None,
) -> RunResult:
    """Run stages `start`..`until` of the recipe at `recipe_path` (earlier artifacts must exist).

    `fail_under`: exit_code 1 when the share of accepted dialogs is below it (every stage still runs, so the report
    shows why); `restart`: synthesize drops an earlier run's unfinished journal; `on_stage` sees each stage as it
    finishes or is skipped. A stage whose result has a non-zero `exit_code` stops the run with that code."""
    from toolsynth.errors import NotBuiltError, RecipeError
    from toolsynth.pipeline.run_state import content_hash, fingerprint, read_state, unchanged, write_state
    from toolsynth.recipe import load_recipe

    for name, value in (("--until", until), ("--from", start)):
        if value not in STAGES:
            raise RecipeError(f"unknown stage {value!r}; choose one of {', '.join(STAGES)}", where=name)
    if STAGES.index(start) > STAGES.index(until):
        raise RecipeError(f"--from {start} comes after --until {until}", where="--from")

    r = load_recipe(recipe_path)
    out = r.resolve(r.output_dir).resolve()
    catalog = r.resolve(r.catalog)
    if not catalog.exists():
        raise RecipeError(f"catalog path {str(catalog)!r} does not exist", where=f"{recipe_path}: catalog")
    first, last = STAGES.index(start), STAGES.index(until)
    stage_names = STAGES[first : last + 1]
    if start != "convert":
        probe = plan_stages(r, recipe_path, out, catalog)[first]
        missing = [q for q in probe.inputs[:1] if not q.exists()]
        if missing:
            raise RecipeError(
                f"--from {start} needs {missing[0]}, which an earlier stage writes", where="--from"
            )
    state = {} if force else read_state(out)
    runs: list[StageRun] = []
    results: dict[str, Any] = {}
    t_all = time.perf_counter()

    def finish(run: StageRun) -> None:
        runs.append(run)
        if on_stage is not None:
            on_stage(run)

    for name in stage_names:
        # planned again before each stage: what a stage runs on depends on what the stages before it wrote
        stage = plan_stages(r, recipe_path, out, catalog, restart=restart)[STAGES.index(name)]
        fp = fingerprint(r, stage.name, stage.inputs)
        shown = str(stage.outputs[0])
        forced = restart and stage.name == "synthesize"
        if unchanged(state, stage.name, fp, stage.outputs) and not forced:
            progress_log.info("stage %s: skipped, inputs and settings unchanged (%s)", stage.name, shown)
            finish(StageRun(stage.name, "skipped", shown, 0.0))
            continue
        progress_log.info("stage %s: toolsynth %s", stage.name, " ".join(stage.command))
        t0 = time.perf_counter()
        try:
            result = stage.call()
        except NotBuiltError as exc:
            log.warning("stage %s: %s; skipped", stage.name, exc.one_line())
            finish(StageRun(stage.name, "not built", shown, 0.0))
            continue
        results[stage.name] = result
        seconds = round(time.perf_counter() - t0, 2)
        rc = int(getattr(result, "exit_code", 0) or 0)
        if rc != 0:
            if on_stage is not None:
                on_stage(StageRun(stage.name, "failed", shown, seconds, result))
            log.error("stage %s exited with code %d; later stages not run", stage.name, rc)
            return RunResult(
                recipe=recipe_path,
                output_dir=out,
                stages=runs,
                seconds=round(time.perf_counter() - t_all, 2),
                acceptance_rate=_acceptance(out),
                fail_under=fail_under,
                exit_code=rc,
                stopped_at=stage.name,
                results=results,
            )
        state[stage.name] = {"fingerprint": fp, "outputs": content_hash(stage.outputs), "seconds": seconds}
        write_state(out, state)
        finish(StageRun(stage.name, "ran", shown, seconds, result))

    rate = _acceptance(out)
    gate_failed = fail_under is not None and (rate is None or rate < fail_under)
    return RunResult(
        recipe=recipe_path,
        output_dir=out,
        stages=runs,
        seconds=round(time.perf_counter() - t_all, 2),
        acceptance_rate=rate,
        fail_under=fail_under,
        exit_code=1 if gate_failed else 0,
        results=results,
    )
