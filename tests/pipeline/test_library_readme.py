"""The README's "Use it as a library" example, run exactly as written (a notebook could), with the scripted model
playing its roles well and the bundled BFCL catalog."""

from __future__ import annotations

import re
from pathlib import Path

from toolsynth.artifacts import read_artifact, read_manifest

REPO = Path(__file__).resolve().parents[2]


def readme_example() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- library-example -->\n```python\n(.*?)```", text, re.S)
    assert match, "README has no library example"
    return match.group(1)


def test_the_readme_library_example_runs_and_its_results_are_typed(tmp_path, monkeypatch, good_model):
    from toolsynth import pipeline

    (tmp_path / "tool_catalogs").symlink_to(REPO / "tool_catalogs")
    # the embedding cache the other pipeline tests of this session share: texts are embedded once per session
    shared = tmp_path.parent / "emb-cache"
    shared.mkdir(exist_ok=True)
    (tmp_path / ".toolsynth-cache").mkdir()
    (tmp_path / ".toolsynth-cache" / "embeddings").symlink_to(shared)
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    exec(compile(readme_example(), "README.md:library-example", "exec"), ns)  # noqa: S102

    out = tmp_path / "out" / "notebook"
    assert isinstance(ns["tools"], pipeline.ConvertResult) and ns["tools"].tools == 36
    assert isinstance(ns["graph"], pipeline.GraphResult) and ns["graph"].edges > 0
    assert ns["plans"].plans == 4 == len(list(read_artifact(out / "plans.jsonl", "plan")))
    dialogs = ns["dialogs"]
    assert isinstance(dialogs, pipeline.SynthesizeResult) and dialogs.exit_code == 0
    assert dialogs.accepted == len(list(read_artifact(out / "dialogs.jsonl", "dialog"))) > 0
    assert dialogs.accepted + dialogs.rejected == 4
    assert read_manifest(out / "dialogs.jsonl")["counts"]["accepted"] == dialogs.accepted
    # the second call reused the finished output: no model call at all
    assert ns["again"].usage["total"]["calls"] == 0 and ns["again"].accepted == dialogs.accepted
    assert isinstance(ns["pairs"], pipeline.PrefsResult)
    assert ns["pairs"].pairs == len(list(read_artifact(out / "preferences.jsonl", "preference")))
    assert ns["dataset"].kept == dialogs.accepted and ns["dataset"].formats == ["openai", "trl-sft", "mdpo"]
    assert ns["page"].html.resolve() == out / "report.html" and ns["page"].html.exists()
    assert ns["page"].to_json()["accepted"] == dialogs.accepted
