"""Argument values from a parameter's schema, name and type: `enum` (also the `[Enum]: a, b` / `Options are: ...`
lists BFCL writes into descriptions), `const`, `examples`, `default`, bounds and formats, else a value that fits the
name (a `travel_date` gets a date, a `city` a city). Used where no backend state or earlier result has a value."""

from __future__ import annotations

import functools
import random
import re
from typing import Any

from toolsynth.plans.words import CITIES, CURRENCIES, DIRS, FILES, FIRST, LAST, SENTENCES, SYMBOLS, WORDS

_ENUM_PATTERNS = (
    re.compile(r"\[Enum\]:\s*\[([^\]]+)\]"),
    re.compile(r"\[Enum\]:\s*([^\n.]+)"),
    re.compile(
        r"(?:Options are|Here are the options|Possible values(?: are)?|One of)\s*:?\s*([^\n]+?)(?:\.\s|\.$|$)"
    ),
)

def enum_values(schema: dict[str, Any]) -> list[Any]:
    """Allowed values of a parameter: `enum`, else a list spelled out in its description."""
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return list(schema["enum"])
    desc = schema.get("description")
    if not isinstance(desc, str) or not desc:
        return []
    for pat in _ENUM_PATTERNS:
        m = pat.search(desc)
        if not m:
            continue
        raw = [p.strip().strip("'\"` ") for p in m.group(1).split(",")]
        vals = [v for v in raw if v and len(v) < 40 and " " not in v.strip()]
        if len(vals) >= 2:
            return _cast_all(vals, schema.get("type"))
    return []


def _cast_all(vals: list[str], t: Any) -> list[Any]:
    try:
        if t == "integer":
            return [int(v) for v in vals]
        if t == "number":
            return [float(v) for v in vals]
    except ValueError:
        return []
    return vals


def tokens(name: str) -> frozenset[str]:
    """`fileName` / `file_name` → {file, name}."""
    return _tokens(name)


@functools.lru_cache(maxsize=16384)
def _tokens(name: str) -> frozenset[str]:
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    return frozenset(t for t in re.split(r"[^a-z0-9]+", s) if t)


def _date(rng: random.Random) -> str:
    return f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _string_value(name: str, schema: dict[str, Any], rng: random.Random) -> str:
    fmt = schema.get("format")
    if fmt == "date":
        return _date(rng)
    if fmt == "date-time":
        return f"{_date(rng)}T{rng.randint(8, 18):02d}:{rng.choice(['00', '15', '30', '45'])}:00Z"
    if fmt == "email":
        return f"{rng.choice(FIRST).lower()}.{rng.choice(LAST).lower()}@example.com"
    if fmt in ("uri", "url"):
        return f"https://example.com/{rng.choice(WORDS)}"
    tok = _tokens(name)
    if tok & {"date", "day", "birth", "dob"}:
        return _date(rng)
    if tok & {"time"}:
        return f"{rng.randint(8, 18):02d}:{rng.choice(['00', '30'])}"
    if tok & {"email", "mail"}:
        return f"{rng.choice(FIRST).lower()}@example.com"
    if tok & {"url", "uri", "link", "website"}:
        return f"https://example.com/{rng.choice(WORDS)}"
    if tok & {"city", "location", "destination", "origin", "place", "town"}:
        return rng.choice(CITIES)
    if tok & {"currency"}:
        return rng.choice(CURRENCIES)
    if tok & {"symbol", "ticker", "stock"}:
        return rng.choice(SYMBOLS)
    if tok & {"password", "secret", "pin"}:
        return f"{rng.choice(WORDS)}#{rng.randint(100, 999)}"
    if tok & {"token"} or (tok & {"key"} and tok & {"api", "access", "secret"}):
        return f"tok_{rng.getrandbits(40):010x}"
    if tok & {"first"}:
        return rng.choice(FIRST)
    if tok & {"last", "surname"}:
        return rng.choice(LAST)
    if tok & {"username", "user", "handle", "author"}:
        return f"{rng.choice(FIRST).lower()}_{rng.randint(1, 99)}"
    if tok & {"name", "cardholder"} and not tok & {"file", "dir", "folder"}:
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    if tok & {"file", "filename"}:
        return rng.choice(FILES)
    if tok & {"dir", "folder", "directory"}:
        return rng.choice(DIRS)
    if tok & {"path"}:
        return f"/home/user/{rng.choice(DIRS)}"
    if tok & {"id", "identifier", "number", "code", "zip", "zipcode"}:
        return f"{rng.randint(10000, 99999)}"
    if tok & {"message", "content", "text", "comment", "body", "description", "resolution", "note"}:
        return rng.choice(SENTENCES)
    if tok & {"title", "subject"}:
        return f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)}"
    if tok & {"query", "keyword", "keywords", "pattern", "search", "term", "tag"}:
        return rng.choice(WORDS)
    if tok & {"language", "lang"}:
        return rng.choice(["en", "fr", "de", "es", "ja"])
    if tok & {"country"}:
        return rng.choice(["France", "Japan", "Canada", "Brazil", "Kenya"])
    return rng.choice(WORDS)


def _number_value(name: str, schema: dict[str, Any], rng: random.Random, integer: bool) -> float | int:
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if schema.get("exclusiveMinimum") is not None and lo is None:
        lo = schema["exclusiveMinimum"] + (1 if integer else 0.01)
    if schema.get("exclusiveMaximum") is not None and hi is None:
        hi = schema["exclusiveMaximum"] - (1 if integer else 0.01)
    tok = _tokens(name)
    if lo is None and hi is None:
        if tok & {"year"}:
            lo, hi = 2020, 2025
        elif tok & {"k", "top", "limit", "count", "lines", "n", "size", "places", "precision", "priority"}:
            lo, hi = 1, 5 if tok & {"priority", "places", "precision"} else 10
        elif tok & {"id"}:
            lo, hi = 1000, 99999
        elif tok & {"percent", "percentage", "threshold", "rate"}:
            lo, hi = 1, 20
        elif tok & {"temperature", "temp"}:
            lo, hi = 16, 28
        elif tok & {"lat", "latitude"}:
            lo, hi = -60, 60
        elif tok & {"lon", "lng", "longitude"}:
            lo, hi = -150, 150
        elif tok & {"price", "amount", "cost", "balance", "budget", "value", "total"}:
            lo, hi = 10, 2000
        else:
            lo, hi = 1, 100
    lo = lo if lo is not None else (hi - 100 if hi is not None else 0)
    hi = hi if hi is not None else lo + 100
    if integer:
        return rng.randint(int(lo), int(hi)) if int(hi) >= int(lo) else int(lo)
    return round(rng.uniform(float(lo), float(hi)), 2)


def main_type(schema: dict[str, Any]) -> str | None:
    t = schema.get("type") or schema.get("type_hint")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), None)
    if t is None:
        for key in ("anyOf", "oneOf"):
            for sub in schema.get(key) or []:
                if isinstance(sub, dict) and sub.get("type") not in (None, "null"):
                    return main_type(sub)
    return t


def schema_value(name: str, schema: Any, rng: random.Random, depth: int = 0) -> Any:
    """A plausible value for one parameter from its schema, name and type."""
    if not isinstance(schema, dict):
        schema = {}
    if "const" in schema:
        return schema["const"]
    # An array's `[Enum]` in its description lists the allowed items, not values for the array itself.
    enum = enum_values(schema) if main_type(schema) != "array" or "enum" in schema else []
    if enum:
        return rng.choice(enum)
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return rng.choice(examples)
    if "example" in schema:
        return schema["example"]
    t = main_type(schema)
    default = schema.get("default")
    if default is not None and default != "None" and (t is None or rng.random() < 0.25):
        # An untyped parameter's default is the one value known to fit; typed ones use it now and then.
        return default
    if t is None:
        for key in ("anyOf", "oneOf"):
            for sub in schema.get(key) or []:
                if isinstance(sub, dict) and sub.get("type") != "null":
                    return schema_value(name, sub, rng, depth)
    if t == "boolean":
        return rng.random() < 0.5
    if t == "integer":
        return _number_value(name, schema, rng, integer=True)
    if t == "number":
        return _number_value(name, schema, rng, integer=False)
    if t == "array":
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        lo = int(schema.get("minItems", 1))
        hi = max(lo, min(int(schema.get("maxItems", 3)), 3))
        k = rng.randint(lo, hi)
        item_enum = enum_values(items) or enum_values({"description": schema.get("description", "")})
        if item_enum:
            return rng.sample(item_enum, min(k, len(item_enum)))
        singular = name[:-1] if name.endswith("s") else name
        out: list[Any] = []
        for _ in range(k * 3):
            v = schema_value(singular, items, rng, depth + 1)
            if v not in out:
                out.append(v)
            if len(out) == k:
                break
        return out
    if t == "object" or "properties" in schema:
        props = schema.get("properties")
        if not isinstance(props, dict) or not props or depth >= 3:
            return {}
        req = set(schema.get("required") or [])
        keys = [k for k in props if k in req] or list(props)[: rng.randint(1, min(2, len(props)))]
        return {k: schema_value(k, props[k], rng, depth + 1) for k in keys}
    return _string_value(name, schema, rng)


_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def fits_type(value: Any, schema: dict[str, Any]) -> bool:
    """The value has the schema's JSON type and is one of its enum values (a cheap check for hot paths)."""
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and value not in enum:
        return False
    t = main_type(schema)
    if t is None or t not in _PY_TYPES:
        return True
    if isinstance(value, bool) and t != "boolean":
        return False
    return isinstance(value, _PY_TYPES[t])

