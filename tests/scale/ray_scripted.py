"""What every process of a test's Ray cluster runs at start (`worker_process_setup_hook`): the scripted model's
rules live in the process, so the workers get the same ones as the driver."""

from __future__ import annotations

from typing import Any


def never_asks(req: Any) -> bool:
    """An assistant told to ask the user for a missing value answers instead: those dialogs are rejected (by the
    adherence check, after every regeneration), so the rejects file is exercised too."""
    from bfcl_plan_fixtures import _hint_of

    hint = _hint_of(req)
    return req.tools is not None and hint is not None and hint.startswith("The user has not given")


def install() -> None:
    from bfcl_plan_fixtures import install_good_model

    from toolsynth.testing.scripted import ScriptedModel

    ScriptedModel.reset()
    install_good_model()
    ScriptedModel.add_rule(never_asks, "Done, I went ahead with a name of my own.", first=True)
