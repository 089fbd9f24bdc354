"""Run the real CLI entry point in-process and read its one-line errors."""

from __future__ import annotations

import sys


def run_main(args: list[str], capsys) -> tuple[int, str, str]:
    """The real CLI entry point (`toolsynth.cli.main`) in this process: exit code, stdout, stderr. Errors take the
    same path as on a terminal: one line on stderr and the exit code, no traceback."""
    from toolsynth.cli import main

    old = sys.argv
    sys.argv = ["toolsynth", *map(str, args)]
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = old
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(stderr: str) -> str:
    """The only error line; anything else on stderr must be a log warning, never a traceback."""
    assert "Traceback" not in stderr, stderr
    errors = [ln for ln in stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1, stderr
    return errors[0]
