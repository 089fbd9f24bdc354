"""A prompt as data: a named, versioned template (its text, the inputs it needs, named parts) with the parser of the
answer it asks for beside it, apart from the model client that sends it (in the manner of distilabel's Task)."""

from __future__ import annotations

import functools
import hashlib
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_FORMATTER = string.Formatter()


@functools.lru_cache(maxsize=1024)
def placeholders(text: str) -> tuple[str, ...]:
    """The `{name}` fields of a str.format template, in order, each once (`{{`/`}}` are literal braces)."""
    seen: dict[str, None] = {}
    for _, name, _, _ in _FORMATTER.parse(text):
        if name is not None:
            if not name.isidentifier():
                raise ValueError(f"template field {{{name}}} is not a plain name")
            seen[name] = None
    return tuple(seen)


@functools.lru_cache(maxsize=1024)
def _field_set(text: str) -> frozenset[str]:
    return frozenset(placeholders(text))


class PromptInputError(ValueError):
    """A template rendered without an input it needs, or with one it does not take: a bug in the caller."""


# eq=False: prompts compare and hash by identity (an override is a new object), so they can key caches.
@dataclass(frozen=True, eq=False)
class Prompt:
    """`id` names the prompt everywhere (manifests, overrides); `version` is bumped when its meaning changes;
    `template` is the main text (`system`, when set, is the system message sent with it); `parts` are named pieces
    the caller assembles (optional sections, list items). `schema` is the JSON Schema the answer must match and
    `parse` turns the model's answer into what the caller uses."""

    id: str
    version: int
    template: str = ""
    system: str = ""
    parts: Mapping[str, str] = field(default_factory=dict)
    schema: Mapping[str, Any] | None = None
    parse: Callable[..., Any] | None = None
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", MappingProxyType(dict(self.parts)))
        # A malformed template fails where it is defined, not at first use. The system text is sent as it
        # stands (it takes no inputs, so its braces are literal).
        for text in (self.template, *self.parts.values()):
            placeholders(text)

    @property
    def inputs(self) -> tuple[str, ...]:
        """What `render` needs."""
        return placeholders(self.template)

    def render(self, **values: Any) -> str:
        return _fill(self.id, self.template, values)

    def part(self, part_name: str, /, **values: Any) -> str:
        """One named part, filled. On this hot path (every request) only a missing input is an error; `render`
        also refuses inputs the template does not take."""
        try:
            text = self.parts[part_name]
        except KeyError:
            raise PromptInputError(f"prompt {self.id!r} has no part {part_name!r}") from None
        try:
            return text.format_map(values)
        except KeyError as exc:
            raise PromptInputError(
                f"prompt {self.id}#{part_name}: missing inputs [{exc.args[0]!r}]"
            ) from None

    def messages(self, **values: Any) -> list[dict[str, str]]:
        """[system?, user]: the system text as it stands (no inputs), the template rendered as the user turn."""
        out = [{"role": "system", "content": self.system}] if self.system else []
        return [*out, {"role": "user", "content": self.render(**values)}]

    @property
    def digest(self) -> str:
        """Content hash of everything sent to a model (id, version, texts); parsers are code, not content."""
        h = hashlib.sha256()
        for piece in (self.id, str(self.version), self.system, self.template):
            h.update(piece.encode())
            h.update(b"\0")
        for name in sorted(self.parts):
            h.update(f"{name}\0{self.parts[name]}\0".encode())
        return h.hexdigest()[:16]

    def headings_pattern(self, names: tuple[str, ...] | None = None) -> re.Pattern[str]:
        """A regex that finds the headings of this prompt's parts (`names`, default all) in a model's answer: the
        literal text of each part up to its first sentence end, with every input standing for any text on the
        line. An answer that contains one repeats the prompt instead of doing what it asks."""
        chosen = self.parts if names is None else {n: self.parts[n] for n in names}
        alts = [p for p in (_heading(text, self.parts, {name}) for name, text in chosen.items()) if p]
        return re.compile("|".join(alts), re.I)


def _fill(where: str, text: str, values: dict[str, Any]) -> str:
    need = _field_set(text)  # cached: a template is parsed once, not on every render
    if values.keys() != need:
        missing, extra = need - values.keys(), values.keys() - need
        raise PromptInputError(
            f"prompt {where}: missing inputs {sorted(missing)}, unexpected {sorted(extra)}"
            if missing
            else f"prompt {where}: unexpected inputs {sorted(extra)}"
        )
    return text.format(**values)


_ANY = r"[^.\n]*"
_SPACE = r"\s+"
_END = re.compile(r"[.?!\n]")


def _heading(text: str, parts: Mapping[str, str], seen: set[str]) -> str:
    """The regex of `text`'s heading. A field named after another part stands for that part's own pattern (a
    list item's shape, say `{label} = {value}`), so a heading is only found with what follows it in the prompt."""
    out: list[str] = []
    for literal, name, _, _ in _FORMATTER.parse(text):
        m = _END.search(literal)
        out.append(_literal(literal[: m.start()] if m else literal))
        if m:
            return _trim("".join(out))
        if name is None:
            break
        if name in parts and name not in seen:
            inner = _heading(parts[name], parts, seen | {name})
            # the inner part's trailing field leaves nothing to match: the heading ends with its last literal
            out.append(inner if inner else _ANY)
            break
        out.append(_ANY)
    return _trim("".join(out))


def _trim(pattern: str) -> str:
    """Drop what a heading ends with that matches anything (a trailing field, trailing space)."""
    for tail in (_ANY, _SPACE):
        if pattern.endswith(tail):
            return _trim(pattern[: -len(tail)])
    return pattern


def _literal(text: str) -> str:
    # Matched case-insensitively; any run of whitespace stands for any other; an apostrophe may be dropped.
    words = re.sub(r"\s+", " ", text)
    return "".join(_SPACE if ch == " " else "'?" if ch == "'" else re.escape(ch) for ch in words)
