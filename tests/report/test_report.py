"""`toolsynth report`: every section from a real (scripted, BFCL-executed) run, untrusted text escaped, and the page
rendered by headless Chromium with no console errors (skipped where no chromium is installed)."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from toolsynth.artifacts import write_artifact, write_manifest
from toolsynth.synth.config import SynthConfig
from toolsynth.synth.runner import SynthContext, synthesize_dialog
from toolsynth.testing.scripted import ScriptedModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "synth"))
from bfcl_plan_fixtures import all_plans, fs_split_plan, install_good_model, scripted_gateway  # noqa: E402

ALLOWED_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "main",
    "h1",
    "h2",
    "h3",
    "div",
    "span",
    "b",
    "br",
    "p",
    "table",
    "tr",
    "th",
    "td",
    "svg",
    "rect",
    "text",
    "line",
}
EVIL = "<script>alert('x')</script><img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    ScriptedModel.reset()
    install_good_model()
    try:
        broken = fs_split_plan(seed=9)
        broken.turns[0].expected.calls[0].arguments = {
            "folder": "no_such_folder"
        }  # execution fails: a reject
        plans = [*all_plans(), broken.with_id()]
        cfg = SynthConfig(assistant_mode="grounded", required_checks=["format", "execution", "adherence"])
        ctx = SynthContext(gateway=scripted_gateway(), config=cfg)
        outcomes = [asyncio.run(synthesize_dialog(p, ctx)) for p in plans]
    finally:
        ScriptedModel.reset()
    out = tmp_path_factory.mktemp("run")
    write_artifact(out / "plans.jsonl", "plan", [p.to_record() for p in plans])
    accepted = [o.dialog.to_record() for o in outcomes if o.accepted]
    rejected = [o.reject_record() for o in outcomes if not o.accepted]
    assert accepted and rejected, "the fixture run must accept and reject something"
    user = next(m for m in accepted[0]["messages"] if m["role"] == "user")
    user["content"] = EVIL + " " + user["content"]
    write_artifact(out / "dialogs.jsonl", "dialog", accepted)
    write_artifact(out / "dialogs.rejects.jsonl", "dialog_reject", rejected)
    write_manifest(
        out / "dialogs.jsonl",
        kind="dialog",
        counts={"accepted": len(accepted)},
        options={"synth": cfg.model_dump(mode="json")},
        inputs=[],
        extra={"usage": {"roles": {"user": {"model": "scripted/good", "calls": 7, "prompt_tokens": 70}}}},
    )
    prefs = [
        {"id": f"p{i}", "kind": k, "error": e}
        for i, (k, e) in enumerate([("rule", "wrong_tool"), ("model", "bad_args"), ("rule", "wrong_tool")])
    ]
    write_artifact(out / "preferences.jsonl", "preference", prefs)
    (out / "export" / "trl-sft").mkdir(parents=True)
    (out / "export" / "trl-sft" / "train.jsonl").write_text('{"messages": []}\n{"messages": []}\n')
    return out


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "toolsynth", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_report_has_every_section_and_escapes_dialog_text(run_dir: Path, tmp_path: Path):
    proc = _cli("report", str(run_dir), "-o", str(tmp_path), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "report.html").read_text()
    for section in (
        "Stages",
        "Check layers",
        "Rejected dialogs by reason",
        "Category mix",
        "Tool coverage",
        "tokens and cost per role",
        "Preference pairs",
        "Exports",
        "Sample dialogs",
    ):
        assert section in html
    # untrusted text is text: no tag of it survives, and the page itself has no script and loads nothing
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    tags = set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", html))
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    assert not re.search(r"<[^>]*\s(src|href|on\w+)\s*=", html)  # no tag loads anything or runs anything
    assert "url(" not in html
    assert "<svg" in html and "trl-sft" in html and "wrong_tool" in html and "no_such_folder" in html
    md = (tmp_path / "report.md").read_text()
    assert "**Acceptance:" in md and "| format | yes |" in md and "| semantic | no |" in md
    assert "<script>" not in md and "&lt;script&gt;" not in md.split("Output directory")[0]
    assert "Preference pairs: 3; by kind rule 2, model 1" in md
    assert "trl-sft (train.jsonl 2)" in md


def test_report_of_an_empty_dir_and_of_a_broken_file(tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = _cli("report", str(empty), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "No dialogs in this run." in (empty / "report.html").read_text()
    proc = _cli("report", str(tmp_path / "missing"), cwd=tmp_path)
    assert proc.returncode == 2 and "not a directory" in proc.stderr and "Traceback" not in proc.stderr
    (empty / "dialogs.jsonl").write_text("{not json\n")
    proc = _cli("report", str(empty), cwd=tmp_path)
    assert proc.returncode == 2 and "dialogs.jsonl:1" in proc.stderr and "Traceback" not in proc.stderr
    assert "No dialogs in this run." in (empty / "report.html").read_text()  # the old report stays whole


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_report_renders_in_headless_chromium_without_console_errors(run_dir: Path, tmp_path: Path):
    _cli("report", str(run_dir), "-o", str(tmp_path), cwd=tmp_path)
    page = (tmp_path / "report.html").as_uri()
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    dom = subprocess.run([*flags, "--dump-dom", page], capture_output=True, text=True, timeout=90)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "Sample dialogs" in dom.stdout and "<svg" in dom.stdout
    # the escaped script arrived in the DOM as text, never as an element
    assert "&lt;script&gt;alert" in dom.stdout and "<script" not in dom.stdout
    console = [
        ln for ln in dom.stderr.splitlines() if "CONSOLE" in ln or "Refused to" in ln or "Uncaught" in ln
    ]
    assert not console, console
    shot = tmp_path / "report.png"
    subprocess.run(
        [*flags, f"--screenshot={shot}", "--window-size=1280,4000", page], capture_output=True, timeout=90
    )
    assert shot.exists() and shot.stat().st_size > 50_000  # a page with charts and dialogs, not a blank one
