"""The Mermaid diagrams of the generated pages: a structural check that always runs, and Mermaid's own
parser (npm `mermaid` with `jsdom`, pinned in tests/mermaid/) where Node.js and npm are.

The parser is installed once per machine and pin set into $XDG_CACHE_HOME/payledger-infra/mermaid/<key>/
(~/.cache by default; about 180 MB, some seconds): `make test` installs it before pytest runs
(`python tests/mermaid_support.py`), and the test installs it itself when run alone. The folder appears
only when `npm ci` has finished, so an interrupted install is never taken for a complete one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["Unavailable", "blocks", "install", "parse", "structure_problems"]

SOURCE = Path(__file__).resolve().parent / "mermaid"
FILES = ("package.json", "package-lock.json", "parse.mjs")

ID = r"[A-Za-z][A-Za-z0-9_]*"
LABEL = r'"[^"]*"'
SHAPE = rf'(?:\[{LABEL}\]|\({LABEL}\)|\[\({LABEL}\)\]|\(\({LABEL}\)\)|\{{\{{{LABEL}\}}\}})'
LINES = {
    "subgraph": re.compile(rf"^subgraph ({ID})\[{LABEL}\]$"),
    "end": re.compile(r"^end$"),
    "node": re.compile(rf"^({ID}){SHAPE}$"),
    "edge": re.compile(rf"^({ID}) (?:-->|-\.->)(?:\|{LABEL}\|)? ({ID})$"),
    "classDef": re.compile(rf"^classDef ({ID}) [^\s;]+$"),
    "class": re.compile(rf"^class ({ID}(?:,{ID})*) ({ID})$"),
}
# Words Mermaid's flowchart grammar reads as keywords wherever an id could stand.
KEYWORDS = {"end", "subgraph", "graph", "flowchart", "style", "class", "classDef", "click", "linkStyle",
            "direction", "default", "call", "href"}


class Unavailable(Exception):
    """Mermaid's parser cannot run here; the message says why."""


def blocks(markdown: str) -> list[str]:
    """The text of every ```mermaid block of a page."""
    return re.findall(r"^```mermaid\n(.*?)^```$", markdown, flags=re.MULTILINE | re.DOTALL)


def _classify(line: str) -> tuple[str, tuple[str, ...]] | None:
    for kind, pattern in LINES.items():
        if found := pattern.match(line):
            return kind, found.groups()
    return None


def structure_problems(text: str) -> list[str]:
    """What makes a flowchart implausible: an unknown line, an unsafe or reused id, an edge to nothing,
    a subgraph left open or closed twice. The lines are the subset the pages write (documentation.mermaid)."""
    lines = text.splitlines()
    if not lines or not re.match(r"^flowchart (LR|RL|TB|BT|TD)$", lines[0]):
        return ["does not start with `flowchart <direction>`"]
    problems, declared, used, depth = [], set(), [], 0
    for number, raw in enumerate(lines[1:], start=2):
        classified = _classify(raw.strip())
        if classified is None:
            problems.append(f"line {number}: not a line the pages write: {raw.strip()!r}")
            continue
        kind, groups = classified
        if kind in ("subgraph", "node"):
            if groups[0] in declared:
                problems.append(f"line {number}: {groups[0]} declared twice")
            declared.add(groups[0])
        depth += {"subgraph": 1, "end": -1}.get(kind, 0)
        if depth < 0:
            problems.append(f"line {number}: `end` without a subgraph")
            depth = 0
        if kind == "edge":
            used += groups
        elif kind == "class":
            used += groups[0].split(",")
    if depth:
        problems.append(f"{depth} subgraph(s) never closed")
    problems += [f"{name} is a Mermaid keyword" for name in sorted(declared & KEYWORDS)]
    problems += [f"{name} is linked or styled but never declared" for name in sorted(set(used) - declared)]
    return problems


def _folder() -> Path:
    key = hashlib.sha256(b"".join((SOURCE / name).read_bytes() for name in FILES)).hexdigest()[:16]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "payledger-infra" / "mermaid" / key


def install() -> Path:
    """The installed parser's folder, installing it first (`npm ci` from the committed lock) when missing."""
    folder = _folder()
    if folder.is_dir():
        return folder
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (node and npm):
        raise Unavailable("needs node and npm on PATH")
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".install-", ignore_cleanup_errors=True) as staging:
        for name in FILES:
            shutil.copy2(SOURCE / name, staging)
        result = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                                cwd=staging, capture_output=True, text=True, timeout=600, check=False)
        if result.returncode != 0:
            raise Unavailable(f"npm ci failed: {(result.stderr or result.stdout).strip()[-500:]}")
        try:
            os.rename(staging, folder)
        except OSError:  # another process finished first
            if not folder.is_dir():
                raise
    return folder


def parse(texts: list[str]) -> list[str | None]:
    """For each diagram, None when Mermaid parses it, else Mermaid's error; one Node.js process for all."""
    folder = install()
    result = subprocess.run([shutil.which("node") or "node", str(folder / "parse.mjs")], input=json.dumps(texts),
                            capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        raise AssertionError(f"the Mermaid parser failed to run:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout)


if __name__ == "__main__":
    try:
        print(f"mermaid parser: {install()}")
    except Unavailable as reason:  # the test skips, saying why
        print(f"mermaid parser not installed: {reason}", file=sys.stderr)
