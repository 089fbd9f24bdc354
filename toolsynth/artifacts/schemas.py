"""Record kinds and their versions (one table, `SCHEMAS`), the schema tag every record carries, the line encoding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson


@dataclass(frozen=True)
class RecordSchema:
    """A record kind's version contract: the version written now and how older ones still read.

    `oldest`: the oldest version a reader accepts (None: only the current one). `upgrade`: `"module:function"` that
    turns one older record into the current version, imported only when an old record is met; None when the record
    model reads the older versions as they are (the newer fields have defaults). Bump `version` when a record's
    meaning changes, and say here how the previous one reads.
    """

    kind: str
    version: int
    oldest: int | None = None
    upgrade: str | None = None

    @property
    def tag(self) -> str:
        return f"toolsynth.{self.kind}/{self.version}"

    def older_version(self, tag: Any) -> int | None:
        """The version of `tag` when it is an older version of this kind that still reads, else None."""
        prefix = f"toolsynth.{self.kind}/"
        if self.oldest is None or not isinstance(tag, str) or not tag.startswith(prefix):
            return None
        version = tag[len(prefix) :]
        if not version.isdigit() or not self.oldest <= int(version) < self.version:
            return None
        return int(version)


_DIALOG_UPGRADE = "toolsynth.synth.migrate:upgrade_dialog"

# Every record kind, in one table: the record models point at their entry (`RECORD`), readers and writers use it.
SCHEMAS: dict[str, RecordSchema] = {
    s.kind: s
    for s in (
        RecordSchema("tool", 1),
        RecordSchema("graph_node", 1),
        RecordSchema("graph_edge", 1),
        RecordSchema("plan", 2, oldest=1),  # plan/1 lacks the dry-run results: the model's defaults read it
        RecordSchema("plan_reject", 1),
        RecordSchema("dialog", 2, oldest=1, upgrade=_DIALOG_UPGRADE),
        RecordSchema("dialog_reject", 2, oldest=1, upgrade=_DIALOG_UPGRADE),
        RecordSchema("dialog_error", 1),
        RecordSchema("preference", 1),
        # make-preferences journal: one finished dialog (its pairs and counts) per line
        RecordSchema("preference_batch", 1),
    )
}
SCHEMA_VERSIONS: dict[str, int] = {kind: s.version for kind, s in SCHEMAS.items()}

_DUMP_OPTS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_SERIALIZE_NUMPY


def schema_tag(kind: str) -> str:
    if kind not in SCHEMAS:
        raise KeyError(f"unknown record kind {kind!r}")
    return SCHEMAS[kind].tag


def stamp(record: dict[str, Any], kind: str) -> dict[str, Any]:
    """Put the schema tag first so a person reading the file sees what each line is."""
    tag = schema_tag(kind)
    if record.get("schema") == tag:
        return record
    return {"schema": tag, **{k: v for k, v in record.items() if k != "schema"}}


def dumps(record: Any) -> bytes:
    return orjson.dumps(record, option=_DUMP_OPTS)
