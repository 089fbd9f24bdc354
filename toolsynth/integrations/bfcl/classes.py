"""BFCL's multi-turn classes by name: which func-doc file documents which class, which of them run here, the
multi-turn test categories. Plain tables, so the catalog loader and the planner know them without `bfcl-eval`
installed; `tests/synth/test_backends.py` checks them against the package's own mapping.
"""

from __future__ import annotations

# `MULTI_TURN_FUNC_DOC_FILE_MAPPING` in bfcl_eval/constants/executable_backend_config.py, inverted: the category of
# a func-doc tool is the class that implements it, which is what the BFCL executable backend needs.
FUNC_DOC_CLASSES = {
    "gorilla_file_system": "GorillaFileSystem",
    "math_api": "MathAPI",
    "message_api": "MessageAPI",
    "posting_api": "TwitterAPI",
    "ticket_api": "TicketAPI",
    "trading_bot": "TradingBot",
    "travel_booking": "TravelAPI",
    "vehicle_control": "VehicleControlAPI",
    "web_search": "WebSearchAPI",
    "memory_kv": "MemoryAPI_kv",
    "memory_vector": "MemoryAPI_vector",
    "memory_rec_sum": "MemoryAPI_rec_sum",
}

# The stateful multi-turn classes the executable backend runs (in this order: the first class documenting a function
# owns it). WebSearchAPI and the Memory* classes need network access or heavy extra packages, so they are left to
# the simulator.
_NOT_EXECUTED = frozenset({"WebSearchAPI", "MemoryAPI_kv", "MemoryAPI_vector", "MemoryAPI_rec_sum"})
CORE_CLASSES: tuple[str, ...] = tuple(c for c in FUNC_DOC_CLASSES.values() if c not in _NOT_EXECUTED)

# BFCL v4's multi-turn test categories: `BFCL_v4_multi_turn_<category>.json`.
MULTI_TURN_CATEGORIES = ("base", "miss_param", "miss_func", "long_context")
