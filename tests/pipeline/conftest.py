import sys
from pathlib import Path

import pytest

# The BFCL plan fixtures and the scripted "good model" live beside the synthesize tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "synth"))


@pytest.fixture
def good_model():
    """The scripted model playing every role well, for tests that call the library in this process."""
    from bfcl_plan_fixtures import install_good_model

    from toolsynth.testing.scripted import ScriptedModel

    ScriptedModel.reset()
    install_good_model()
    yield ScriptedModel
    ScriptedModel.reset()
