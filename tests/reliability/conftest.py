"""The reliability suite reuses the synth fixtures (hand-made BFCL plans, the scripted good model)."""

from __future__ import annotations

import sys
from pathlib import Path

SYNTH_TESTS = Path(__file__).resolve().parents[1] / "synth"
if str(SYNTH_TESTS) not in sys.path:
    sys.path.insert(0, str(SYNTH_TESTS))
