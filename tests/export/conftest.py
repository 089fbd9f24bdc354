"""Fixtures for the export tests: real dialogs made by `synthesize` (scripted model, real BFCL classes), dialogs
built by hand for each export rule, and preference pairs built from a real dialog."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "synth"))

from export_fixtures import pairs_from, rule_dialogs, synthesized_dialogs  # noqa: E402

from toolsynth.artifacts import write_artifact  # noqa: E402


@pytest.fixture(scope="session")
def real_dialogs(tmp_path_factory) -> Path:
    """dialogs.jsonl from `toolsynth synthesize` over the five hand-built BFCL plans."""
    return synthesized_dialogs(tmp_path_factory.mktemp("synth"))


@pytest.fixture(scope="session")
def rules_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("rules") / "dialogs.jsonl"
    write_artifact(path, "dialog", (d.to_record() for d in rule_dialogs()))
    return path


@pytest.fixture(scope="session")
def prefs_file(real_dialogs, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("prefs") / "preferences.jsonl"
    write_artifact(path, "preference", (p.to_record() for p in pairs_from(real_dialogs)))
    return path
