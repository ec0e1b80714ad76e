"""The other side of a diff: the files of a git revision.

A revision's gitops_out/ is committed, so it is read from git. Its Terraform JSON is not: the revision's
tree is exported (`git archive`) so that its own code can synthesize it (preview.compare).
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["RevisionError", "export", "files_at"]


class RevisionError(Exception):
    """The revision cannot be read (unknown ref, not a git checkout); str() is the one line to show."""


def _git(checkout: Path, *args: str) -> bytes:
    result = subprocess.run(["git", "-C", str(checkout), *args], capture_output=True, check=False)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise RevisionError(message[-1] if message else f"git {' '.join(args)} failed")
    return result.stdout


def _commit(checkout: Path, ref: str) -> str:
    try:
        _git(checkout, "rev-parse", "--git-dir")
    except RevisionError:
        raise RevisionError(f"{checkout.name}: not a git checkout; diff compares with a git revision") from None
    try:
        return _git(checkout, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except RevisionError:
        raise RevisionError(f"--base {ref}: no such commit in {checkout.name}") from None


def files_at(checkout: Path, ref: str, folder: str) -> dict[str, bytes]:
    """Every file under `folder` at `ref`, by path relative to `folder`; empty when the folder is absent."""
    commit = _commit(checkout, ref)
    listing = _git(checkout, "ls-tree", "-r", "--name-only", commit, "--", folder).decode().splitlines()
    if not listing:
        return {}
    archive = _git(checkout, "archive", "--format=tar", commit, "--", folder)
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar:
            if member.isfile():
                files[member.name.removeprefix(f"{folder}/")] = tar.extractfile(member).read()  # type: ignore[union-attr]
    return files


def export(checkout: Path, ref: str, target: Path, *, exclude: Sequence[str] = ()) -> Path:
    """The tree of `ref` in `target` (a fresh folder), without the folders in `exclude`."""
    commit = _commit(checkout, ref)
    pathspec = [".", *(f":(exclude){folder}" for folder in exclude)]
    with tarfile.open(fileobj=io.BytesIO(_git(checkout, "archive", "--format=tar", commit, "--", *pathspec))) as tar:
        tar.extractall(target, filter="data")
    return target
