"""`toolsynth train sft|mdpo`: fine-tune a local model on the `trl-sft` or `mdpo` export (TRL + peft)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from toolsynth.commands.common import emit_json
from toolsynth.console import stdout

app = typer.Typer(
    help="Fine-tune a local model on toolsynth's exports: SFT (trl-sft) or MAGNET's multi-turn DPO (mdpo).",
    no_args_is_help=True,
)

_MODEL_HELP = (
    "A local model directory, or local/smollm2 (offline default). For mdpo: usually the SFT output's model/."
)


def _config(recipe: Path | None, overrides: dict[str, Any]) -> Any:
    from toolsynth.train.config import TrainConfig

    cfg = TrainConfig()
    if recipe is not None:
        from toolsynth.recipe import load_recipe

        r = load_recipe(recipe)
        cfg = r.train
        if not cfg.model.startswith("local/"):
            cfg = cfg.model_copy(update={"model": str(r.resolve(cfg.model))})
    updates = {k: v for k, v in overrides.items() if v is not None and k != "no_lora"}
    if overrides.get("no_lora"):
        updates["lora"] = cfg.lora.model_copy(update={"enabled": False})
    return cfg.model_copy(update=updates)


def _run(mode: str, data: Path, output: Path, cfg: Any, as_json: bool) -> None:
    from toolsynth.pipeline import train

    summary = train(mode, data, output, cfg).to_json()  # type: ignore[arg-type]
    if as_json:
        emit_json(summary)
        return
    dropped = len(summary["dropped_too_long"])
    stdout.print(
        f"{mode}: {summary['examples']} examples"
        + (f" ({dropped} longer than max_length left out)" if dropped else "")
        + f", {summary['steps']} steps, loss {summary['first_loss']:.4f} → {summary['last_loss']:.4f}"
        + f" in {summary['seconds']} s on {summary['device']} → {summary['model']}"
    )


def _common(
    data: Path,
    output: Path,
    recipe: Path | None,
    model: str | None,
    epochs: float | None,
    max_steps: int | None,
    learning_rate: float | None,
    max_length: int | None,
    seed: int | None,
    no_lora: bool,
) -> dict[str, Any]:
    return {
        "model": model,
        "epochs": epochs,
        "max_steps": max_steps,
        "learning_rate": learning_rate,
        "max_length": max_length,
        "seed": seed,
        "no_lora": no_lora,
    }


DATA = typer.Argument(
    ..., help="The export file: OUTDIR/trl-sft/train.jsonl (sft) or OUTDIR/mdpo/train.jsonl."
)
OUTPUT = typer.Option(..., "--output", "-o", help="Directory: model/ (merged weights), train.json (summary).")
RECIPE = typer.Option(None, "--recipe", "-r", help="Recipe YAML: its `train` settings apply.")
MODEL = typer.Option(None, "--model", "-m", help=_MODEL_HELP)
EPOCHS = typer.Option(None, "--epochs", help="Passes over the data (default: recipe's, else 1).")
MAX_STEPS = typer.Option(None, "--max-steps", help="Optimizer steps; > 0 overrides --epochs.")
LR = typer.Option(None, "--lr", help="Learning rate (default 2e-4).")
MAX_LENGTH = typer.Option(None, "--max-length", min=16, help="Longer examples are left out (default 4096).")
SEED = typer.Option(None, "--seed", help="Training seed.")
NO_LORA = typer.Option(False, "--no-lora", help="Train every weight instead of LoRA adapters.")
JSON = typer.Option(False, "--json", help="Print the summary as JSON on stdout.")


@app.command("sft")
def sft(
    data: Path = DATA,
    output: Path = OUTPUT,
    recipe: Path | None = RECIPE,
    model: str | None = MODEL,
    epochs: float | None = EPOCHS,
    max_steps: int | None = MAX_STEPS,
    learning_rate: float | None = LR,
    max_length: int | None = MAX_LENGTH,
    seed: int | None = SEED,
    no_lora: bool = NO_LORA,
    as_json: bool = JSON,
) -> None:
    """Supervised fine-tuning on dialogs: the loss covers the assistant's own messages and calls only."""
    opts = _common(data, output, recipe, model, epochs, max_steps, learning_rate, max_length, seed, no_lora)
    _run("sft", data, output, _config(recipe, opts), as_json)


@app.command("mdpo")
def mdpo(
    data: Path = DATA,
    output: Path = OUTPUT,
    recipe: Path | None = RECIPE,
    model: str | None = MODEL,
    epochs: float | None = EPOCHS,
    max_steps: int | None = MAX_STEPS,
    learning_rate: float | None = LR,
    max_length: int | None = MAX_LENGTH,
    seed: int | None = SEED,
    no_lora: bool = NO_LORA,
    eta: float | None = typer.Option(None, "--eta", help="η, the margin scale (default 0.1)."),
    mdpo_weight: float | None = typer.Option(None, "--lambda", help="λ, the weight of L_mDPO (default 1)."),
    as_json: bool = JSON,
) -> None:
    """MAGNET's multi-turn DPO: L = L_SFT(τw) + λ·(−log σ(η·(Σ_τw log πθ/πref − Σ_τl log πθ/πref))), sums over
    the assistant's action tokens of each whole trajectory; the reference is the starting model."""
    from toolsynth.errors import InputError

    opts = _common(data, output, recipe, model, epochs, max_steps, learning_rate, max_length, seed, no_lora)
    cfg = _config(recipe, opts)
    mdpo_updates = {k: v for k, v in {"eta": eta, "mdpo_weight": mdpo_weight}.items() if v is not None}
    if any(v <= 0 for k, v in mdpo_updates.items() if k == "eta") or any(
        v < 0 for v in mdpo_updates.values()
    ):
        raise InputError("must be positive", where="--eta" if eta is not None and eta <= 0 else "--lambda")
    cfg = cfg.model_copy(update={"mdpo": cfg.mdpo.model_copy(update=mdpo_updates)})
    _run("mdpo", data, output, cfg, as_json)
