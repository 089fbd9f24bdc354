"""`toolsynth train sft` then `toolsynth train mdpo` on the SFT model, through the CLI, on a tiny local model;
broken input is one line and exit 2, and nothing is written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from pairs import mdpo_record, sft_record
from tiny_model import tiny_model_dir


def _toolsynth(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "toolsynth", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow  # two CLI processes that load torch + TRL: ~30 s of CPU
def test_sft_then_mdpo_from_the_cli(tmp_path):
    base = tiny_model_dir(tmp_path / "tiny")
    (tmp_path / "sft.jsonl").write_bytes(
        orjson.dumps(sft_record()) + b"\n" + orjson.dumps(sft_record(True)) + b"\n"
    )
    (tmp_path / "mdpo.jsonl").write_bytes(orjson.dumps(mdpo_record(as_string=True)) + b"\n")
    proc = _toolsynth(
        "train",
        "sft",
        "sft.jsonl",
        "-o",
        "sft",
        "--model",
        str(base),
        "--max-steps",
        "2",
        "--json",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    s = orjson.loads(proc.stdout)
    assert (s["mode"], s["examples"], s["steps"], s["data"]["records"]) == ("sft", 2, 2, 2)
    assert (tmp_path / "sft" / "model" / "config.json").exists()  # merged: a plain model directory
    assert not any((tmp_path / "sft" / "model").glob("adapter_*"))
    proc = _toolsynth(
        "train", "mdpo", "mdpo.jsonl", "-o", "mdpo", "--model", "sft/model", "--max-steps", "1",
        "--eta", "0.2", "--lambda", "0.5", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith("mdpo: 1 examples, 1 steps")
    summary = orjson.loads((tmp_path / "mdpo" / "train.json").read_bytes())
    assert summary["config"]["mdpo"] == {"eta": 0.2, "mdpo_weight": 0.5, "sft_weight": 1.0}
    assert summary["base_model"]["spec"] == "sft/model"


def test_broken_input_is_one_line_and_writes_nothing(tmp_path):
    bad = mdpo_record()
    del bad["rejected"][2]["train"]
    (tmp_path / "mdpo.jsonl").write_bytes(orjson.dumps(bad) + b"\n")
    proc = _toolsynth("train", "mdpo", "mdpo.jsonl", "-o", "out", "--model", "nowhere", cwd=tmp_path)
    assert proc.returncode == 2
    assert (
        proc.stderr
        == "error: mdpo.jsonl:1.rejected[2].train: every mdpo message needs `train`: true or false\n"
    )
    (tmp_path / "ok.jsonl").write_bytes(orjson.dumps(sft_record()) + b"\n")
    proc = _toolsynth("train", "sft", "ok.jsonl", "-o", "out", "--model", "nowhere", cwd=tmp_path)
    assert (
        proc.returncode == 2
        and proc.stderr == "error: nowhere: not a model directory (no config.json in it)\n"
    )
    assert not (tmp_path / "out").exists()


def test_train_help_imports_no_training_library():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from toolsynth.cli import app\n"
        "for cmd in (['train', '--help'], ['train', 'sft', '--help'], ['train', 'mdpo', '--help']):\n"
        "    assert CliRunner().invoke(app, cmd).exit_code == 0\n"
        "print([m for m in ('torch', 'transformers', 'trl', 'peft', 'datasets') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
