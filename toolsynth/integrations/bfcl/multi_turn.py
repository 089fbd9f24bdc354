"""BFCL v4's multi-turn test entries as an evaluation reads them: the entries and their ground truth, the user turns,
an entry's func docs as OpenAI tools, and the call strings BFCL's executor accepts.

BFCL executes call strings with `eval`; `call_string` only builds one when the name is one of the entry's documented
functions, the argument names are identifiers and the values are JSON (so their `repr` is a Python literal).
"""

from __future__ import annotations

import re
from typing import Any

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def load_category(category: str) -> list[tuple[dict[str, Any], list[list[str]]]]:
    """(entry with its function docs, ground truth) for every entry of a BFCL v4 multi-turn category."""
    from bfcl_eval.utils import load_dataset_entry, load_ground_truth_entry

    entries = load_dataset_entry(f"multi_turn_{category}")
    truth = {g["id"]: g["ground_truth"] for g in load_ground_truth_entry(f"multi_turn_{category}")}
    return [(e, truth[e["id"]]) for e in entries]


def user_texts(entry: dict[str, Any]) -> list[str]:
    return [m["content"] for turn in entry["question"] for m in turn if m.get("role") == "user"]


def to_tool(doc: dict[str, Any]) -> dict[str, Any]:
    from toolsynth.catalog.schema import normalize_parameters

    return {
        "type": "function",
        "function": {
            "name": doc["name"],
            "description": doc.get("description", ""),
            "parameters": normalize_parameters(doc.get("parameters") or {}, where=f"bfcl:{doc['name']}"),
        },
    }


def call_string(name: Any, args: Any, allowed: set[str]) -> str | None:
    """`name(k=<literal>, ...)` for BFCL's executor, or None when the call may not run (see the module doc)."""
    if not isinstance(name, str) or name not in allowed or not isinstance(args, dict):
        return None
    if not all(isinstance(k, str) and _IDENT.match(k) for k in args):
        return None
    # JSON values only (what orjson.loads returns): their repr is a plain literal.
    return f"{name}(" + ",".join(f"{k}={v!r}" for k, v in args.items()) + ")"
