"""Accepted dialogs to make pairs from: the BFCL fixture plans synthesized with the scripted good model, and a plan
over a Python module backend (a small bank whose account ids come from its state)."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from typing import Any

from bfcl_plan_fixtures import _call, _turn, scripted_gateway

from toolsynth.plans.record import Plan
from toolsynth.prefs.config import PrefsConfig
from toolsynth.prefs.run import DialogPairs, PrefsContext, pairs_for_dialog
from toolsynth.synth.backends.python_module import tools_from_module
from toolsynth.synth.config import SynthConfig
from toolsynth.synth.record import Dialog
from toolsynth.synth.runner import DialogOutcome, SynthContext, synthesize_dialog

BANK = '''
class Bank:
    """Accounts with balances; ids are handed out in order, so a replay gives the same ids."""

    def __init__(self):
        self.accounts = {}
        self.next_id = 100

    def _load_scenario(self, state):
        self.accounts = {int(k): v for k, v in state.get("accounts", {}).items()}
        self.next_id = int(state.get("next_id", 100))

    def open_account(self, owner: str) -> dict:
        """Open an account for a person."""
        self.next_id += 1
        self.accounts[self.next_id] = {"owner": owner, "balance": 0}
        return {"account_id": self.next_id}

    def deposit(self, account_id: int, amount: int) -> dict:
        """Put money into an account."""
        if account_id not in self.accounts:
            return {"error": f"no account {account_id}"}
        self.accounts[account_id]["balance"] += amount
        return {"balance": self.accounts[account_id]["balance"]}

    def get_balance(self, account_id: int) -> dict:
        """The balance of an account."""
        if account_id not in self.accounts:
            return {"error": f"no account {account_id}"}
        return {"balance": self.accounts[account_id]["balance"]}
'''


def bank_module(tmp_path: Path) -> Path:
    path = tmp_path / "bank_tools.py"
    path.write_text(textwrap.dedent(BANK))
    return path


def bank_plan(module: Path, seed: int = 11) -> Plan:
    target = f"{module}:Bank"
    tools = {t.name: t for t in tools_from_module(target)}
    offered = ["open_account", "deposit", "get_balance"]
    turns = [
        _turn(0, "Open an account for Ana.", offered, calls=[_call("c1", "open_account", owner="Ana")]),
        _turn(
            1, "Put 50 into account 101.", offered, calls=[_call("c2", "deposit", account_id=101, amount=50)]
        ),
        _turn(
            2,
            "What is the balance of account 101 now?",
            offered,
            calls=[_call("c3", "get_balance", account_id=101)],
        ),
    ]
    return Plan(
        strategy="magnet",
        seed=seed,
        tools=offered,
        turns=turns,
        tool_defs={n: tools[n].to_record() for n in offered},
        backend={"kind": "python", "module": target, "initial_config": {"accounts": {}, "next_id": 100}},
    ).with_id()


def synthesize(plan: Plan, **cfg: Any) -> DialogOutcome:
    ctx = SynthContext(gateway=scripted_gateway(), config=SynthConfig(**cfg))
    return asyncio.run(synthesize_dialog(plan, ctx))


def accepted(plan: Plan, **cfg: Any) -> Dialog:
    out = synthesize(plan, **cfg)
    assert out.accepted, out.failure
    return out.dialog


def pairs(dialog: Dialog, gateway: Any = None, **cfg: Any) -> DialogPairs:
    ctx = PrefsContext(PrefsConfig(**cfg), gateway=gateway or scripted_gateway())
    return asyncio.run(pairs_for_dialog(dialog, ctx))
