"""The grammars the offline model decodes under (xgrammar), built from JSON Schemas: structured answers always
parse and match the schema's shape, and tool calls are `<tool_call>[...]</tool_call>` with valid arguments."""

from __future__ import annotations

from typing import Any

import orjson


def bounded_schema(schema: Any) -> Any:
    """A copy of `schema` whose numbers have finite bounds. Unbounded digit runs are where a small model loops
    ("111111..." until max_tokens); the bounds change nothing for valid answers."""
    if isinstance(schema, list):
        return [bounded_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: bounded_schema(v) for k, v in schema.items()}
    types = out.get("type")
    types = types if isinstance(types, list) else [types]
    if "integer" in types:
        out.setdefault("minimum", -(10**9))
        out.setdefault("maximum", 10**9)
    elif "number" in types:
        out.setdefault("minimum", -1e9)
        out.setdefault("maximum", 1e9)
    return out


class GrammarCache:
    """Compiled grammars of one tokenizer, by what they were built from (compiling costs milliseconds)."""

    def __init__(self, xgr: Any, compiler: Any) -> None:
        self.xgr = xgr
        self.compiler = compiler
        self._grammars: dict[bytes, Any] = {}

    def _compiled(self, key: Any, build: Any) -> Any:
        k = orjson.dumps(key, option=orjson.OPT_SORT_KEYS)
        g = self._grammars.get(k)
        if g is None:
            if len(self._grammars) > 128:
                self._grammars.clear()
            g = self._grammars[k] = build()
        return g

    def schema(self, schema: Any) -> Any:
        def build() -> Any:
            try:
                return self.compiler.compile_json_schema(
                    orjson.dumps(bounded_schema(schema)).decode(), any_whitespace=False
                )
            except Exception:  # noqa: BLE001 - schema features xgrammar lacks: any JSON, validated afterwards
                return self.compiler.compile_builtin_json_grammar()

        return self._compiled(("schema", schema), build)

    def tools(self, tools: list[dict[str, Any]], mode: str) -> Any:
        """mode: `required` (one or more calls) or `auto` (calls or plain text)."""
        xgr = self.xgr

        def build() -> Any:
            calls_schema = {
                "type": "array",
                "minItems": 1,
                "items": {
                    "anyOf": [
                        {
                            "type": "object",
                            "properties": {
                                "name": {"const": t["function"]["name"]},
                                "arguments": bounded_schema(
                                    t["function"].get("parameters") or {"type": "object", "properties": {}}
                                ),
                            },
                            "required": ["name", "arguments"],
                            "additionalProperties": False,
                        }
                        for t in tools
                    ]
                },
            }
            try:
                body = xgr.Grammar.from_json_schema(orjson.dumps(calls_schema).decode(), any_whitespace=False)
            except Exception:  # noqa: BLE001
                body = xgr.Grammar.builtin_json_grammar()
            call = xgr.Grammar.concat(
                xgr.Grammar.from_ebnf('root ::= "<tool_call>"'),
                body,
                xgr.Grammar.from_ebnf('root ::= "</tool_call>"'),
            )
            if mode == "required":
                return self.compiler.compile_grammar(call)
            text = xgr.Grammar.from_ebnf("root ::= [^<] [^]*")
            return self.compiler.compile_grammar(xgr.Grammar.union(call, text))

        return self._compiled(("tools", tools, mode), build)
