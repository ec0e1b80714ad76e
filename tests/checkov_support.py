"""checkov as the policy tests run it: one skip list per framework, reasons required, JSON results.

Each scan is a few seconds of work in its own process: conftest starts both before the first test, so
they run beside the suite, and the policy tests read their results.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from background_support import BACKGROUND

__all__ = ["CHECKOV", "CONFIGS", "failed_and_passed", "skips_with_reasons", "start"]

ROOT = Path(__file__).resolve().parent.parent
CHECKOV = Path(os.environ.get("CHECKOV_BIN", ROOT / ".venv-checkov" / "bin" / "checkov"))
# The skip list of each framework, with a reason for each skip.
CONFIGS = {"terraform_json": ROOT / "policy" / "checkov-terraform.yaml",
           "kubernetes": ROOT / "policy" / "checkov-kubernetes.yaml"}


def skips_with_reasons(config: Path, check_pattern: str) -> list[str]:
    """The skipped check ids; each must match `check_pattern` and have a comment line above it."""
    lines = config.read_text().splitlines()
    start = lines.index("skip-check:")
    skips = [(i, line.strip()[2:]) for i, line in enumerate(lines) if i > start and line.strip().startswith("- ")]
    for index, check in skips:
        assert re.fullmatch(check_pattern, check), check
        assert lines[index - 1].strip().startswith("#"), f"{check} has no reason above it"
    return [check for _, check in skips]


def start(target: Path | str, framework: str) -> subprocess.Popen[str]:
    """checkov on `target`, in the background."""
    return subprocess.Popen(
        [*BACKGROUND, str(CHECKOV), "-d", str(target), "--framework", framework, "--skip-download",
         "--config-file", str(CONFIGS[framework]), "-o", "json", "--quiet"],
        text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )


def failed_and_passed(scan: subprocess.Popen[str]) -> tuple[list[str], int]:
    """The failed checks of a scan (one line each) and the passed count, once it ends."""
    stdout, stderr = scan.communicate(timeout=900)
    reports = json.loads(stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [f"{c['check_id']} {c['resource']} ({c['file_path']})"
              for report in reports for c in report.get("results", {}).get("failed_checks", [])]
    passed = sum(report.get("summary", {}).get("passed", 0) for report in reports)
    assert failed or scan.returncode == 0, stderr[-2000:]
    return failed, passed
