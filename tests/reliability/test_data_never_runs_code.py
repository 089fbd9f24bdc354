"""Finding 1: a data record never makes toolsynth import or run code. Only allow-listed backends (the BFCL classes,
`simulated`) may come from a plan or a dialog; `python:` modules come from the command line or the recipe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from bfcl_plan_fixtures import install_good_model, message_plan
from typer.testing import CliRunner

from toolsynth.artifacts import read_artifact, write_artifact
from toolsynth.cli import app
from toolsynth.errors import InputError
from toolsynth.synth.backends.registry import make_backend
from toolsynth.synth.backends.trust import UntrustedBackendError, combine
from toolsynth.testing.scripted import ScriptedModel

MKDIR_DEF = {
    "type": "function",
    "function": {
        "name": "mkdir",
        "description": "Make a directory.",
        "parameters": {
            "type": "object",
            "properties": {"path": {"type": "string"}},
            "required": ["path"],
        },
    },
}


def booby_trapped_module(tmp_path: Path) -> tuple[Path, Path]:
    """A module whose mere import leaves a marker file (and whose `mkdir` would make the directory)."""
    marker = tmp_path / "IMPORTED"
    mod = tmp_path / "trap_tools.py"
    mod.write_text(
        "from pathlib import Path\n"
        f"Path({str(marker)!r}).write_text('imported')\n"
        "def mkdir(path: str) -> str:\n"
        "    Path(path).mkdir()\n"
        "    return 'made'\n"
    )
    return mod, marker


def dialog_record(spec: Any, target: Path) -> dict[str, Any]:
    return {
        "schema": "toolsynth.dialog/1",
        "id": "d1",
        "plan_id": "",
        "strategy": "external",
        "tools": [MKDIR_DEF],
        "messages": [
            {"role": "user", "content": "Make the folder."},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "c1", "name": "mkdir", "arguments": {"path": str(target)}}],
            },
            {"role": "tool", "tool_call_id": "c1", "name": "mkdir", "content": "made"},
            {"role": "assistant", "content": "Made it."},
        ],
        "turns": [{"index": 0, "start": 0, "end": 4, "offered_tools": ["mkdir"], "expected": "call"}],
        "backend": "python",
        "backend_spec": spec,
    }


def verify(*args: str) -> tuple[int, dict[str, Any]]:
    r = CliRunner().invoke(app, ["verify", *args, "--json", "--fail-under", "0"])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    return r.exit_code, orjson.loads(r.stdout)


@pytest.mark.parametrize("kind", ["python:os", "python:{mod}", "python:shutil"])
def test_verify_never_imports_or_runs_a_module_a_dialog_names(tmp_path: Path, kind: str) -> None:
    mod, marker = booby_trapped_module(tmp_path)
    target = tmp_path / "made-by-data"
    spec = {"kind": kind.format(mod=mod)}
    path = tmp_path / "dialogs.jsonl"
    path.write_bytes(orjson.dumps(dialog_record(spec, target)) + b"\n")
    code, rep = verify(str(path))
    assert code == 0, rep
    assert not target.exists() and not marker.exists()
    (rec,) = [r for r in read_annotated(tmp_path, path)]
    exe = next(c for c in rec["checks"] if c["layer"] == "execution")
    assert "not executed" in exe["reason"] and "never by data" in exe["reason"]


def read_annotated(tmp_path: Path, path: Path) -> list[dict[str, Any]]:
    out = tmp_path / "annotated.jsonl"
    r = CliRunner().invoke(app, ["verify", str(path), "--annotated", str(out), "--fail-under", "0"])
    assert r.exit_code == 0, r.output
    return list(read_artifact(out, "dialog"))


def test_the_same_module_runs_when_the_user_names_it(tmp_path: Path) -> None:
    mod, marker = booby_trapped_module(tmp_path)
    target = tmp_path / "made-by-user-choice"
    path = tmp_path / "dialogs.jsonl"
    path.write_bytes(orjson.dumps(dialog_record({"kind": "python:os"}, target)) + b"\n")
    code, rep = verify(str(path), "--backend", f"python:{mod}")
    assert code == 0 and rep["records_passed"] == 1, rep
    assert marker.exists() and target.is_dir()


def test_an_override_takes_a_records_state_but_never_its_code() -> None:
    recorded = {
        "kind": "python",
        "module": "os",
        "class": "Evil",
        "init": {"x": 1},
        "initial_config": {"a": 1},
    }
    override = {"kind": "python", "module": "mytools"}
    assert combine(recorded, override) == {"kind": "python", "module": "mytools", "initial_config": {"a": 1}}
    with pytest.raises(UntrustedBackendError):
        combine({"kind": "python", "module": "os"}, None)
    with pytest.raises(UntrustedBackendError):
        combine({"kind": "some_plugin"}, None)
    assert combine({"kind": "bfcl", "classes": ["TicketAPI"]}, None) == {
        "kind": "bfcl",
        "classes": ["TicketAPI"],
    }


def test_make_backend_refuses_untrusted_python_before_importing(tmp_path: Path) -> None:
    mod, marker = booby_trapped_module(tmp_path)
    with pytest.raises(InputError, match="never by data"):
        make_backend(f"python:{mod}", [])
    assert not marker.exists()
    with pytest.raises(InputError, match="BFCL classes"):
        make_backend({"kind": "bfcl", "classes": ["os.system"]}, [])


@pytest.fixture
def good_model():
    ScriptedModel.reset()
    install_good_model()
    yield
    ScriptedModel.reset()


def test_synthesize_refuses_a_plan_naming_a_python_module(tmp_path: Path, good_model: None) -> None:
    mod, marker = booby_trapped_module(tmp_path)
    plan = message_plan().model_copy(update={"backend": {"kind": f"python:{mod}"}}).with_id()
    plans = tmp_path / "plans.jsonl"
    write_artifact(plans, "plan", [plan.to_record()])
    out = tmp_path / "dialogs.jsonl"
    args = ["synthesize", str(plans), "-o", str(out), "--model", "scripted/good", "--no-cache"]
    r = CliRunner().invoke(app, args)
    # An InputError: the CLI's entry point prints it as one line and exits 2.
    assert isinstance(r.exception, InputError) and r.exception.exit_code == 2
    assert "never by data" in str(r.exception) and f"{plans}:1" in str(r.exception)
    assert not marker.exists() and not out.exists()


def test_synthesize_runs_a_python_backend_given_on_the_command_line(tmp_path: Path, good_model: None) -> None:
    marker = tmp_path / "CALLED"
    mod = tmp_path / "msg_tools.py"
    # A user module standing in for MessageAPI: each call leaves a line in the marker file.
    mod.write_text(
        "from pathlib import Path\n"
        "def _log(name):\n"
        f"    with open({str(marker)!r}, 'a') as fh: fh.write(name + '\\n')\n"
        "def message_login(user_id: str) -> dict:\n    _log('login'); return {'login_status': True}\n"
        "def send_message(receiver_id: str, message: str) -> dict:\n"
        "    _log('send'); return {'sent_status': True, 'message_id': {'new_id': 1}}\n"
        "def view_messages_sent() -> dict:\n    _log('view'); return {'messages': {'USR002': ['Lunch at noon?']}}\n"
        "def list_users() -> dict:\n    return {'user_list': ['USR002']}\n"
    )
    plans = tmp_path / "plans.jsonl"
    write_artifact(plans, "plan", [message_plan().to_record()])
    out = tmp_path / "dialogs.jsonl"
    args = ["synthesize", str(plans), "-o", str(out), "--model", "scripted/good", "--no-cache"]
    r = CliRunner().invoke(app, [*args, "--backend", f"python:{mod}", "--json"])
    assert r.exit_code == 0, r.output
    assert marker.read_text().split() == ["login", "send", "view"]
    (d,) = read_artifact(out, "dialog")
    assert d["backend"] == f"python:{mod}" and d["backend_spec"]["module"] == str(mod)
