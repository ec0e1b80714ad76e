"""The committed gitops_out/, parsed once per test session with libyaml: several test files read every
object of every environment, and the pure-Python parser would spend most of the suite's time on it."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def committed(env_name: str) -> tuple[tuple[Path, dict[str, Any]], ...]:
    """(file, object) for every object under gitops_out/<env>/, files in sorted order. Read only: shared."""
    folder = ROOT / "gitops_out" / env_name
    assert folder.is_dir(), f"{folder} missing: run `make synth` (gitops_out/ is committed)"
    return tuple((path, doc) for path in sorted(folder.rglob("*.yaml"))
                 for doc in yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
                 if isinstance(doc, dict))
