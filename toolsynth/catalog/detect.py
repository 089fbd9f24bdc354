"""Read a catalog file (JSON or JSONL, whatever its extension says) and tell which loader fits it.

BFCL ships JSONL under `.json`, so the parser does not trust extensions: a file that is not one JSON document but
whose lines are JSON values is JSONL. Detection looks only at the shape of the first records; every source format in
`../shared/catalogs` has keys no other format uses, which makes the order of the checks below the whole algorithm.

A file plays one of three roles:
- `catalog`: a tool list; always loaded;
- `tasks`: records (questions, dialogs) that carry their tools inline (BFCL single-turn entries, ToolBench queries,
  xLAM rows, ToolACE dialogs); loaded when the file is named explicitly, ignored in a directory scan because the
  same tools normally come from the catalog files beside them (and the catalogs' stated counts exclude them);
- `data`: no tools at all (answers, DB dumps, task lists that only name tools); ignored with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

from toolsynth.catalog.loaders.base import SourceFile
from toolsynth.catalog.loaders.xlam import is_xlam_params
from toolsynth.errors import InputError

Role = Literal["catalog", "tasks", "data"]

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
_SAMPLE = 20


@dataclass(frozen=True)
class Detection:
    fmt: str | None
    role: Role
    reason: str


def parse_file(path: Path, display: str | None = None) -> SourceFile:
    """Parse JSON or JSONL; a syntax error raises InputError naming `file:line:column`."""
    display = display or str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError("file not found", where=display) from exc
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", where=display) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise InputError("file is empty", where=display)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return _parse_jsonl(path, display, data)
    try:
        return SourceFile(path, display, orjson.loads(data))
    except orjson.JSONDecodeError as exc:
        first = next((ln for ln in data.splitlines() if ln.strip()), b"")
        if _parses(first) and first.strip() != data.strip():
            return _parse_jsonl(path, display, data)
        raise InputError(f"invalid JSON ({exc.msg})", where=f"{display}:{exc.lineno}:{exc.colno}") from exc


def _parses(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _parse_jsonl(path: Path, display: str, data: bytes) -> SourceFile:
    records: list[Any] = []
    linenos: list[int] = []
    for lineno, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            raise InputError(
                f"invalid JSON in JSONL record ({exc.msg})", where=f"{display}:{lineno}:{exc.colno}"
            ) from exc
        linenos.append(lineno)
    return SourceFile(path, display, records, linenos)


def _keys(records: list[dict[str, Any]]) -> set[str]:
    keys: set[str] = set()
    for r in records:
        keys.update(r)
    return keys


def _describe(keys: set[str]) -> str:
    shown = sorted(keys)[:8]
    more = ", ..." if len(keys) > 8 else ""
    return ", ".join(shown) + more


def detect(doc: Any) -> Detection:
    """Which loader fits a parsed document, and whether it is a catalog, a task file or plain data."""
    if isinstance(doc, dict):
        return _detect_object(doc)
    if not isinstance(doc, list):
        return Detection(None, "data", f"top-level JSON {type(doc).__name__}, not a list or object")
    if not doc:
        return Detection(None, "data", "empty list")
    records = [r for r in doc[:_SAMPLE] if isinstance(r, dict)]
    if not records:
        return Detection(None, "data", f"a list of {type(doc[0]).__name__} values, not objects")
    return _detect_records(records)


def _detect_object(doc: dict[str, Any]) -> Detection:
    if isinstance(doc.get("result"), dict) and "jsonrpc" in doc:
        inner = _detect_object(doc["result"])
        return (
            inner if inner.fmt == "mcp" else Detection(None, "data", "JSON-RPC response without a tools list")
        )
    tools = doc.get("tools")
    if isinstance(tools, list):
        sample = [t for t in tools[:_SAMPLE] if isinstance(t, dict)]
        if any("inputSchema" in t for t in sample):
            return Detection("mcp", "catalog", "MCP tools/list result")
        if "query" in doc:
            return Detection("xlam", "tasks", "an xLAM record (tools inline)")
        if not tools or any("function" in t or "name" in t for t in sample):
            return Detection("openai", "catalog", "object with a `tools` list")
    if isinstance(tools, str) and "query" in doc:
        return Detection("xlam", "tasks", "an xLAM record (tools inline)")
    if isinstance(doc.get("paths"), dict) and ("openapi" in doc or "swagger" in doc):
        return Detection("toolalpaca", "catalog", "OpenAPI document")
    if isinstance(doc.get("function"), dict) or (
        "name" in doc and ("parameters" in doc or "description" in doc)
    ):
        return Detection("openai", "catalog", "a single function object")
    if "inputSchema" in doc and "name" in doc:
        return Detection("mcp", "catalog", "a single MCP tool")
    if isinstance(doc.get("api_list"), list) and "tool_name" in doc:
        return Detection("toolbench", "catalog", "a ToolBench tool with `api_list`")
    if "answer_generation" in doc:
        return Detection(None, "data", "a ToolBench answer trajectory")
    if "entries" in doc and "source_count" in doc:
        return Detection(None, "data", "an API seed list (names, links; no function schemas)")
    return Detection(None, "data", f"a JSON object with keys {_describe(set(doc))}: no tool list in it")


def _detect_records(records: list[dict[str, Any]]) -> Detection:
    keys = _keys(records)
    first = records[0]

    if str(first.get("schema", "")).startswith("toolsynth.tool/"):
        return Detection("toolsynth", "catalog", "toolsynth tools.jsonl")
    if str(first.get("schema", "")).startswith("toolsynth."):
        return Detection(None, "data", f"a toolsynth {first['schema']} artifact, not tools")
    if any(isinstance(r.get("function"), dict) for r in records):
        return Detection("openai", "catalog", "OpenAI tools list")
    if "inputSchema" in keys:
        return Detection("mcp", "catalog", "list of MCP tools")
    if "api_list" in keys and "query" in keys:
        return Detection("toolbench", "tasks", "ToolBench query records (API lists inline)")
    if "api_list" in keys or ("api_name" in keys and keys & {"required_parameters", "optional_parameters"}):
        return Detection("toolbench", "catalog", "RapidAPI tools/APIs (ToolBench)")
    if "api_name" in keys and "parameters" in keys:
        return Detection("seal", "catalog", "Seal-Tools tool records")
    if "Documentation" in keys and "Name" in keys:
        return Detection("toolalpaca", "catalog", "ToolAlpaca API records (OpenAPI specs)")
    if "record_index" in keys and "tools" in keys:
        return Detection("toolace", "catalog", "ToolACE per-record tool lists")
    if "conversations" in keys and "system" in keys:
        return Detection("toolace", "tasks", "ShareGPT dialog records (tools in the system prompt)")
    if "tools" in keys and "query" in keys:
        return Detection("xlam", "tasks", "xLAM records (tools inline as JSON strings)")
    if "question" in keys and "function" in keys:
        return Detection("bfcl", "tasks", "BFCL single-turn question entries (function docs inline)")
    if "name" in keys and keys & {"output_parameters", "query_parameters", "path_parameters", "arguments"}:
        return Detection("nestful", "catalog", "NESTFUL API specs")
    if "name" in keys and ("parameters" in keys or "description" in keys):
        params = [r.get("parameters") for r in records]
        if "response" in keys or any(isinstance(p, dict) and p.get("type") == "dict" for p in params):
            return Detection("bfcl", "catalog", "BFCL function docs")
        if any(is_xlam_params(p) for p in params):
            return Detection("xlam", "catalog", "xLAM tools (flat parameter maps)")
        return Detection("functions", "catalog", "list of JSON-Schema functions")
    return Detection(None, "data", _data_reason(keys))


# Known non-catalog record shapes, so an ignored file says what it is.
_DATA_SHAPES: list[tuple[frozenset[str], str]] = [
    (frozenset({"ground_truth"}), "BFCL possible-answer records"),
    (
        frozenset({"initial_config", "question"}),
        "BFCL multi-turn question entries (tools come from func docs)",
    ),
    (frozenset({"input", "output"}), "NESTFUL task records"),
    (frozenset({"calling", "query"}), "Seal-Tools query records"),
    (frozenset({"user_scenario"}), "tau2-bench task records"),
    (frozenset({"actions", "instruction"}), "tau-bench task records"),
    (frozenset({"Instructions"}), "instruction records"),
]


def _data_reason(keys: set[str]) -> str:
    for needed, label in _DATA_SHAPES:
        if needed <= keys:
            return label
    return f"records with keys {_describe(keys)}: no tool format fits"
