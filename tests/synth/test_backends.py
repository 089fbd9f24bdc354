"""Real execution backends: BFCL classes with state across turns, user Python modules, the registry."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from toolsynth.errors import InputError
from toolsynth.integrations.bfcl.backend import BFCLBackend
from toolsynth.integrations.bfcl.package import class_func_docs
from toolsynth.messages import ToolCall
from toolsynth.synth.backends import make_backend, normalize_spec

FS_STATE = {
    "root": {
        "alex": {
            "type": "directory",
            "contents": {
                "notes.txt": {"type": "file", "content": "budget analysis draft\nsecond line"},
                "archive": {"type": "directory", "contents": {}},
            },
        }
    }
}


def call(name: str, **args: object) -> ToolCall:
    return ToolCall(id=f"c-{name}", name=name, arguments=dict(args))


def test_spec_shorthands() -> None:
    assert normalize_spec(None) is None
    assert normalize_spec("bfcl") == {"kind": "bfcl"}
    assert normalize_spec("python:pkg.mod:Shop") == {"kind": "python", "module": "pkg.mod:Shop"}
    assert normalize_spec({"initial_config": {}})["kind"] == "bfcl"
    with pytest.raises(InputError, match="unknown backend kind"):
        make_backend({"kind": "nope"}, [])


def test_filesystem_state_carries_across_turns_and_not_across_dialogs() -> None:
    spec = {
        "kind": "bfcl",
        "classes": ["GorillaFileSystem"],
        "initial_config": {"GorillaFileSystem": FS_STATE},
    }
    a = make_backend(spec, [])
    assert isinstance(a, BFCLBackend)
    # turn 1
    assert a.execute(call("mkdir", dir_name="reports")).ok
    assert a.execute(call("mv", source="notes.txt", destination="reports")).ok
    # turn 2 sees turn 1's changes
    r = a.execute(call("cd", folder="reports"))
    assert r.ok and r.output == {"current_working_directory": "reports"}
    r = a.execute(call("grep", file_name="notes.txt", pattern="budget"))
    assert r.ok and r.output == {"matching_lines": ["budget analysis draft"]}
    # another dialog from the same spec starts from the initial state
    b = make_backend(spec, [])
    assert b.execute(call("ls")).output == {"current_directory_content": ["notes.txt", "archive"]}
    assert not b.execute(call("cd", folder="reports")).ok
    assert spec["initial_config"]["GorillaFileSystem"] == FS_STATE  # the plan's state is never mutated


def test_ticket_and_trading_and_math_classes_run_for_real() -> None:
    be = make_backend(
        {
            "kind": "bfcl",
            "classes": ["TicketAPI", "TradingBot", "MathAPI"],
            "initial_config": {"TicketAPI": {}, "TradingBot": {}},
        },
        [],
    )
    assert be is not None
    denied = be.execute(call("create_ticket", title="Printer broken"))
    assert not denied.ok and "not authenticated" in (
        denied.error or ""
    )  # an {"error": ...} payload is a failure
    assert be.execute(call("ticket_login", username="ana", password="pw")).ok
    created = be.execute(call("create_ticket", title="Printer broken", priority=2))
    assert created.ok
    got = be.execute(call("get_ticket", ticket_id=created.output["id"]))
    assert got.ok and got.output["title"] == "Printer broken" and got.output["created_by"] == "ana"
    price = be.execute(call("get_stock_info", symbol="AAPL"))
    assert price.ok and isinstance(price.output["price"], float)
    log = be.execute(call("logarithm", value=8, base=2, precision=10))
    assert log.ok and abs(log.output["result"] - 3.0) < 1e-6  # mpmath number made JSON-ready


def test_invalid_arguments_are_rejected_before_running() -> None:
    be = make_backend({"kind": "bfcl", "classes": ["GorillaFileSystem"], "initial_config": {}}, [])
    assert be is not None
    before = be.state()
    for bad in (call("mkdir", dir_name=3), call("mkdir", dir_name="x", mode="777"), call("mkdir")):
        r = be.execute(bad)
        assert not r.ok and r.source == "rejected"
    assert be.state() == before
    r = be.execute(call("_load_scenario", scenario={}))
    assert not r.ok and "unknown tool" in (r.error or "")  # private methods are never tools


def test_checkpoint_restore_rolls_back_a_turn() -> None:
    be = make_backend({"kind": "bfcl", "classes": ["GorillaFileSystem"], "initial_config": {}}, [])
    assert be is not None
    token = be.checkpoint()
    assert be.execute(call("mkdir", dir_name="tmp")).ok
    assert "tmp" in be.execute(call("ls")).output["current_directory_content"]
    be.restore(token)
    assert "tmp" not in be.execute(call("ls")).output["current_directory_content"]


def test_classes_inferred_from_offered_tools() -> None:
    from toolsynth.integrations.bfcl.backend import _doc_tool

    tools = [_doc_tool("MessageAPI", d) for d in class_func_docs("MessageAPI")][:3]
    be = make_backend({"kind": "bfcl"}, tools)
    assert isinstance(be, BFCLBackend) and be.classes == ["MessageAPI"]
    assert be.handles(tools[0].name) and not be.handles("ls")


def test_unknown_bfcl_class_is_a_user_error() -> None:
    with pytest.raises(InputError, match="not executable"):
        make_backend({"kind": "bfcl", "classes": ["WebSearchAPI"]}, [])


@pytest.fixture
def user_module(tmp_path: Path) -> Path:
    path = tmp_path / "shop_tools.py"
    path.write_text(
        textwrap.dedent(
            '''
            from typing import Literal

            def add(a: int, b: int = 2) -> int:
                """Add two integers."""
                return a + b

            def explode(msg: str) -> str:
                raise RuntimeError(msg)

            def soft_fail(msg: str) -> dict:
                return {"error": msg}

            class Shop:
                def __init__(self, currency: str = "EUR"):
                    self.currency = currency
                    self.cart = []

                def _load_scenario(self, state):
                    self.cart = list(state.get("cart", []))

                def add_item(self, item: str, size: Literal["S", "M"] = "M") -> dict:
                    self.cart.append(item)
                    return {"cart": list(self.cart), "currency": self.currency}
            '''
        )
    )
    return path


def test_python_module_functions(user_module: Path) -> None:
    be = make_backend(f"python:{user_module}", [], trusted=True)
    assert be is not None and set(be.routes) == {"add", "explode", "soft_fail"}
    assert be.execute(call("add", a=1)).output == 3
    wrong = be.execute(call("add", a="1"))
    assert not wrong.ok and "integer" in (wrong.error or "")
    boom = be.execute(call("explode", msg="disk full"))
    assert not boom.ok and "RuntimeError: disk full" in (boom.error or "")
    soft = be.execute(call("soft_fail", msg="no stock"))
    assert not soft.ok and soft.error == "no stock"
    assert not be.execute(call("add", a=1, c=2)).ok  # hallucinated argument


def test_python_class_backend_state_per_dialog(user_module: Path) -> None:
    spec = {
        "kind": f"python:{user_module}:Shop",
        "init": {"currency": "USD"},
        "initial_config": {"cart": ["hat"]},
    }
    one = make_backend(spec, [], trusted=True)
    two = make_backend(spec, [], trusted=True)
    assert one is not None and two is not None
    assert one.execute(call("add_item", item="scarf")).output == {"cart": ["hat", "scarf"], "currency": "USD"}
    assert one.execute(call("add_item", item="gloves", size="S")).output["cart"] == ["hat", "scarf", "gloves"]
    assert not one.execute(call("add_item", item="coat", size="XL")).ok  # enum from the Literal annotation
    assert two.execute(call("add_item", item="boots")).output["cart"] == ["hat", "boots"]


def test_python_backend_missing_module_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        make_backend("python:no_such_module_xyz", [], trusted=True)
    with pytest.raises(InputError, match="not found"):
        make_backend(f"python:{tmp_path / 'missing.py'}", [], trusted=True)


def test_bfcl_class_tables_match_the_installed_package() -> None:
    # The tables in integrations/bfcl/classes.py are written out so the loader works without bfcl-eval; they must
    # say what the package's own mapping says, or a func-doc tool lands in the wrong class.
    from bfcl_eval.constants import executable_backend_config as cfg

    from toolsynth.integrations.bfcl.classes import CORE_CLASSES, FUNC_DOC_CLASSES
    from toolsynth.integrations.bfcl.package import doc_stem_classes

    shipped = {Path(f).stem: c for c, f in cfg.MULTI_TURN_FUNC_DOC_FILE_MAPPING.items()}
    assert shipped == FUNC_DOC_CLASSES
    assert set(CORE_CLASSES) <= set(cfg.CLASS_FILE_PATH_MAPPING)
    assert doc_stem_classes() == {s: c for s, c in FUNC_DOC_CLASSES.items() if c in CORE_CLASSES}


def test_bfcl_class_blurb_is_stripped_once_and_other_descriptions_pass() -> None:
    from toolsynth.integrations.bfcl.descriptions import strip_class_blurb

    text = "This tool belongs to the file system. Tool description: Move a file. Tool description: kept."
    assert strip_class_blurb(text) == "Move a file. Tool description: kept."
    assert strip_class_blurb("Search flights.") == "Search flights."
