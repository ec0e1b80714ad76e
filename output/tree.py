"""Comparing an output folder with what synth would write: type, mode and content, reading no more than needed.

Modes are compared as git records them (a file is executable or not), so a checkout made under
another umask is not a difference, while a file that gained its exec bit is.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TreeDiff", "diff_tree", "read_tree"]


@dataclass(frozen=True)
class TreeDiff:
    """Paths synth would add, remove or change; an entry may end with its reason in parentheses."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def lines(self, root: str = "") -> list[str]:
        """One line per path, each under `root` when given (`added:   gitops_out/dev/...`)."""
        prefix = f"{root.rstrip('/')}/" if root else ""
        return [
            *(f"added:   {prefix}{path}" for path in self.added),
            *(f"removed: {prefix}{path}" for path in self.removed),
            *(f"changed: {prefix}{path}" for path in self.changed),
        ]


def diff_tree(expected: Mapping[str, bytes], root: Path) -> TreeDiff:
    """What a fresh synth (`expected`, by POSIX relative path) would do to the folder `root`."""
    removed: list[str] = []
    changed: list[str] = []
    seen: set[str] = set()
    for relative, entry in _walk(root, expected):
        content = expected.get(relative)
        if content is None:
            removed.append(relative if entry.is_file(follow_symlinks=False) else f"{relative} ({_kind(entry)})")
            continue
        seen.add(relative)
        if not entry.is_file(follow_symlinks=False):
            changed.append(f"{relative} ({_kind(entry)}, expected a regular file)")
        elif entry.stat(follow_symlinks=False).st_mode & 0o111:
            changed.append(f"{relative} (executable, expected mode 0644)")
        elif not _same_content(entry, content):
            changed.append(relative)
    return TreeDiff(
        added=tuple(sorted(expected.keys() - seen)),
        removed=tuple(sorted(removed)),
        changed=tuple(sorted(changed)),
    )


def _walk(root: Path, expected: Mapping[str, bytes], prefix: str = "") -> Iterator[tuple[str, os.DirEntry]]:
    """Every entry under `root` without following links; a folder where a file is expected is not entered."""
    with os.scandir(root) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            relative = f"{prefix}{entry.name}"
            if entry.is_dir(follow_symlinks=False) and relative not in expected:
                yield from _walk(Path(entry.path), expected, f"{relative}/")
            else:
                yield relative, entry


def _kind(entry: os.DirEntry) -> str:
    if entry.is_symlink():
        return "a symbolic link"
    if entry.is_dir(follow_symlinks=False):
        return "a folder"
    if entry.is_file(follow_symlinks=False):
        return "a regular file"
    return "a special file"


def _same_content(entry: os.DirEntry, content: bytes) -> bool:
    """Compare sizes first; read the file only when they agree, and never past the expected size."""
    if entry.stat(follow_symlinks=False).st_size != len(content):
        return False
    with open(entry.path, "rb") as handle:
        return handle.read(len(content) + 1) == content


def read_tree(root: Path) -> dict[str, bytes]:
    """Every regular file under `root` by POSIX relative path; empty when `root` does not exist."""
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }
