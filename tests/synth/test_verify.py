"""`toolsynth verify` on the three input formats: canonical dialogs, OpenAI fine-tuning JSONL, ShareGPT."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from toolsynth.artifacts import write_artifact
from toolsynth.catalog.load import load_catalog
from toolsynth.cli import app
from toolsynth.integrations.bfcl import gold as bfcl_gold
from toolsynth.synth.ingest import read_dialogs

SHARED_CATALOGS = Path(__file__).resolve().parents[2] / ".." / "shared" / "catalogs"
FS_DOC = SHARED_CATALOGS / "bfcl" / "multi_turn_func_doc" / "gorilla_file_system.json"


def jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def run_verify(*args: str) -> tuple[int, dict[str, Any]]:
    r = CliRunner().invoke(app, ["verify", *args, "--json"])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    return r.exit_code, orjson.loads(r.stdout)


@pytest.fixture(scope="module")
def fs_defs() -> list[dict[str, Any]]:
    return [t.to_openai() for t in load_catalog(FS_DOC).tools if t.name in ("mkdir", "cd", "ls", "cat")]


def oa_call(cid: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": cid, "type": "function", "function": {"name": name, "arguments": arguments}}


def openai_record(defs: list[dict[str, Any]], mk_args: str, cd_folder: str = "reports") -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "You manage files."},
            {"role": "user", "content": "Create a reports folder and go into it."},
            {"role": "assistant", "content": None, "tool_calls": [oa_call("a", "mkdir", mk_args)]},
            {"role": "tool", "tool_call_id": "a", "content": "null"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [oa_call("b", "cd", orjson.dumps({"folder": cd_folder}).decode())],
                "weight": 1,
            },
            {"role": "tool", "tool_call_id": "b", "content": '{"current_working_directory": "reports"}'},
            {"role": "assistant", "content": "Done: you are in reports."},
        ],
        "tools": defs,
        "parallel_tool_calls": False,
    }


def test_openai_format(tmp_path: Path, fs_defs: list[dict[str, Any]]) -> None:
    path = jsonl(
        tmp_path / "oa.jsonl",
        [
            openai_record(fs_defs, '{"dir_name": "reports"}'),
            openai_record(fs_defs, '{"dir_name": "reports", "parents": true}'),  # hallucinated argument
            openai_record(fs_defs, "{dir_name: reports}"),  # arguments are not JSON
            openai_record(fs_defs, '{"dir_name": "reports"}', cd_folder="nowhere"),  # backend error
        ],
    )
    rejects = tmp_path / "rej.jsonl"
    code, rep = run_verify(str(path), "--backend", "bfcl", "--rejects", str(rejects))
    assert code == 1
    assert rep["formats"] == {"openai": 4} and rep["records_passed"] == 1
    assert rep["layers"]["format"]["turns_failed"] == 2 and rep["layers"]["execution"]["records_failed"] == 3
    assert rep["layers"]["adherence"]["turns_not_applicable"] == 4  # third-party data has no plan
    lines = {f["line"]: f["failures"][0] for f in rep["failing"]}
    assert set(lines) == {2, 3, 4}
    assert "unknown argument 'parents'" in lines[2]["reason"]
    assert "not a JSON object" in lines[3]["reason"]
    assert lines[4]["layer"] == "execution" and "nowhere" in lines[4]["reason"]
    rej = [orjson.loads(x) for x in rejects.read_bytes().splitlines()]
    assert [r["source"]["line"] for r in rej] == [2, 3, 4]
    assert rej[0]["schema"] == "toolsynth.dialog_reject/2" and rej[0]["failure"]["layer"] == "format"
    # without a backend the same records are judged on format and recorded results only
    code, rep = run_verify(str(path), "--fail-under", "0.25")
    assert code == 0 and rep["records_passed"] == 2


def sharegpt_record(calls: Any, observation: str, tools: str | None) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "conversations": [
            {"from": "human", "value": "Make folders a and b."},
            {"from": "function_call", "value": orjson.dumps(calls).decode()},
            {"from": "observation", "value": observation},
            {"from": "gpt", "value": "Both folders exist now."},
            {"from": "human", "value": "What is in the current folder?"},
            {"from": "function_call", "value": '{"name": "ls", "arguments": {}}'},
            {"from": "observation", "value": '{"current_directory_content": ["a", "b"]}'},
            {"from": "gpt", "value": "a and b."},
        ],
        "system": "You manage files.",
    }
    if tools is not None:
        rec["tools"] = tools
    return rec


def test_sharegpt_format_with_catalog_tools(tmp_path: Path, fs_defs: list[dict[str, Any]]) -> None:
    parallel = [
        {"name": "mkdir", "arguments": {"dir_name": "a"}},
        {"name": "mkdir", "arguments": {"dir_name": "b"}},
    ]
    wrong_type = [{"name": "mkdir", "arguments": {"dir_name": ["a", "b"]}}]
    tools_str = orjson.dumps([d["function"] for d in fs_defs]).decode()  # LLaMA-Factory: a JSON string
    path = jsonl(
        tmp_path / "sg.jsonl",
        [
            sharegpt_record(parallel, "[null, null]", tools_str),
            sharegpt_record(wrong_type, "null", tools_str),
            sharegpt_record(parallel, "[null, null]", None),  # no tools in the record: --tools supplies them
        ],
    )
    tools_jsonl = tmp_path / "tools.jsonl"
    write_artifact(tools_jsonl, "tool", [t.to_record() for t in load_catalog(FS_DOC).tools])
    code, rep = run_verify(str(path), "--tools", str(tools_jsonl), "--backend", "bfcl")
    assert code == 1 and rep["formats"] == {"sharegpt": 3}
    assert rep["records_passed"] == 2 and [f["line"] for f in rep["failing"]] == [2]
    assert "is not of type 'string'" in rep["failing"][0]["failures"][0]["reason"]
    # Parallel mkdirs ran in records 1 and 3 (2 turns each); in record 2 the malformed call fails turn 0 but `ls`
    # still runs in turn 1.
    assert rep["layers"]["execution"]["turns_passed"] == 5 and rep["layers"]["execution"]["turns_failed"] == 1
    _, _, dialog = next(iter(read_dialogs(path)))
    assert [m.role for m in dialog.messages[:4]] == ["user", "assistant", "tool", "tool"]
    assert dialog.messages[3].tool_call_id == dialog.messages[1].tool_calls[1].id


def test_canonical_bfcl_ground_truth_and_annotated_output(tmp_path: Path) -> None:
    gold = list(bfcl_gold.gold_dialogs("base", limit=6))
    broken = bfcl_gold.corrupt(gold[0], "missing_required", random.Random(3), [])
    assert broken is not None
    path = jsonl(tmp_path / "dialogs.jsonl", [d.to_record() for d in gold] + [broken.to_record()])
    annotated = tmp_path / "annotated.jsonl"
    code, rep = run_verify(str(path), "--annotated", str(annotated), "--checks", "format,execution")
    assert code == 1 and rep["formats"] == {"canonical": 7} and rep["checks"] == ["format", "execution"]
    assert [f["id"] for f in rep["failing"]] == [broken.id]
    assert "required property" in rep["failing"][0]["failures"][0]["reason"]
    recs = [orjson.loads(x) for x in annotated.read_bytes().splitlines()]
    assert len(recs) == 7 and all(r["checks"] for r in recs)  # every record kept, each with its checks


def test_python_backend_from_the_command_line(tmp_path: Path) -> None:
    mod = tmp_path / "calc_tools.py"
    mod.write_text("def divide(a: float, b: float) -> float:\n    return a / b\n")
    tool = {
        "type": "function",
        "function": {
            "name": "divide",
            "parameters": {
                "type": "object",
                "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                "required": ["a", "b"],
            },
        },
    }

    def rec(b: int) -> dict[str, Any]:
        return {
            "messages": [
                {"role": "user", "content": f"10 / {b}?"},
                {"role": "assistant", "tool_calls": [oa_call("x", "divide", f'{{"a": 10, "b": {b}}}')]},
                {"role": "tool", "tool_call_id": "x", "content": "5"},
                {"role": "assistant", "content": "5"},
            ],
            "tools": [tool],
        }

    path = jsonl(tmp_path / "calc.jsonl", [rec(2), rec(0)])
    code, rep = run_verify(str(path), "--backend", f"python:{mod}")
    assert code == 1 and rep["records_passed"] == 1
    assert "ZeroDivisionError" in rep["failing"][0]["failures"][0]["reason"]


def test_user_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [}\n')
    out = subprocess.run(
        [sys.executable, "-m", "toolsynth", "verify", str(bad)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2 and out.stderr.startswith("error: ") and "bad.jsonl:1" in out.stderr
    assert "Traceback" not in out.stderr
    other = jsonl(tmp_path / "other.jsonl", [{"query": "hi"}])
    out = subprocess.run(
        [sys.executable, "-m", "toolsynth", "verify", str(other), "--checks", "format,vibes"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "unknown check 'vibes'" in out.stderr


def test_semantic_layer_through_verify_counts_verdicts_and_unjudged(
    tmp_path: Path, fs_defs: list[dict]
) -> None:
    import asyncio
    from dataclasses import dataclass

    from toolsynth.synth.verify import verify_dialogs

    @dataclass
    class Res:
        ok: bool
        data: dict[str, Any] | None
        error: str | None = None

    class Judge:
        async def structured(
            self, role: str, messages: list[dict[str, Any]], schema: dict[str, Any], **kw: Any
        ):
            text = messages[-1]["content"]
            if "nowhere" in text:
                return Res(False, None, "unparseable")  # no verdict: the turn fails as a judge error
            return Res(
                True, {"reason": "ok", "action_fits_request": "parents" not in text, "answer_grounded": True}
            )

    path = jsonl(
        tmp_path / "oa.jsonl",
        [
            openai_record(fs_defs, '{"dir_name": "reports"}'),
            openai_record(fs_defs, '{"dir_name": "reports", "parents": true}'),
            openai_record(fs_defs, '{"dir_name": "reports"}', cd_folder="nowhere"),
        ],
    )
    report = asyncio.run(
        verify_dialogs(
            read_dialogs(path), path=str(path), layers=["semantic"], gateway=Judge(), concurrency=2
        )
    )
    sem = report.to_dict()["layers"]["semantic"]
    assert (sem["turns_passed"], sem["turns_failed"], sem["turns_not_applicable"]) == (1, 2, 0)
    assert report.failed == 2 and [f["line"] for f in report.failing] == [2, 3]
    assert report.judge_errors == 1 and report.failing[1]["failures"][0]["reason"].startswith("judge_error")


def test_broken_records_fail_without_stopping_the_file(tmp_path: Path, fs_defs: list[dict[str, Any]]) -> None:
    no_name = openai_record(fs_defs, '{"dir_name": "reports"}')
    no_name["messages"][2]["tool_calls"] = [{"id": "a", "type": "function", "function": {"arguments": "{}"}}]
    bad_tool = openai_record(fs_defs, '{"dir_name": "reports"}')
    bad_tool["tools"] = [
        *fs_defs,
        {"type": "function", "function": {"name": "x", "parameters": {"type": "string"}}},
    ]
    path = jsonl(
        tmp_path / "oa.jsonl", [no_name, bad_tool, openai_record(fs_defs, '{"dir_name": "reports"}')]
    )
    code, rep = run_verify(str(path))
    assert code == 1 and rep["records"] == 3 and rep["records_passed"] == 1
    reasons = {f["line"]: f["failures"][0]["reason"] for f in rep["failing"]}
    assert "function.name" in reasons[1] and "parameters must have type object" in reasons[2]


def test_a_rejects_file_is_verified_afresh(tmp_path: Path) -> None:
    # dialogs.rejects.jsonl records are dialogs plus the synthesizer's `failure`: verify reads them like dialogs.
    gold = list(bfcl_gold.gold_dialogs("base", limit=2))
    recs = [
        {**d.to_record(), "failure": {"layer": "semantic", "turn": 0, "reason": "judge said no"}}
        for d in gold
    ]
    rejects = tmp_path / "dialogs.rejects.jsonl"
    write_artifact(rejects, "dialog_reject", recs)
    code, rep = run_verify(str(rejects), "--checks", "format,execution")
    assert rep["formats"] == {"canonical": 2}
    assert code == 0 and rep["failing"] == []
