"""checkov as the policy tests run it: one skip list per framework, reasons required, JSON results."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

__all__ = ["CHECKOV", "failed_and_passed", "skips_with_reasons"]

ROOT = Path(__file__).resolve().parent.parent
CHECKOV = Path(os.environ.get("CHECKOV_BIN", ROOT / ".venv-checkov" / "bin" / "checkov"))


def skips_with_reasons(config: Path, check_pattern: str) -> list[str]:
    """The skipped check ids; each must match `check_pattern` and have a comment line above it."""
    lines = config.read_text().splitlines()
    start = lines.index("skip-check:")
    skips = [(i, line.strip()[2:]) for i, line in enumerate(lines) if i > start and line.strip().startswith("- ")]
    for index, check in skips:
        assert re.fullmatch(check_pattern, check), check
        assert lines[index - 1].strip().startswith("#"), f"{check} has no reason above it"
    return [check for _, check in skips]


def failed_and_passed(target: Path | str, framework: str, config: Path) -> tuple[list[str], int]:
    """Run checkov on `target`; return the failed checks (one line each) and the passed count."""
    result = subprocess.run(
        [str(CHECKOV), "-d", str(target), "--framework", framework, "--skip-download",
         "--config-file", str(config), "-o", "json", "--quiet"],
        text=True, capture_output=True, timeout=900, check=False, cwd=ROOT,
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [f"{c['check_id']} {c['resource']} ({c['file_path']})"
              for report in reports for c in report.get("results", {}).get("failed_checks", [])]
    passed = sum(report.get("summary", {}).get("passed", 0) for report in reports)
    assert failed or result.returncode == 0, result.stderr[-2000:]
    return failed, passed
