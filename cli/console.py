"""What the commands say: progress and problems, on the streams each reader expects, and the exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "InputError", "capacity_warnings", "problem", "progress",
           "warning"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def progress(message: str) -> None:
    """A progress line: on stderr, except under `cdktf synth/deploy`, which labels every line an app writes
    on stderr `[ERROR]` and echoes its stdout as is (@cdktf/commons shell())."""
    print(message, file=sys.stdout if os.environ.get("CDKTF_OUTDIR") else sys.stderr, flush=True)


def problem(message: str) -> None:
    """An error: always on stderr."""
    print(message, file=sys.stderr, flush=True)


def warning(finding, source: str) -> None:
    """A catalog finding worth a look that fails nothing: where progress goes, so that the cdktf CLI does not
    call it an error."""
    progress(f"warning: {finding.shown(source)}")


def capacity_warnings(catalog, env_names: Sequence[str]) -> None:
    """Environments whose pods fit their node groups with little to spare: a warning each, never a failure
    (catalog.rules.capacity refuses those that do not fit when the catalog loads)."""
    from catalog.rules import low_headroom

    for finding in low_headroom(catalog, list(env_names)):
        warning(finding, catalog.source)


class InputError(Exception):
    """Bad input detected by the CLI itself; reported as one line, exit code 2."""

