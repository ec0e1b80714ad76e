"""Work the suite runs beside its tests (Terraform plans, policy scans, the slow-path synth) yields the CPU:
started at a lower priority, it takes what the tests leave idle instead of slowing them down."""

from __future__ import annotations

import shutil

__all__ = ["BACKGROUND"]

# A command prefix; without `nice` the work runs at normal priority, as before.
BACKGROUND = ["nice", "-n", "10"] if shutil.which("nice") else []
