"""The six real stacks synthesized the slow way, in the background: the AWS provider imported as shipped
and jsii's runtime type checks on (PAYLEDGER_FAST_PROVIDER=0), ~15 s and ~600 MB in one process.

conftest starts it before the first test of a session that includes tests/test_slow_path.py, so it
runs beside the suite. It runs from a private copy of main.py: its lock and journal must not make the
suite's own synths wait.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from background_support import BACKGROUND

ROOT = Path(__file__).resolve().parent.parent


def start(workdir: Path) -> tuple[subprocess.Popen[str], Path]:
    """Start `main.py synth --only terraform` without the fast path; returns the process and its output folder."""
    checkout = workdir / "checkout"
    checkout.mkdir()
    shutil.copy(ROOT / "main.py", checkout / "main.py")
    out = workdir / "cdktf.out"
    env = {**os.environ, "PAYLEDGER_FAST_PROVIDER": "0", "TMPDIR": str(workdir)}
    process = subprocess.Popen(
        [*BACKGROUND, sys.executable, str(checkout / "main.py"), "synth", "--only", "terraform",
         "--catalog", str(ROOT / "platform.yaml"), "--tf-out", str(out)],
        cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return process, out
