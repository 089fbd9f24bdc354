"""How long `toolsynth --help` takes, against a bare `python -c pass` measured in the same run.

Target (issue #3): under 0.5 s. Heavy libraries are imported lazily, so this should stay close to the interpreter's
own start-up plus typer/rich.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time

RUNS = 15


def timed(cmd: list[str]) -> float:
    samples = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    exe = shutil.which("toolsynth")
    cli = [exe, "--help"] if exe else [sys.executable, "-m", "toolsynth", "--help"]
    base = timed([sys.executable, "-c", "pass"])
    help_s = timed(cli)
    print(f"{'command':<28}{'median s':>10}")
    print(f"{'python -c pass':<28}{base:>10.3f}")
    print(f"{'toolsynth --help':<28}{help_s:>10.3f}")
    print(
        f"toolsynth --help over bare interpreter: {help_s - base:.3f} s; target < 0.5 s total: "
        f"{'met' if help_s < 0.5 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
