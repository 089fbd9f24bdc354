"""Run the `toolsynth` CLI in a subprocess with the scripted model steered by `install_good_model` (rules live in
the process, so a test that needs them across a process boundary starts the CLI through this script).

    python tests/synth/synth_driver.py synthesize plans.jsonl -o dialogs.jsonl --model scripted/good

`SYNTH_DRIVER_DELAY` (seconds) slows every model answer, so a test can kill the run part-way.
"""

from __future__ import annotations

import os
import sys
import time

from bfcl_plan_fixtures import install_good_model

from toolsynth.testing.scripted import ScriptedModel


def main() -> None:
    install_good_model()
    delay = float(os.environ.get("SYNTH_DRIVER_DELAY", "0") or 0)
    if delay:

        def slow(req):
            time.sleep(delay)
            return None  # fall through to the real rules

        ScriptedModel.add_rule(None, slow, first=True)
    from toolsynth.cli import main as cli

    sys.argv = ["toolsynth", *sys.argv[1:]]
    cli()


if __name__ == "__main__":
    main()
