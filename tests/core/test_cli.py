import subprocess
import sys

from typer.testing import CliRunner

from toolsynth import __version__
from toolsynth.cli import app

HEAVY = ("torch", "sentence_transformers", "faiss", "litellm", "transformers")


def test_help_imports_no_heavy_library():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from toolsynth.cli import app\n"
        "r = CliRunner().invoke(app, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_version():
    r = CliRunner().invoke(app, ["--version"])
    assert r.exit_code == 0 and r.output.strip() == f"toolsynth {__version__}"


def test_every_stage_has_help():
    for cmd in [
        "build-graph",
        "sample-plans",
        "synthesize",
        "verify",
        "make-preferences",
        "export",
        "report",
        "run",
        "catalog",
    ]:
        r = CliRunner().invoke(app, [cmd, "--help"])
        assert r.exit_code == 0, (cmd, r.output)


def test_user_error_is_one_line_without_traceback(tmp_path):
    missing = tmp_path / "missing.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolsynth",
            "make-preferences",
            str(missing),
            "-o",
            str(tmp_path / "p.jsonl"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert proc.stderr.startswith(f"error: {missing}: file not found")
    assert "Traceback" not in proc.stderr
