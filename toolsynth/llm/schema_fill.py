"""Deterministic JSON values that satisfy a JSON Schema: what the scripted test model answers with.

Values depend on the schema and a seed string only, so the same request always gets the same answer, and
different requests (different seeds) get different strings, which keeps de-duplicating stages honest in tests.
"""

from __future__ import annotations

import hashlib
from typing import Any

_FORMATS = {
    "date": "2024-05-01",
    "date-time": "2024-05-01T09:30:00Z",
    "time": "09:30:00",
    "email": "user@example.com",
    "uri": "https://example.com/item",
    "url": "https://example.com/item",
    "uuid": "123e4567-e89b-42d3-a456-426614174000",
    "ipv4": "192.0.2.1",
    "hostname": "example.com",
}


def instance_for(schema: Any, seed: str = "", *, include_optional: bool = True, max_depth: int = 6) -> Any:
    return _Filler(schema, seed, include_optional).value(schema, "value", max_depth)


class _Filler:
    def __init__(self, root: Any, seed: str, include_optional: bool) -> None:
        self.root = root if isinstance(root, dict) else {}
        self.seed = seed
        self.include_optional = include_optional

    def _n(self, path: str, mod: int) -> int:
        h = hashlib.sha256(f"{self.seed}\0{path}".encode()).digest()
        return int.from_bytes(h[:4], "big") % max(mod, 1)

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while "$ref" in schema and seen < 20:
            ref = schema["$ref"]
            target: Any = self.root
            if isinstance(ref, str) and ref.startswith("#"):
                for part in ref.lstrip("#").strip("/").split("/"):
                    if not part:
                        continue
                    target = (
                        target.get(part.replace("~1", "/").replace("~0", "~"), {})
                        if isinstance(target, dict)
                        else {}
                    )
            else:
                target = {}
            schema = {
                **{k: v for k, v in schema.items() if k != "$ref"},
                **(target if isinstance(target, dict) else {}),
            }
            seen += 1
        return schema

    def value(self, schema: Any, path: str, depth: int) -> Any:
        if schema is True or not isinstance(schema, dict):
            return self._string(path, {})
        s = self._resolve(schema)
        if "const" in s:
            return s["const"]
        if isinstance(s.get("enum"), list) and s["enum"]:
            return s["enum"][self._n(path, len(s["enum"]))]
        if isinstance(s.get("allOf"), list):
            merged: dict[str, Any] = {k: v for k, v in s.items() if k != "allOf"}
            for sub in s["allOf"]:
                if isinstance(sub, dict):
                    sub = self._resolve(sub)
                    props = {**merged.get("properties", {}), **sub.get("properties", {})}
                    req = list(dict.fromkeys([*merged.get("required", []), *sub.get("required", [])]))
                    merged = {**merged, **sub, "properties": props, "required": req}
            return self.value(merged, path, depth)
        for key in ("anyOf", "oneOf"):
            options = [o for o in s.get(key) or [] if isinstance(o, dict) and o.get("type") != "null"]
            if options:
                base = {k: v for k, v in s.items() if k not in ("anyOf", "oneOf")}
                return self.value({**base, **options[0]}, path, depth)
        t = s.get("type")
        if isinstance(t, list):
            t = next((x for x in t if x != "null"), "null")
        if t is None:
            t = "object" if "properties" in s else "array" if "items" in s else "string"
        if t == "object":
            return self._object(s, path, depth)
        if t == "array":
            return self._array(s, path, depth)
        if t == "integer":
            return self._integer(s, path)
        if t == "number":
            return self._number(s, path)
        if t == "boolean":
            return self._n(path, 2) == 0
        if t == "null":
            return None
        return self._string(path, s)

    def _object(self, s: dict[str, Any], path: str, depth: int) -> dict[str, Any]:
        props = s.get("properties") or {}
        required = [r for r in s.get("required") or [] if isinstance(r, str)]
        names = list(props) if self.include_optional else [p for p in props if p in required]
        out: dict[str, Any] = {}
        for name in dict.fromkeys([*required, *names]):
            if depth <= 0 and name not in required:
                continue
            out[name] = self.value(props.get(name, {}), f"{path}.{name}", depth - 1)
        min_p = s.get("minProperties") or 0
        extra = s.get("additionalProperties")
        i = 0
        while len(out) < min_p and extra is not False:
            out[f"key{i}"] = self.value(extra if isinstance(extra, dict) else {}, f"{path}.key{i}", depth - 1)
            i += 1
        return out

    def _array(self, s: dict[str, Any], path: str, depth: int) -> list[Any]:
        lo = int(s.get("minItems") or 0)
        hi = s.get("maxItems")
        n = max(lo, 1 if depth > 0 else 0)
        if hi is not None:
            n = min(n, int(hi))
        prefix = s.get("prefixItems") if isinstance(s.get("prefixItems"), list) else []
        items = s.get("items") if isinstance(s.get("items"), dict) else {}
        out = [
            self.value(prefix[i] if i < len(prefix) else items, f"{path}[{i}]", depth - 1) for i in range(n)
        ]
        if s.get("uniqueItems") and len({repr(x) for x in out}) < len(out):
            out = out[:1]
        return out

    def _integer(self, s: dict[str, Any], path: str) -> int:
        lo = s.get("minimum")
        hi = s.get("maximum")
        if isinstance(s.get("exclusiveMinimum"), int | float) and not isinstance(
            s.get("exclusiveMinimum"), bool
        ):
            lo = int(s["exclusiveMinimum"]) + 1
        if isinstance(s.get("exclusiveMaximum"), int | float) and not isinstance(
            s.get("exclusiveMaximum"), bool
        ):
            hi = int(s["exclusiveMaximum"]) - 1
        lo_i = int(lo) if lo is not None else (int(hi) - 10 if hi is not None else 1)
        hi_i = int(hi) if hi is not None else lo_i + 9
        if lo is not None and lo_i < lo:
            lo_i += 1
        v = lo_i + self._n(path, hi_i - lo_i + 1) if hi_i >= lo_i else lo_i
        m = s.get("multipleOf")
        if isinstance(m, int) and m > 0:
            v = ((v + m - 1) // m) * m
        return v

    def _number(self, s: dict[str, Any], path: str) -> float | int:
        if isinstance(s.get("multipleOf"), int):
            return self._integer(s, path)
        lo = s.get("minimum", s.get("exclusiveMinimum"))
        hi = s.get("maximum", s.get("exclusiveMaximum"))
        lo_f = float(lo) if isinstance(lo, int | float) and not isinstance(lo, bool) else 0.0
        hi_f = float(hi) if isinstance(hi, int | float) and not isinstance(hi, bool) else lo_f + 100.0
        if hi_f <= lo_f:
            return lo_f
        return round(lo_f + (hi_f - lo_f) * (0.1 + 0.8 * self._n(path, 1000) / 1000), 2)

    def _string(self, path: str, s: dict[str, Any]) -> str:
        fmt = s.get("format")
        if isinstance(fmt, str) and fmt in _FORMATS:
            return _FORMATS[fmt]
        leaf = path.rsplit(".", 1)[-1].split("[")[0] or "value"
        tag = hashlib.sha256(f"{self.seed}\0{path}".encode()).hexdigest()[:6]
        text = f"{leaf} {tag}"
        lo = int(s.get("minLength") or 0)
        hi = s.get("maxLength")
        if len(text) < lo:
            text = text + "x" * (lo - len(text))
        if hi is not None:
            text = text[: int(hi)]
        return text
