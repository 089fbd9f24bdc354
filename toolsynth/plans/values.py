"""Concrete argument values for planned calls, so back-translation has something specific to say.

Three sources, best first:
1. an executable backend's state (BFCL multi-turn classes): file names that exist in the current directory, ticket
   and order ids that are in the queue, the user's own access token, ... so the calls succeed when executed;
2. the schema: `enum` (also the `[Enum]: a, b` / `Options are: ...` lists BFCL writes into descriptions), `const`,
   `examples`, `default`, bounds and formats;
3. the parameter's name and type (a `travel_date` gets a date, a `city` a city).
An LLM can supply values too (ToolFlow plans); `accept_llm_values` keeps those that fit the schema.
"""

from __future__ import annotations

import copy
import functools
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from toolsynth.catalog.model import Tool
from toolsynth.console import log

MISSING: Any = object()


def _table(cells: str) -> list[str]:
    """Vocabulary tables written as `a|b|c` so they stay compact."""
    return cells.split("|")


# ---- generic values from schema, name and type ---------------------------------------------------------------------

_ENUM_PATTERNS = (
    re.compile(r"\[Enum\]:\s*\[([^\]]+)\]"),
    re.compile(r"\[Enum\]:\s*([^\n.]+)"),
    re.compile(
        r"(?:Options are|Here are the options|Possible values(?: are)?|One of)\s*:?\s*([^\n]+?)(?:\.\s|\.$|$)"
    ),
)

_CITIES = _table(
    "Rivermist|Stonebrook|Maplecrest|Silverpine|Shadowridge|London|Paris|Tokyo|Boston|Chicago|"
    "San Francisco|New York|Berlin|Madrid|Toronto|Sydney"
)
_FIRST = _table("Alice|Bruno|Chen|Dana|Elif|Farah|Gustav|Hana|Ivan|Julia|Kenji|Lena")
_LAST = ["Moreau", "Okafor", "Silva", "Tanaka", "Novak", "Larsen", "Iyer", "Costa", "Weber", "Haddad"]
_WORDS = _table(
    "budget|quarterly|report|meeting|invoice|project|roadmap|summary|deadline|analysis|draft|"
    "schedule|backup|release|notes|feedback"
)
_SENTENCES = [
    "Please review the latest numbers before Friday.",
    "The quarterly summary is ready for feedback.",
    "Moving the meeting to next Tuesday at 10am.",
    "Remember to back up the project files tonight.",
    "Shipping the release once the tests pass.",
    "Thanks for the quick turnaround on the draft!",
]
_FILES = _table("notes.txt|report_q3.txt|summary.md|budget_2024.csv|todo.txt|draft_v2.txt|log.txt")
_DIRS = ["archive", "backup", "projects", "temp", "reports_2024", "drafts"]
_CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CAD", "AUD", "INR", "RMB"]
_SYMBOLS = ["AAPL", "GOOG", "MSFT", "TSLA", "NVDA", "AMZN"]


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


def _tokens(name: str) -> set[str]:
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    return {t for t in re.split(r"[^a-z0-9]+", s) if t}


def _date(rng: random.Random) -> str:
    return f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _string_value(name: str, schema: dict[str, Any], rng: random.Random) -> str:
    fmt = schema.get("format")
    if fmt == "date":
        return _date(rng)
    if fmt == "date-time":
        return f"{_date(rng)}T{rng.randint(8, 18):02d}:{rng.choice(['00', '15', '30', '45'])}:00Z"
    if fmt == "email":
        return f"{rng.choice(_FIRST).lower()}.{rng.choice(_LAST).lower()}@example.com"
    if fmt in ("uri", "url"):
        return f"https://example.com/{rng.choice(_WORDS)}"
    tok = _tokens(name)
    if tok & {"date", "day", "birth", "dob"}:
        return _date(rng)
    if tok & {"time"}:
        return f"{rng.randint(8, 18):02d}:{rng.choice(['00', '30'])}"
    if tok & {"email", "mail"}:
        return f"{rng.choice(_FIRST).lower()}@example.com"
    if tok & {"url", "uri", "link", "website"}:
        return f"https://example.com/{rng.choice(_WORDS)}"
    if tok & {"city", "location", "destination", "origin", "place", "town"}:
        return rng.choice(_CITIES)
    if tok & {"currency"}:
        return rng.choice(_CURRENCIES)
    if tok & {"symbol", "ticker", "stock"}:
        return rng.choice(_SYMBOLS)
    if tok & {"password", "secret", "pin"}:
        return f"{rng.choice(_WORDS)}#{rng.randint(100, 999)}"
    if tok & {"token"} or (tok & {"key"} and tok & {"api", "access", "secret"}):
        return f"tok_{rng.getrandbits(40):010x}"
    if tok & {"first"}:
        return rng.choice(_FIRST)
    if tok & {"last", "surname"}:
        return rng.choice(_LAST)
    if tok & {"username", "user", "handle", "author"}:
        return f"{rng.choice(_FIRST).lower()}_{rng.randint(1, 99)}"
    if tok & {"name", "cardholder"} and not tok & {"file", "dir", "folder"}:
        return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    if tok & {"file", "filename"}:
        return rng.choice(_FILES)
    if tok & {"dir", "folder", "directory"}:
        return rng.choice(_DIRS)
    if tok & {"path"}:
        return f"/home/user/{rng.choice(_DIRS)}"
    if tok & {"id", "identifier", "number", "code", "zip", "zipcode"}:
        return f"{rng.randint(10000, 99999)}"
    if tok & {"message", "content", "text", "comment", "body", "description", "resolution", "note"}:
        return rng.choice(_SENTENCES)
    if tok & {"title", "subject"}:
        return f"{rng.choice(_WORDS).capitalize()} {rng.choice(_WORDS)}"
    if tok & {"query", "keyword", "keywords", "pattern", "search", "term", "tag"}:
        return rng.choice(_WORDS)
    if tok & {"language", "lang"}:
        return rng.choice(["en", "fr", "de", "es", "ja"])
    if tok & {"country"}:
        return rng.choice(["France", "Japan", "Canada", "Brazil", "Kenya"])
    return rng.choice(_WORDS)


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


def _main_type(schema: dict[str, Any]) -> str | None:
    t = schema.get("type") or schema.get("type_hint")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), None)
    if t is None:
        for key in ("anyOf", "oneOf"):
            for sub in schema.get(key) or []:
                if isinstance(sub, dict) and sub.get("type") not in (None, "null"):
                    return _main_type(sub)
    return t


def schema_value(name: str, schema: Any, rng: random.Random, depth: int = 0) -> Any:
    """A plausible value for one parameter from its schema, name and type."""
    if not isinstance(schema, dict):
        schema = {}
    if "const" in schema:
        return schema["const"]
    enum = enum_values(schema)
    if enum:
        return rng.choice(enum)
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return rng.choice(examples)
    if "example" in schema:
        return schema["example"]
    t = _main_type(schema)
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
    t = _main_type(schema)
    if t is None or t not in _PY_TYPES:
        return True
    if isinstance(value, bool) and t != "boolean":
        return False
    return isinstance(value, _PY_TYPES[t])


# ---- BFCL backend state -------------------------------------------------------------------------------------------

# The eight stateful classes of BFCL multi-turn whose initial states ship with bfcl-eval; the agentic ones
# (web search, memory) need network or extra packages, so plans over them carry no backend.
BFCL_CORE_CLASSES = {
    "GorillaFileSystem": "gorilla_file_system",
    "MathAPI": "math_api",
    "MessageAPI": "message_api",
    "TwitterAPI": "posting_api",
    "TicketAPI": "ticket_api",
    "TradingBot": "trading_bot",
    "TravelAPI": "travel_booking",
    "VehicleControlAPI": "vehicle_control",
}
_STEM_TO_CLASS = {stem: cls for cls, stem in BFCL_CORE_CLASSES.items()}
_MULTI_TURN_FILES = ("base", "miss_param", "miss_func", "long_context")


def bfcl_class(tool: Tool) -> str | None:
    """The BFCL backend class of a tool loaded from BFCL func docs (category = class name or file stem)."""
    prov = tool.provenance
    return _bfcl_class(prov.format, prov.catalog, prov.category, prov.source_file)


@functools.lru_cache(maxsize=4096)
def _bfcl_class(fmt: str, catalog: str, category: str | None, source_file: str) -> str | None:
    if fmt != "bfcl" and catalog != "bfcl":
        return None
    for cand in (category, Path(source_file).stem if source_file else None):
        if not cand:
            continue
        if cand in BFCL_CORE_CLASSES:
            return cand
        if cand in _STEM_TO_CLASS:
            return _STEM_TO_CLASS[cand]
    return None


@functools.lru_cache(maxsize=1)
def bfcl_initial_configs() -> tuple[tuple[frozenset[str], bytes], ...]:
    """(classes, initial_config as JSON) of every BFCL_v4 multi-turn entry shipped in the bfcl-eval package."""
    import importlib.util

    spec = importlib.util.find_spec("bfcl_eval")
    if spec is None or not spec.submodule_search_locations:
        log.warning(
            "bfcl-eval is not installed: BFCL plans get values from schemas only, and no backend state"
        )
        return ()
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    out: list[tuple[frozenset[str], bytes]] = []
    seen: set[bytes] = set()
    for name in _MULTI_TURN_FILES:
        path = data / f"BFCL_v4_multi_turn_{name}.json"
        if not path.exists():
            continue
        with open(path, "rb") as fh:
            for line in fh:
                if not line.strip():
                    continue
                entry = orjson.loads(line)
                cfg = entry.get("initial_config") or {}
                classes = frozenset(entry.get("involved_classes") or []) | frozenset(cfg)
                blob = orjson.dumps(cfg, option=orjson.OPT_SORT_KEYS)
                if blob not in seen:
                    seen.add(blob)
                    out.append((classes, blob))
    return tuple(out)


def sample_bfcl_config(classes: list[str], rng: random.Random) -> dict[str, Any]:
    """An initial state for `classes`, taken from one real BFCL entry when one covers them all (so their states
    belong together), else assembled class by class."""
    want = frozenset(classes)
    entries = bfcl_initial_configs()
    whole = [blob for cls, blob in entries if want <= cls]
    if whole:
        cfg = orjson.loads(rng.choice(whole))
        return {c: cfg.get(c, {}) for c in sorted(want)}
    out: dict[str, Any] = {}
    for c in sorted(want):
        blobs = [blob for cls, blob in entries if c in cls]
        cfg = orjson.loads(rng.choice(blobs)) if blobs else {}
        out[c] = cfg.get(c, {})
    return out


Resolver = Callable[[str, str, dict[str, Any], random.Random], Any]


def _pick(rng: random.Random, options: list[Any], avoid: list[Any] | None = None) -> Any:
    opts = [o for o in options if o not in (avoid or [])] or list(options)
    return rng.choice(opts) if opts else MISSING


def _words_of(texts: list[str]) -> list[str]:
    words = {w.strip(".,!?:;'\"()").lower() for t in texts for w in t.split()}
    return sorted(w for w in words if len(w) > 3 and w.isalpha())


class _FileSystem:
    """GorillaFileSystem: tracks the current directory as the plan's calls move around and create things."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        root = cfg.get("root") or {}
        top = next(iter(root.values()), {}) if root else {}
        self.root: dict[str, Any] = copy.deepcopy(top.get("contents", {})) if isinstance(top, dict) else {}
        self.stack: list[dict[str, Any]] = [self.root]

    @property
    def cwd(self) -> dict[str, Any]:
        return self.stack[-1]

    def files(self) -> list[str]:
        return sorted(k for k, v in self.cwd.items() if v.get("type") == "file")

    def dirs(self) -> list[str]:
        return sorted(k for k, v in self.cwd.items() if v.get("type") == "directory")

    def all_names(self, node: dict[str, Any] | None = None) -> list[str]:
        node = self.cwd if node is None else node
        out = []
        for k, v in node.items():
            out.append(k)
            if v.get("type") == "directory":
                out.extend(self.all_names(v.get("contents", {})))
        return out

    def resolve(self, fn: str, p: str, args: dict[str, Any], rng: random.Random) -> Any:
        used = [v for v in args.values() if isinstance(v, str)]
        if fn == "cd" and p == "folder":
            return _pick(rng, self.dirs()) if self.dirs() else (".." if len(self.stack) > 1 else MISSING)
        if fn in ("touch", "echo") and p == "file_name":
            return _pick(rng, [f for f in _FILES if f not in self.cwd])
        if fn == "mkdir" and p == "dir_name":
            return _pick(rng, [d for d in _DIRS if d not in self.cwd])
        if fn == "rmdir" and p == "dir_name":
            return _pick(rng, self.dirs())
        if p == "source" and fn in ("mv", "cp"):
            # "file or directory": files first, a folder when no file is left here.
            pool = [f for f in self.files() if f not in used] or [d for d in self.dirs() if d not in used]
            return rng.choice(pool) if pool else MISSING
        if p in ("file_name", "file_name1", "file_name2"):
            return _pick(rng, self.files(), used) if self.files() else MISSING
        if p == "destination" and fn in ("mv", "cp"):
            dirs = [d for d in self.dirs() if d not in used]
            if dirs and rng.random() < 0.6:
                return rng.choice(dirs)
            return _pick(rng, [d for d in _DIRS if d not in self.cwd])
        if fn == "find" and p == "name":
            names = [n for n in self.all_names() if not n.startswith(".")]
            return rng.choice(names).rsplit(".", 1)[0] if names else MISSING
        if fn == "find" and p == "path":
            return "."
        if fn == "grep" and p == "pattern":
            f = self.cwd.get(args.get("file_name", ""), {})
            words = _words_of([f.get("content", "")]) if isinstance(f, dict) else []
            return rng.choice(words) if words else MISSING
        if fn == "tail" and p == "lines":
            return rng.randint(1, 10)
        return MISSING

    def observe(self, fn: str, args: dict[str, Any]) -> None:
        """Apply the effect of a planned call, so later values fit the state the earlier calls leave."""
        cwd = self.cwd
        if fn == "cd":
            folder = args.get("folder")
            if folder == ".." and len(self.stack) > 1:
                self.stack.pop()
            elif isinstance(cwd.get(folder), dict) and cwd[folder].get("type") == "directory":
                self.stack.append(cwd[folder].setdefault("contents", {}))
        elif fn == "mkdir" and isinstance(args.get("dir_name"), str):
            cwd.setdefault(args["dir_name"], {"type": "directory", "contents": {}})
        elif fn in ("touch", "echo") and isinstance(args.get("file_name"), str):
            cwd.setdefault(args["file_name"], {"type": "file", "content": str(args.get("content", ""))})
        elif fn in ("rm", "rmdir"):
            cwd.pop(str(args.get("file_name", args.get("dir_name", ""))), None)
        elif fn in ("mv", "cp"):
            src, dst = str(args.get("source", "")), str(args.get("destination", ""))
            if src not in cwd or not dst:
                return
            node = cwd[src] if fn == "cp" else cwd.pop(src)
            target = cwd.get(dst)
            if isinstance(target, dict) and target.get("type") == "directory":
                target.setdefault("contents", {})[src] = copy.deepcopy(node)
            else:
                cwd[dst] = copy.deepcopy(node)


_TWITTER_DEFAULT = {
    "username": "john",
    "password": "john123",
    "tweets": {},
    "following_list": ["alice", "bob"],
}
_MESSAGE_USERS = {"Alice": "USR001", "Bob": "USR002", "Catherine": "USR003", "Daniel": "USR004"}
# Lookup tables the BFCL classes answer from (travel_booking, trading_bot, vehicle_control): values outside
# them make the real implementation return "not found".
_BFCL_AIRPORT_CITIES = _table(
    "Rivermist|Stonebrook|Maplecrest|Silverpine|Shadowridge|London|Paris|Sunset Valley|"
    "Oakendale|Willowbend|Crescent Hollow|Autumnville|Pinehaven|Greenfield|San Francisco|"
    "Los Angeles|New York|Chicago|Boston|Beijing|Hong Kong|Rome|Tokyo"
)
_BFCL_AIRPORTS = _table(
    "RMS|SBK|MPC|SVP|SHD|CDG|LHR|SSV|OKD|WLB|PEK|HND|HKG|CIA|CRH|ATV|PHV|GFD|SFO|LAX|JFK|ORD|BOS"
)
_BFCL_COMPANIES = _table(
    "Apple|Google|Tesla|Microsoft|Nvidia|Zeta Corp|Alpha Tech|Omega Industries|Quasar Ltd.|"
    "Neptune Systems|Synex Solutions|Amazon"
)
_BFCL_ZIP_CITIES = _table(
    "Rivermist|Stonebrook|Maplecrest|Silverpine|Shadowridge|Sunset Valley|Oakendale|Willowbend|"
    "Crescent Hollow|Autumnville|San Francisco"
)
_BFCL_ZIP_PAIRS = [
    ("83214", "74532"),
    ("56108", "62947"),
    ("71354", "83462"),
    ("47329", "52013"),
    ("69238", "51479"),
    ("94016", "83214"),
    ("94016", "94704"),
    ("94704", "08540"),
    ("94016", "08540"),
    ("62947", "47329"),
    ("94016", "62947"),
]
_BFCL_SI_UNITS = ["km", "m", "cm", "mm"]
_BFCL_IMPERIAL = [
    ("cm", "in"),
    ("in", "cm"),
    ("m", "ft"),
    ("ft", "m"),
    ("km", "miles"),
    ("miles", "km"),
    ("kg", "lb"),
    ("lb", "kg"),
    ("celsius", "fahrenheit"),
    ("fahrenheit", "celsius"),
]


class BfclState:
    """The initial state of a plan's BFCL classes, and argument values consistent with it."""

    def __init__(self, initial_config: dict[str, Any]) -> None:
        self.config = initial_config
        self.fs = _FileSystem(initial_config.get("GorillaFileSystem", {}))
        tw = {**_TWITTER_DEFAULT, **initial_config.get("TwitterAPI", {})}
        self.tweet_ids = sorted(int(k) for k in (tw.get("tweets") or {}) if str(k).isdigit())
        self.tweet_texts = [
            t.get("content", "") for t in (tw.get("tweets") or {}).values() if isinstance(t, dict)
        ]
        self.twitter = tw
        msg = initial_config.get("MessageAPI", {})
        self.user_map: dict[str, str] = msg.get("user_map") or dict(_MESSAGE_USERS)
        self.current_user = msg.get("current_user")
        self.inbox_texts = [str(v) for m in msg.get("inbox") or [] if isinstance(m, dict) for v in m.values()]
        tk = initial_config.get("TicketAPI", {})
        self.ticket_ids = [t["id"] for t in tk.get("ticket_queue") or [] if isinstance(t, dict) and "id" in t]
        self.ticket_user = tk.get("current_user")
        tb = initial_config.get("TradingBot", {})
        self.stocks = sorted((tb.get("stocks") or {}).keys()) or ["AAPL", "GOOG", "TSLA", "MSFT", "NVDA"]
        self.stock_prices = {
            k: v.get("price") for k, v in (tb.get("stocks") or {}).items() if isinstance(v, dict)
        }
        orders = tb.get("orders") if "orders" in tb else {"12345": {}, "12446": {}}
        self.order_ids = sorted(int(k) for k in (orders or {}) if str(k).isdigit())
        tr = initial_config.get("TravelAPI", {})
        self.travel = tr
        self.card_ids = sorted((tr.get("credit_card_list") or {}).keys())
        self.booking_ids = sorted((tr.get("booking_record") or {}).keys())

    def resolve(
        self, cls: str, fn: str, p: str, schema: dict[str, Any], args: dict[str, Any], rng: random.Random
    ) -> Any:
        handler = getattr(self, f"_r_{cls}", None)
        return handler(fn, p, args, rng) if handler else MISSING

    def observe(self, cls: str, fn: str, args: dict[str, Any]) -> None:
        if cls == "GorillaFileSystem":
            self.fs.observe(fn, args)

    def _r_GorillaFileSystem(self, fn: str, p: str, args: dict[str, Any], rng: random.Random) -> Any:  # noqa: N802
        return self.fs.resolve(fn, p, args, rng)

    def _r_TwitterAPI(self, fn: str, p: str, args: dict[str, Any], rng: random.Random) -> Any:  # noqa: N802
        tw = self.twitter
        if p == "username" and fn in ("authenticate_twitter", "get_user_stats", "get_user_tweets"):
            return tw["username"]
        if p == "password":
            return tw["password"]
        if p == "tweet_id":
            return rng.choice(self.tweet_ids) if self.tweet_ids else MISSING
        if p == "username_to_unfollow":
            return _pick(rng, list(tw.get("following_list") or []))
        if p == "username_to_follow":
            return _pick(
                rng, [f.lower() for f in _FIRST if f.lower() not in (tw.get("following_list") or [])]
            )
        if p == "mentioned_usernames":
            pool = list(tw.get("following_list") or []) or [f.lower() for f in _FIRST]
            return rng.sample(pool, min(len(pool), rng.randint(1, 2)))
        if p == "keyword":
            words = _words_of(self.tweet_texts)
            return rng.choice(words) if words else MISSING
        if p == "tags":
            return [f"#{rng.choice(_WORDS)}"]
        if p == "mentions":
            return [f"@{rng.choice(list(tw.get('following_list') or ['alice']))}"]
        return MISSING

    def _r_MessageAPI(self, fn: str, p: str, args: dict[str, Any], rng: random.Random) -> Any:  # noqa: N802
        if p == "user":
            return rng.choice(sorted(self.user_map))
        if p == "user_id":
            return self.current_user or rng.choice(sorted(self.user_map.values()))
        if p == "receiver_id":
            return _pick(rng, sorted(self.user_map.values()), [self.current_user])
        if p == "user_name":
            return _pick(rng, [f for f in _FIRST if f not in self.user_map])
        if p == "keyword":
            words = _words_of(self.inbox_texts)
            return rng.choice(words) if words else MISSING
        return MISSING

    def _r_TicketAPI(self, fn: str, p: str, args: dict[str, Any], rng: random.Random) -> Any:  # noqa: N802
        if p == "ticket_id":
            return rng.choice(self.ticket_ids) if self.ticket_ids else MISSING
        if p == "username" and self.ticket_user:
            return self.ticket_user
        if p == "status":
            return rng.choice(["open", "closed", "resolved"])
        return MISSING

    def _r_TradingBot(self, fn: str, p: str, args: dict[str, Any], rng: random.Random) -> Any:  # noqa: N802
        if p in ("symbol", "stock"):
            return rng.choice(self.stocks)
        if p == "stocks":
            return rng.sample(self.stocks, min(len(self.stocks), rng.randint(2, 3)))
        if p == "order_id":
            return rng.choice(self.order_ids) if self.order_ids else MISSING
        if p == "name":
            return rng.choice(_BFCL_COMPANIES)
        if p == "sector":
            return rng.choice(["Technology", "Automobile"])
        if p == "order_type":
            return rng.choice(["Buy", "Sell"])
        if p == "price" and self.stock_prices.get(args.get("symbol")) is not None:
            return self.stock_prices[args["symbol"]]
        if p == "amount" and fn == "place_order":
            return rng.choice([5, 10, 20, 50, 100])
        if p == "min_price":
            return float(rng.choice([50, 100, 200]))
        if p == "max_price":
            return float(rng.choice([400, 800, 3000]))
        return MISSING

    def _r_TravelAPI(self, fn: str, p: str, args: dict[str, Any], rng: random.Random) -> Any:  # noqa: N802
        tr = self.travel
        if p == "access_token" and tr.get("access_token"):
            return tr["access_token"]
        if p == "card_id":
            return rng.choice(self.card_ids) if self.card_ids else MISSING
        if p == "booking_id":
            return rng.choice(self.booking_ids) if self.booking_ids else MISSING
        if p in ("travel_from", "travel_to"):
            other = args.get("travel_to" if p == "travel_from" else "travel_from")
            return _pick(rng, _BFCL_AIRPORTS, [other])
        if p == "location":
            return rng.choice(_BFCL_AIRPORT_CITIES)
        if p == "travel_class":
            return rng.choice(["economy", "business", "first"])
        if p in ("first_name", "user_first_name") and tr.get("user_first_name"):
            return tr["user_first_name"]
        if p in ("last_name", "user_last_name") and tr.get("user_last_name"):
            return tr["user_last_name"]
        if p == "cardholder_name" and tr.get("user_first_name"):
            return f"{tr['user_first_name']} {tr.get('user_last_name', '')}".strip()
        if p == "insurance_type":
            return rng.choice(["comprehensive", "trip cancellation", "medical"])
        if p == "card_number":
            return "".join(str(rng.randint(0, 9)) for _ in range(16))
        if p == "expiration_date":
            return f"{rng.randint(1, 12):02d}/{rng.randint(2026, 2030)}"
        if p == "passport_number":
            return f"P{rng.randint(1000000, 9999999)}"
        if p == "grant_type":
            return rng.choice(["read_write", "read", "write"])
        return MISSING

    def _r_VehicleControlAPI(self, fn: str, p: str, args: dict[str, Any], rng: random.Random) -> Any:  # noqa: N802
        if p == "city":
            return rng.choice(_BFCL_ZIP_CITIES)
        if p in ("cityA", "cityB"):
            if p == "cityB" and "cityA" in args:
                partners = [b for a, b in _BFCL_ZIP_PAIRS if a == args["cityA"]]
                partners += [a for a, b in _BFCL_ZIP_PAIRS if b == args["cityA"]]
                return rng.choice(partners) if partners else MISSING
            return rng.choice(_BFCL_ZIP_PAIRS)[0]
        if p == "destination":
            return rng.choice(["2107 Channing Way, Berkeley, CA", "456 Oakwood Avenue, Rivermist, 83214"])
        if p == "speed":
            return float(rng.randrange(30, 90, 5))
        if p == "fuelAmount":
            return float(rng.randint(5, 30))
        if p == "door":
            return rng.sample(["driver", "passenger", "rear_left", "rear_right"], rng.randint(1, 4))
        if p == "pedalPosition":
            return rng.choice([0.5, 1.0])
        return MISSING

    def _r_MathAPI(self, fn: str, p: str, args: dict[str, Any], rng: random.Random) -> Any:  # noqa: N802
        if fn == "si_unit_conversion" and p in ("unit_in", "unit_out"):
            return _pick(rng, _BFCL_SI_UNITS, [args.get("unit_in")])
        if fn == "imperial_si_conversion" and p == "unit_in":
            return rng.choice(_BFCL_IMPERIAL)[0]
        if fn == "imperial_si_conversion" and p == "unit_out":
            outs = [b for a, b in _BFCL_IMPERIAL if a == args.get("unit_in")]
            return rng.choice(outs) if outs else MISSING
        if fn == "divide" and p == "b":
            return float(rng.randint(1, 20))
        return MISSING


# Parameters whose value must name something that exists in the backend state (a file in the current directory,
# a ticket in the queue, the user's token): there the state's value beats a model's guess. Elsewhere (free text,
# amounts, dates) a model's schema-valid value is kept.
GROUNDED_PARAMS = frozenset(
    {
        "file_name", "file_name1", "file_name2", "source", "folder", "dir_name", "tweet_id", "ticket_id",
        "order_id", "booking_id", "card_id", "access_token", "receiver_id", "user_id", "symbol", "stock",
        "stocks", "username_to_unfollow", "insurance_id", "cityA", "cityB",
    }
)  # fmt: skip


# ---- per-plan value maker ------------------------------------------------------------------------------------------


class ValueMaker:
    """Argument values for the calls of one plan, in the order the calls happen."""

    def __init__(self, rng: random.Random, optional_rate: float = 0.3, bfcl: BfclState | None = None) -> None:
        self.rng = rng
        self.optional_rate = optional_rate
        self.bfcl = bfcl
        self.sources: dict[str, int] = {"backend": 0, "schema": 0, "llm": 0}

    def arguments(
        self,
        tool: Tool,
        *,
        exclude: set[str] | frozenset[str] = frozenset(),
        given: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Values for every required parameter (and some optional ones) not in `exclude`. `given` values (from the
        planner model, already schema-checked) are kept, except for parameters that must name something in the
        backend state (`GROUNDED_PARAMS`), where the state decides."""
        rng = self.rng
        props = tool.parameters.get("properties") or {}
        required = set(tool.parameters.get("required") or [])
        cls = bfcl_class(tool) if self.bfcl is not None else None
        out: dict[str, Any] = {}
        for pname, pschema in props.items():
            if pname in exclude:
                continue
            optional = pname not in required and not (given and pname in given)
            if optional and rng.random() >= self.optional_rate:
                continue
            pschema = pschema if isinstance(pschema, dict) else {}
            value = MISSING
            proposed = given is not None and pname in given
            if proposed and (cls is None or pname not in GROUNDED_PARAMS):
                value = given[pname]  # type: ignore[index]
                self.sources["llm"] += 1
            if value is MISSING and cls is not None and self.bfcl is not None:
                value = self.bfcl.resolve(cls, tool.original_name, pname, pschema, out, rng)
                # Real BFCL states hold quirks (a ticket id "ticket_001" where the doc says integer): the schema wins.
                if value is not MISSING and not fits_type(value, pschema):
                    value = MISSING
                if value is not MISSING:
                    self.sources["backend"] += 1
            if value is MISSING and proposed:
                value = given[pname]  # type: ignore[index]
                self.sources["llm"] += 1
            if value is MISSING:
                value = schema_value(pname, pschema, rng)
                self.sources["schema"] += 1
            out[pname] = value
        return out

    def observe(self, tool: Tool, arguments: dict[str, Any]) -> None:
        if self.bfcl is not None:
            cls = bfcl_class(tool)
            if cls is not None:
                self.bfcl.observe(cls, tool.original_name, arguments)


def accept_llm_values(tool: Tool, values: Any) -> dict[str, Any]:
    """The LLM-proposed arguments that are parameters of `tool` and valid against their own schema."""
    if not isinstance(values, dict):
        return {}
    import jsonschema

    props = tool.parameters.get("properties") or {}
    out: dict[str, Any] = {}
    for k, v in values.items():
        if k not in props or v is None:
            continue
        try:
            jsonschema.validate(v, props[k] if isinstance(props[k], dict) else {})
        except jsonschema.ValidationError:
            continue
        except jsonschema.SchemaError:
            pass
        out[k] = v
    return out
