"""`toolsynth make-preferences` and `toolsynth verify preferences.jsonl` end to end with the scripted model: output,
manifest, options, resume after a kill, user errors."""

from __future__ import annotations

import orjson
import pytest
from bfcl_plan_fixtures import all_plans
from typer.testing import CliRunner

from toolsynth.artifacts import partial_path, read_artifact, read_manifest, write_artifact
from toolsynth.cli import app
from toolsynth.errors import ToolsynthError
from toolsynth.prefs.record import PreferencePair
from toolsynth.synth.record import Dialog


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=True)


@pytest.fixture(scope="module")
def dialogs_file(tmp_path_factory):
    from bfcl_plan_fixtures import install_good_model

    from toolsynth.testing.scripted import ScriptedModel

    ScriptedModel.reset()
    install_good_model()
    tmp = tmp_path_factory.mktemp("dialogs")
    plans = tmp / "plans.jsonl"
    write_artifact(plans, "plan", (p.to_record() for p in all_plans()))
    out = tmp / "dialogs.jsonl"
    r = _invoke("synthesize", str(plans), "-o", str(out), "--model", "scripted/good", "--no-cache", "--json")
    assert r.exit_code == 0, r.output
    return out


def _make(dialogs, out, *extra: str):
    return _invoke(
        "make-preferences",
        str(dialogs),
        "-o",
        str(out),
        "--model",
        "scripted/good",
        "--no-cache",
        "--json",
        *extra,
    )


def test_make_preferences_writes_pairs_a_manifest_and_a_summary(tmp_path, dialogs_file):
    out = tmp_path / "preferences.jsonl"
    r = _make(dialogs_file, out, "--per-dialog", "3")
    assert r.exit_code == 0, r.output
    summary = orjson.loads(r.stdout)
    recs = list(read_artifact(out, "preference"))
    assert (
        summary["dialogs"] == 5 and summary["pairs"] == len(recs) == 15 and summary["pairs_per_dialog"] == 3.0
    )
    pairs = [PreferencePair.from_record(x) for x in recs]
    assert [p.dialog_id for p in pairs] == sorted(p.dialog_id for p in pairs)
    dialogs = {d.id: d for d in (Dialog.from_record(x) for x in read_artifact(dialogs_file, "dialog"))}
    for p in pairs:
        assert p.prompt + p.chosen == dialogs[p.dialog_id].messages
        assert p.failed_checks and p.backend_spec == dialogs[p.dialog_id].backend_spec
    assert {p.kind for p in pairs} <= {"model", "rule"}  # the good model never needed a regeneration
    manifest = read_manifest(out)
    assert manifest["schema"] == "toolsynth.preference/1" and manifest["counts"]["pairs"] == 15
    assert manifest["options"]["prefs"]["per_dialog"] == 3 and manifest["inputs"][0]["path"] == str(
        dialogs_file
    )
    assert not partial_path(out).exists()

    # verify re-checks both sides of every pair
    v = _invoke("verify", str(out), "--json")
    assert v.exit_code == 0, v.output
    rep = orjson.loads(v.stdout)
    assert rep["kind"] == "preference" and rep["pairs"] == 15
    assert rep["chosen_accepted"] == rep["rejected_failing"] == rep["pairs_ok"] == 15


def test_kinds_and_recipe_settings_apply(tmp_path, dialogs_file):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"strategy: magnet\ncatalog: {tmp_path}\nllm: {{model: scripted/good, cache: false}}\n"
        "prefs: {per_dialog: null, rules: {drop_argument: 1.0}}\n"
    )
    out = tmp_path / "p.jsonl"
    r = _invoke(
        "make-preferences",
        str(dialogs_file),
        "-o",
        str(out),
        "--recipe",
        str(recipe),
        "--kinds",
        "rule",
        "--json",
    )
    assert r.exit_code == 0, r.output
    pairs = [PreferencePair.from_record(x) for x in read_artifact(out, "preference")]
    assert pairs and {(p.kind, p.error) for p in pairs} == {("rule", "missing_argument")}


def _count_hint_free() -> list[int]:
    """A rule that only counts hint-free requests (and answers none): how many a whole run makes."""
    from bfcl_plan_fixtures import HINT_MARK

    from toolsynth.testing.scripted import ScriptedModel

    seen = [0]

    def reply(req):
        if req.tools is not None and HINT_MARK not in (req.messages[0].get("content") or ""):
            seen[0] += 1
        return None

    ScriptedModel.add_rule(None, reply, first=True)
    return seen


def _die_after(n_requests: int) -> None:
    """The model fails with a bad-key error (fatal: the run stops) after `n_requests` hint-free requests."""
    from bfcl_plan_fixtures import HINT_MARK

    from toolsynth.testing.scripted import ScriptedModel

    seen = 0

    def reply(req):
        nonlocal seen
        if req.tools is None or HINT_MARK in (req.messages[0].get("content") or ""):
            return None
        seen += 1
        return {"error": 401} if seen > n_requests else None

    ScriptedModel.add_rule(None, reply, first=True)


def test_a_killed_run_resumes_without_losing_or_duplicating(tmp_path, dialogs_file):
    from toolsynth.testing.scripted import ScriptedModel

    ref = tmp_path / "ref.jsonl"
    rule = len(ScriptedModel.rules)
    seen = _count_hint_free()
    assert _make(dialogs_file, ref, "-c", "1").exit_code == 0
    del ScriptedModel.rules[0 : len(ScriptedModel.rules) - rule]
    out = tmp_path / "out.jsonl"
    # part-way through (the dialogs make about as many requests each): the run stops, the journal keeps the
    # finished ones
    _die_after(max(1, seen[0] * 3 // 5))
    r = _make(dialogs_file, out, "-c", "1")
    assert r.exit_code != 0 and not out.exists()
    journal = partial_path(out).read_bytes().count(b"\n")
    assert 1 <= journal < 5
    with open(partial_path(out), "ab") as fh:  # and a line torn by the kill
        fh.write(b'{"schema": "toolsynth.preference_batch/1", "dialog_id": "dia')
    del ScriptedModel.rules[0 : len(ScriptedModel.rules) - rule]
    r = _make(dialogs_file, out, "-c", "1")
    assert r.exit_code == 0, r.output
    summary = orjson.loads(r.stdout)
    assert summary["resumed_from_journal"] == journal and summary["dialogs"] == 5
    assert out.read_bytes() == ref.read_bytes()


def test_a_journal_made_with_other_settings_is_not_resumed(tmp_path, dialogs_file):
    from toolsynth.testing.scripted import ScriptedModel

    out = tmp_path / "out.jsonl"
    rule = len(ScriptedModel.rules)
    _die_after(5)
    assert _make(dialogs_file, out, "-c", "1", "--per-dialog", "1").exit_code != 0
    del ScriptedModel.rules[0 : len(ScriptedModel.rules) - rule]
    r = _make(dialogs_file, out, "-c", "1", "--per-dialog", "2")
    assert r.exit_code == 0 and orjson.loads(r.stdout)["resumed_from_journal"] == 0
    assert all(n == 2 for n in _pairs_per_dialog(out).values())


def _pairs_per_dialog(path) -> dict[str, int]:
    out: dict[str, int] = {}
    for rec in read_artifact(path, "preference"):
        out[rec["dialog_id"]] = out.get(rec["dialog_id"], 0) + 1
    return out


def _user_error(r) -> str:
    """A user error: the CLI prints it as one line and exits 2 (`toolsynth.cli.main` maps the exception)."""
    assert isinstance(r.exception, ToolsynthError) and r.exception.exit_code == 2, r.output
    return r.exception.one_line()


def test_bad_input_is_one_line_and_exit_2(tmp_path, dialogs_file):
    plans = tmp_path / "plans.jsonl"
    write_artifact(plans, "plan", (p.to_record() for p in all_plans()[:1]))
    assert "not a dialog artifact" in _user_error(_make(plans, tmp_path / "x.jsonl"))
    broken = tmp_path / "broken.jsonl"
    rec = next(iter(read_artifact(dialogs_file, "dialog")))
    rec["turns"] = "nope"
    broken.write_bytes(orjson.dumps(rec) + b"\n")
    msg = _user_error(_make(broken, tmp_path / "y.jsonl"))
    assert "broken.jsonl:1" in msg and "turns" in msg
    rec = next(iter(read_artifact(dialogs_file, "dialog")))
    rec["turns"][0]["end"] = 999
    broken.write_bytes(orjson.dumps(rec) + b"\n")
    msg = _user_error(_make(broken, tmp_path / "y.jsonl"))
    assert "broken.jsonl:1" in msg and "turns[0]: span" in msg
    assert "--kinds" in _user_error(_make(dialogs_file, tmp_path / "z.jsonl", "--kinds", "rules,model"))
    recipe = tmp_path / "bad.yaml"
    recipe.write_text(f"strategy: magnet\ncatalog: {tmp_path}\nprefs: {{rules: {{invent: 1.0}}}}\n")
    assert "prefs.rules" in _user_error(_make(dialogs_file, tmp_path / "w.jsonl", "--recipe", str(recipe)))
    assert not (tmp_path / "x.jsonl").exists() and not (tmp_path / "w.jsonl").exists()


def test_the_cli_prints_a_user_error_as_one_line(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolsynth",
            "make-preferences",
            str(tmp_path / "none.jsonl"),
            "-o",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "none.jsonl: file not found" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_verify_fails_a_pair_whose_rejected_side_is_right_or_whose_record_was_changed(tmp_path, dialogs_file):
    out = tmp_path / "p.jsonl"
    assert _make(dialogs_file, out, "--kinds", "rule", "--per-dialog", "2").exit_code == 0
    recs = list(read_artifact(out, "preference"))
    swapped = dict(recs[0])
    n = swapped["chosen_turn_end"]
    swapped["rejected"] = swapped["chosen"][:n]  # the "rejected" side is now the accepted action
    swapped["rejected_open_ended"] = False
    bfcl = next(x for x in recs[1:] if x["backend_spec"] and any(m["role"] == "tool" for m in x["prompt"]))
    changed = dict(bfcl)
    prompt = [dict(m) for m in changed["prompt"]]
    k = next(i for i, m in enumerate(prompt) if m["role"] == "tool")
    prompt[k]["content"] = '{"error": "made up"}'
    changed["prompt"] = prompt
    bad = tmp_path / "bad.jsonl"
    write_artifact(bad, "preference", [swapped, changed, *recs[2:]])
    v = _invoke("verify", str(bad), "--json")
    assert v.exit_code == 1
    rep = orjson.loads(v.stdout)
    reasons = {f["id"]: f["reason"] for f in rep["failing"]}
    assert reasons[swapped["id"]] == "rejected side passes every check"
    assert (
        "replay" in reasons[changed["id"]]
        or "differ" in reasons[changed["id"]]
        or "record" in reasons[changed["id"]]
    )
    assert rep["pairs_ok"] == rep["pairs"] - 2 and rep["replay_errors"] == 1
