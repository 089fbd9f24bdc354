"""The downstream loop in one command: data made by a recipe → training files → train (SFT, then SFT + mDPO) →
BFCL multi-turn evaluation (base, miss_param, miss_func, long_context) of the base, SFT and SFT+mDPO models, run
locally and scored by bfcl-eval's own multi-turn checker on the real classes. Prints one table per category and
model with the number of entries and a 95 % Wilson interval; writes everything under --out.

    python benchmarks/downstream.py                     # CPU toy scale: minutes, a handful of entries
    python benchmarks/downstream.py --data-model gpt-4o-mini --plans 2000 --per-category 200 \\
        --sft-epochs 2 --mdpo-epochs 1 --max-steps 20 --max-new-tokens 512 --no-int8   # the GPU-scale run

Data. `toolsynth run` on a MAGNET recipe over the bundled BFCL catalog (travel + file system), executed on the
real BFCL classes. The default data model is the deterministic *scripted plan follower* of the test suite
(tests/synth/bfcl_plan_fixtures.py: it makes the planned calls, asks on split turns, refuses missing functions):
a stand-in for a teacher, because the offline SmolLM2-135M accepts 0 of 20 dialogs (README, Dialogs). Give
--data-model a real model for real data.

Training files. The recipe's `make-preferences` stage makes the pairs (rule, hint-free model and regeneration
negatives, each proven wrong by synthesis's checks); `toolsynth export -f trl-sft,mdpo --validation 0` writes the
two training files.

Decontamination. A training dialog whose user turns share a word 8-gram (whole turn when shorter) with any user
turn of the 800 BFCL v4 multi-turn questions of the four categories is left out; the counts are printed.

No claim of gain at toy scale: a 135M model, tens of dialogs and a few optimizer steps prove the loop, nothing more.
"""

from __future__ import annotations

import argparse
import copy
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
MODELS = ("base", "sft", "sft+mdpo")


# ---- data -----------------------------------------------------------------------------------------------------


def _synth_driver(argv: list[str]) -> None:
    """Run the toolsynth CLI with the scripted plan follower's rules installed (they live in this process)."""
    sys.path.insert(0, str(REPO / "tests" / "synth"))
    import bfcl_plan_fixtures as fx

    from toolsynth.cli import main
    from toolsynth.testing.scripted import ScriptedModel

    def follow(req: Any) -> Any:
        try:
            return fx.follow_hint(req)
        except Exception:  # noqa: BLE001 - a hint shape the fixture parser lacks: fall back to the default answer
            return None

    ScriptedModel.add_rule(lambda r: fx._hint_of(r) is not None and r.tools is not None, follow)
    ScriptedModel.add_rule(fx.judge_approves, fx.judge_approves)
    ScriptedModel.add_rule(fx.is_user_request, fx.plain_user)
    sys.argv = ["toolsynth", *argv]
    main()


def make_data(out: Path, plans: int, seed: int, data_model: str | None) -> Path:
    model = data_model or "scripted/plan-follower"
    recipe = out / "recipe.yaml"
    recipe.write_text(
        "name: downstream\nstrategy: magnet\n"
        f"seed: {seed}\ncatalog: {REPO / 'tool_catalogs' / 'bfcl'}\noutput_dir: data\n"
        f"llm: {{model: {model}, concurrency: 4, cache_dir: {REPO / '.toolsynth-cache'}}}\n"
        f"graph: {{embedding: {{cache_dir: {REPO / '.toolsynth-cache' / 'embeddings'}}}}}\n"
        f"plans: {{n: {plans}}}\n"
    )
    cmd = [sys.executable, __file__, "--synth-driver", "run", str(recipe)]
    if data_model:
        cmd = [sys.executable, "-m", "toolsynth", "run", str(recipe)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"data stage failed ({proc.returncode}): {proc.stderr[-2000:]}")
    for stage in ("synthesize:", "make-preferences:"):
        lines = [
            line for line in proc.stderr.splitlines() + proc.stdout.splitlines() if line.startswith(stage)
        ]
        print(f"data: {lines[-1] if lines else stage + ' done'} ({model})")
    return out / "data"


# ---- export + decontamination ----------------------------------------------------------------------------------


def export(data: Path, out: Path, decontam: Any) -> dict[str, Any]:
    """`toolsynth export` (trl-sft, mdpo; everything in train), then our n-gram filter against the evaluation."""
    proc = subprocess.run(
        [sys.executable, "-m", "toolsynth", "export", str(data / "dialogs.jsonl"), "-p",
         str(data / "preferences.jsonl"), "-o", str(out / "export"), "-f", "trl-sft,mdpo", "--validation", "0",
         "--json"],
        capture_output=True, text=True,
    )  # fmt: skip
    if proc.returncode != 0:
        sys.exit(f"export failed ({proc.returncode}): {proc.stderr[-2000:]}")
    counts, dropped = {}, []
    for name, sides in (("trl-sft", ("messages",)), ("mdpo", ("chosen", "rejected"))):
        kept = []
        for line in (out / "export" / name / "train.jsonl").read_bytes().splitlines():
            rec = orjson.loads(line)
            users = [m.get("content") or "" for side in sides for m in rec[side] if m.get("role") == "user"]
            hit = decontam.overlap(users)
            if hit is None:
                kept.append(line)
            else:
                dropped.append({"file": name, "ngram": " ".join(hit)})
        (out / "train-files" / name).mkdir(parents=True, exist_ok=True)
        (out / "train-files" / name / "train.jsonl").write_bytes(b"".join(k + b"\n" for k in kept))
        counts[name] = len(kept)
    print(
        f"export: {counts['trl-sft']} SFT dialogs, {counts['mdpo']} mDPO pairs; decontamination left out {len(dropped)}"
    )
    return {"sft": counts["trl-sft"], "pairs": counts["mdpo"], "decontaminated": dropped}


# ---- train + evaluate -----------------------------------------------------------------------------------------


def _train_or_reuse(mode: str, data: Path, out: Path, cfg: Any) -> dict[str, Any]:
    """Train, unless OUT already holds a model trained from these exact data and settings (a rerun after an
    interrupted evaluation does not pay for training again)."""
    from toolsynth.artifacts import file_sha256
    from toolsynth.train.run import train

    done = out / "train.json"
    if done.exists():
        prev = orjson.loads(done.read_bytes())
        if prev["data"]["sha256"] == file_sha256(data) and prev["config"] == cfg.model_dump(mode="json"):
            print(f"train {mode}: reusing {prev['model']}")
            return prev
    return train(mode, data, out, cfg)  # type: ignore[arg-type]


def train_models(out: Path, args: argparse.Namespace) -> dict[str, Any]:
    from toolsynth.train.config import TrainConfig
    from toolsynth.train.model import resolve_model_dir

    base = resolve_model_dir(args.base)
    common = {"learning_rate": args.lr, "seed": args.seed, "max_length": args.max_length}
    sft_cfg = TrainConfig(model=str(base), max_steps=args.sft_steps, epochs=args.sft_epochs, **common)
    sft = _train_or_reuse(
        "sft", out / "train-files" / "trl-sft" / "train.jsonl", out / "models" / "sft", sft_cfg
    )
    print(f"train sft: {sft['examples']} dialogs, {sft['steps']} steps, loss {sft['first_loss']:.3f} → "
          f"{sft['last_loss']:.3f}, {sft['seconds']} s")  # fmt: skip
    mdpo_cfg = TrainConfig(model=sft["model"], max_steps=args.mdpo_steps, epochs=args.mdpo_epochs, **common)
    mdpo = _train_or_reuse(
        "mdpo", out / "train-files" / "mdpo" / "train.jsonl", out / "models" / "mdpo", mdpo_cfg
    )
    print(f"train mdpo: {mdpo['examples']} pairs, {mdpo['steps']} steps, loss {mdpo['first_loss']:.3f} → "
          f"{mdpo['last_loss']:.3f}, {mdpo['seconds']} s")  # fmt: skip
    return {"base": str(base), "sft": sft, "sft+mdpo": mdpo}


def evaluate(models: dict[str, str], entries: dict[str, list[Any]], args: argparse.Namespace) -> list[dict]:
    from toolsynth.train.bfcl_multi_turn import run_entry
    from toolsynth.train.generate import LocalGenerator

    rows = []
    for label, model_dir in models.items():
        gen = LocalGenerator(Path(model_dir), max_new_tokens=args.max_new_tokens, int8=not args.no_int8)
        for category, picked in entries.items():
            t0 = time.perf_counter()
            for entry, truth in picked:
                res = run_entry(
                    copy.deepcopy(entry), truth, category, gen, label=label, max_steps=args.max_steps,
                    count_tokens=gen.count_tokens, context=gen.context,
                )  # fmt: skip
                rows.append({"model": label, **res.__dict__})
                print(
                    f"  eval {label:9s} {entry['id']:28s} {'valid' if res.valid else res.error_type or 'invalid'}"
                )
            print(
                f"  eval {label:9s} {category:12s} {len(picked)} entries in {time.perf_counter() - t0:.0f} s"
            )
    return rows


def table(rows: list[dict]) -> str:
    from toolsynth.integrations.bfcl.classes import MULTI_TURN_CATEGORIES as CATEGORIES
    from toolsynth.train.stats import wilson

    lines = ["| category | model | entries | correct | accuracy | 95 % CI (Wilson) | calls made |",
             "|---|---|---:|---:|---:|---|---:|"]  # fmt: skip
    for cat in CATEGORIES:
        for model in MODELS:
            sel = [r for r in rows if r["category"] == cat and r["model"] == model]
            if not sel:
                continue
            k, n = sum(r["valid"] for r in sel), len(sel)
            lo, hi = wilson(k, n)
            lines.append(
                f"| {cat} | {model} | {n} | {k} | {k / n:.1%} | [{lo:.1%}, {hi:.1%}] | {sum(r['calls'] for r in sel)} |"
            )
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--synth-driver":
        _synth_driver(sys.argv[2:])
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=REPO / "out" / "downstream")
    p.add_argument("--plans", type=int, default=24, help="MAGNET plans to synthesize")
    p.add_argument("--data-seed", type=int, default=3, help="the recipe's seed")
    p.add_argument(
        "--data-model", default=None, help="a real model for the data (default: scripted plan follower)"
    )
    p.add_argument("--base", default="local/smollm2", help="base model: local/smollm2 or a model directory")
    p.add_argument(
        "--per-category", type=int, default=1, help="BFCL entries per category (fewest turns first)"
    )
    p.add_argument("--sft-steps", type=int, default=4)
    p.add_argument("--mdpo-steps", type=int, default=2)
    p.add_argument("--sft-epochs", type=float, default=1.0)
    p.add_argument("--mdpo-epochs", type=float, default=1.0)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--max-length", type=int, default=4096)
    p.add_argument("--max-steps", type=int, default=2, help="model steps per turn (BFCL allows 20)")
    p.add_argument("--max-new-tokens", type=int, default=64)
    p.add_argument("--no-int8", action="store_true", help="evaluate in float32 (int8 is the CPU default)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    from toolsynth.integrations.bfcl.classes import MULTI_TURN_CATEGORIES as CATEGORIES
    from toolsynth.integrations.bfcl.multi_turn import load_category, user_texts
    from toolsynth.train.bfcl_multi_turn import pick
    from toolsynth.train.decontam import Decontaminator

    every = {c: load_category(c) for c in CATEGORIES}
    decontam = Decontaminator(n=8)
    for entries in every.values():
        for entry, _ in entries:
            decontam.add_eval_texts(user_texts(entry))
    picked = {c: pick(e, args.per_category) for c, e in every.items()}

    data = make_data(args.out, args.plans, args.data_seed, args.data_model)
    exported = export(data, args.out, decontam)
    if not exported["sft"] or not exported["pairs"]:
        sys.exit("no training data left after decontamination")
    trained = train_models(args.out, args)
    models = {
        "base": trained["base"],
        "sft": trained["sft"]["model"],
        "sft+mdpo": trained["sft+mdpo"]["model"],
    }
    rows = evaluate(models, picked, args)
    print()
    print(table(rows))
    total = time.perf_counter() - t0
    print(
        f"\ntotal {total / 60:.1f} min on {os.cpu_count()} CPU cores (shared machine); results in {args.out}"
    )
    report = {"args": {k: str(v) for k, v in vars(args).items()}, "export": exported, "train": trained,
              "entries": {c: [e["id"] for e, _ in v] for c, v in picked.items()}, "results": rows,
              "seconds": round(total, 1)}  # fmt: skip
    (args.out / "downstream.json").write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
