"""Which dialogs go out and where: the plan-hash split, filters, the per-tool cap, near-duplicates, BFCL overlap."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import yaml
from export_fixtures import load
from helpers import export, export_json, rows

from toolsynth.artifacts import write_artifact
from toolsynth.export.decontam import BfclQuestions
from toolsynth.integrations.bfcl.package import bfcl_data_dir


def _copies(real_dialogs: Path, path: Path, n_plans: int, per_plan: int = 2) -> Path:
    """n_plans × per_plan copies of the real dialogs under new ids (dialogs of one plan share its plan id)."""
    base = load(real_dialogs)
    recs = []
    for p in range(n_plans):
        for k in range(per_plan):
            d = base[p % len(base)]
            recs.append(
                d.model_copy(update={"id": f"dialog-{p:03d}-{k}", "plan_id": f"plan-{p:03d}"}).to_record()
            )
    write_artifact(path, "dialog", recs)
    return path


def test_split_by_plan_hash_keeps_each_plan_on_one_side_and_is_stable(real_dialogs, tmp_path):
    src = _copies(real_dialogs, tmp_path / "d.jsonl", 60)
    for run in ("a", "b"):
        s = export_json(
            str(src),
            "-o",
            str(tmp_path / run),
            "--format",
            "openai",
            "--validation",
            "0.2",
            "--test",
            "0.2",
        )
        assert s["dialogs"]["kept"] == 120
    splits = s["dialogs"]["splits"]
    assert set(splits) == {"train", "validation", "test"} and sum(splits.values()) == 120
    assert 10 <= splits["validation"] <= 40 and 10 <= splits["test"] <= 40  # 60 plans, 20 % each
    for name in ("train", "validation", "test"):
        a = (tmp_path / "a" / "openai" / f"{name}.jsonl").read_bytes()
        assert a == (tmp_path / "b" / "openai" / f"{name}.jsonl").read_bytes()  # same input, same files
        assert len(rows(tmp_path / "a" / "openai" / f"{name}.jsonl")) == splits[name]
    # both dialogs of a plan are identical copies, so every record comes in pairs within one file
    for name in ("train", "validation", "test"):
        recs = rows(tmp_path / "a" / "openai" / f"{name}.jsonl")
        assert recs[0::2] == recs[1::2]
    card = (tmp_path / "a" / "openai" / "README.md").read_text()
    assert "validation.jsonl" in card and "test.jsonl" in card


def test_category_filter_and_per_tool_cap(real_dialogs, tmp_path):
    src = _copies(real_dialogs, tmp_path / "d.jsonl", 5, per_plan=3)  # every dialog three times
    s = export_json(
        str(src),
        "-o",
        str(tmp_path / "o"),
        "--format",
        "trl-sft",
        "--categories",
        "base,miss_func",
        "--max-per-tool",
        "1",
        "--validation",
        "0",
    )
    assert s["dialogs"]["dropped"] == {"category": 3, "max_per_tool": 8}
    assert s["categories"] == {"base": 3, "miss_func": 1}
    assert max(s["tools"].values()) == 1  # no tool called in more than one kept dialog


@pytest.mark.slow  # loads the real embedding model (all-MiniLM-L6-v2, offline)
def test_near_duplicates_removed_with_faiss_over_user_turn_embeddings(real_dialogs, tmp_path):
    base = load(real_dialogs)
    first = base[0]
    user_at = next(i for i, m in enumerate(first.messages) if m.role == "user")
    reworded = first.model_copy(deep=True, update={"id": "dialog-zz-near", "plan_id": "plan-zz-near"})
    reworded.messages[user_at].content = first.messages[user_at].content + " Thanks!"
    exact = first.model_copy(update={"id": "dialog-zz-copy", "plan_id": "plan-zz-copy"})
    src = tmp_path / "d.jsonl"
    write_artifact(src, "dialog", [d.to_record() for d in [*base, reworded, exact]])
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        yaml.safe_dump(
            {
                "strategy": "magnet",
                "catalog": "x",
                "graph": {"embedding": {"cache_dir": str(tmp_path / "emb")}},
                "export": {"dedup": {"threshold": 0.9}, "formats": ["trl-sft"]},
            }
        )
    )
    s = export_json(str(src), "-o", str(tmp_path / "o"), "--recipe", str(recipe), "--validation", "0")
    assert s["dialogs"]["dropped"] == {"duplicate": 2} and s["duplicates"]["removed"] == 2
    report = {r["dialog_id"]: r for r in rows(tmp_path / "o" / "contamination.jsonl")}
    assert report["dialog-zz-near"]["duplicate_of"] == first.id == report["dialog-zz-copy"]["duplicate_of"]
    assert report[first.id]["dropped"] is None
    assert len(rows(tmp_path / "o" / "trl-sft" / "train.jsonl")) == len(base)
    # a second run embeds nothing: the texts come from build-graph's embedding cache
    s2 = export_json(str(src), "-o", str(tmp_path / "o2"), "--recipe", str(recipe), "--validation", "0")
    assert s2["duplicates"]["embedding"]["embedded"] == 0 and s2["dialogs"]["dropped"] == {"duplicate": 2}


def _bfcl_question() -> tuple[str, str]:
    line = (bfcl_data_dir() / "BFCL_v4_multi_turn_base.json").read_bytes().splitlines()[7]
    entry = orjson.loads(line)
    return entry["id"], entry["question"][0][0]["content"]


def test_overlap_with_bfcl_is_reported_per_dialog_and_dropped_on_request(real_dialogs, tmp_path):
    base = load(real_dialogs)
    bid, question = _bfcl_question()
    leaked = base[1].model_copy(deep=True, update={"id": "dialog-leak", "plan_id": "plan-leak"})
    leaked.messages[next(i for i, m in enumerate(leaked.messages) if m.role == "user")].content = question
    src = tmp_path / "d.jsonl"
    write_artifact(src, "dialog", [d.to_record() for d in [*base, leaked]])
    s = export_json(str(src), "-o", str(tmp_path / "keep"), "--format", "trl-sft")
    assert s["contamination"]["over_threshold"] == 1 and s["dialogs"]["kept"] == 6
    report = {r["dialog_id"]: r for r in rows(tmp_path / "keep" / "contamination.jsonl")}
    assert len(report) == 6
    assert report["dialog-leak"]["bfcl_overlap"] == 1.0 and report["dialog-leak"]["bfcl_id"] == bid
    assert all(report[d.id]["bfcl_overlap"] < 0.5 for d in base)
    s = export_json(str(src), "-o", str(tmp_path / "drop"), "--format", "trl-sft", "--decontaminate")
    assert s["dialogs"]["dropped"] == {"contaminated": 1} and s["dialogs"]["kept"] == 5


def test_overlap_score_is_the_share_of_a_turns_ngrams_found_in_bfcl():
    q = BfclQuestions(8)
    _, question = _bfcl_question()
    words = question.split()
    assert q.overlap([question]).score == 1.0
    half = " ".join(words[: len(words) // 2]) + " " + " ".join(f"zq{i}" for i in range(len(words) // 2))
    assert 0.2 < q.overlap([half]).score < 0.7
    assert q.overlap(["close that ticket", ""]).score == 0.0  # shorter than n words: no n-gram, no overlap


def test_stats_table_and_json(real_dialogs, prefs_file, tmp_path):
    r = export(
        str(real_dialogs),
        "-p",
        str(prefs_file),
        "-o",
        str(tmp_path / "o"),
        "--format",
        "trl-sft,mdpo",
        "--stats",
    )
    for text in (
        "dialogs read",
        "near-duplicates removed",
        "contaminated",
        "adherence",
        "miss_func",
        "mdpo",
        "preference pairs read / kept",
    ):
        assert text in r.stdout
    # No split: which side a plan lands on hashes its id, and the fixture plans' ids carry the catalog's absolute path
    # (tool provenance), so the default 5 % validation share would depend on where the checkout lives.
    s = export_json(
        str(real_dialogs),
        "-p",
        str(prefs_file),
        "-o",
        str(tmp_path / "o"),
        "--format",
        "mdpo",
        "--validation",
        "0",
        "--test",
        "0",
    )
    assert s["checks"]["format"]["passed"] == 14 and s["preferences"] == {
        "input": 5,
        "kept": 5,
        "dropped": {},
    }
    assert s["formats"]["mdpo"]["files"] == {"train.jsonl": 5}
    assert s["categories"] == {"base": 3, "miss_func": 1, "miss_param": 1}


@pytest.mark.parametrize("validation", ["0", "0.5"])
def test_pairs_follow_their_dialogs_split(real_dialogs, prefs_file, tmp_path, validation):
    out = tmp_path / "o"
    export_json(
        str(real_dialogs),
        "-p",
        str(prefs_file),
        "-o",
        str(out),
        "--format",
        "trl-sft,mdpo",
        "--validation",
        validation,
    )
    dialogs = {d.id: d.plan_id for d in load(real_dialogs)}
    for split in ("train", "validation"):
        path = out / "mdpo" / f"{split}.jsonl"
        pairs = rows(path) if path.exists() else []
        sft = out / "trl-sft" / f"{split}.jsonl"
        n_sft = len(rows(sft)) if sft.exists() else 0
        assert len(pairs) == n_sft  # one pair per dialog in the fixture, so the counts match per split
        assert all(p["dialog_id"] in dialogs for p in pairs)
