import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

pytest.importorskip("trl", reason="the `train` extra (trl, peft, datasets) is not installed")
