"""The training readers take what `toolsynth export` really writes (trl-sft and mdpo, from dialogs synthesized on
the real BFCL classes and their preference pairs): every record reads, both sides of every pair have action tokens,
and the trained text is the dialog's assistant messages."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS / "synth"), str(TESTS / "export")]

from export_fixtures import load, pairs_from, synthesized_dialogs  # noqa: E402
from tiny_model import tiny_tokenizer  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from toolsynth.artifacts import write_artifact  # noqa: E402
from toolsynth.cli import app  # noqa: E402
from toolsynth.train.data import read_mdpo, read_sft  # noqa: E402
from toolsynth.train.examples import pair_rows, sft_rows  # noqa: E402
from toolsynth.train.render import assistant_text  # noqa: E402


def test_readers_take_the_real_export(tmp_path):
    dialogs = synthesized_dialogs(tmp_path)
    prefs = tmp_path / "preferences.jsonl"
    write_artifact(prefs, "preference", (p.to_record() for p in pairs_from(dialogs)))
    out = tmp_path / "export"
    r = CliRunner().invoke(
        app,
        ["export", str(dialogs), "-p", str(prefs), "-o", str(out), "-f", "trl-sft,mdpo", "--validation", "0"],
    )
    assert r.exit_code == 0, (r.output, r.exception)
    convs = read_sft(out / "trl-sft" / "train.jsonl")
    pairs = read_mdpo(out / "mdpo" / "train.jsonl")
    source = load(dialogs)
    assert len(convs) == len(source) and pairs
    wants = [
        [
            (m.content or "", [(c.name, c.arguments) for c in m.tool_calls])
            for m in d.messages
            if m.role == "assistant"
        ]
        for d in source
    ]
    for conv in convs:  # export may reorder dialogs and rewrite user turns; the actions are kept as they were
        assert [(t.content, t.calls) for t in conv.messages if t.train] in wants
        assert all(assistant_text(t) for t in conv.messages if t.train)
    tok = tiny_tokenizer()
    assert len(sft_rows(tok, convs, 10**6).rows) == len(convs)
    rows = pair_rows(tok, pairs, 10**6).rows
    assert len(rows) == len(pairs)
    assert all(sum(r["chosen_mask"]) and sum(r["rejected_mask"]) for r in rows)
    assert all(r["chosen_ids"] != r["rejected_ids"] for r in rows)
