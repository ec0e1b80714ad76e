"""Replacing output trees as one transaction: every tree a synth was asked for, or none, even across kill -9.

Each new tree is built in a staging folder beside its target (`.gitops_out.staging-<id>`), then all
are swapped in. A journal makes the swap recoverable. It is written with state "staging" before
any staging folder exists, and rewritten with state "commit" once every tree is complete: that
rewrite is the commit point. A run that dies before it leaves staging folders only, which the next
run deletes (rolled back); a run that dies after it, even between the two renames of a swap, is
rolled forward by the next run (completed). Every writer recovers first, under the checkout lock
(output.lock), so recovery never races a live run.

Guarantees hold across process crashes; after a power loss the journal still decides, but file
contents written just before it may not have reached the disk (no fsync per file: 21,000 of
them would cost seconds).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["MARKER", "Transaction", "carry_over", "marker_content", "pending", "recover", "staged_file_writer"]

MARKER = ".payledger-output"
JOURNAL = "journal.json"
FILE_MODE, FOLDER_MODE = 0o644, 0o755


def marker_content(side: str) -> bytes:
    """The file that marks a folder as this tool's output, so nothing else is ever replaced."""
    return (f"payledger-synth-output: {side}\n"
            "# `python main.py synth` replaces this whole folder; edit platform.yaml or the code instead.\n").encode()


@dataclass(frozen=True)
class _Tree:
    target: Path
    staging: Path
    retired: Path

    @classmethod
    def beside(cls, target: Path, txid: str) -> _Tree:
        beside = target.parent / f".{target.name}"
        return cls(target, Path(f"{beside}.staging-{txid}"), Path(f"{beside}.old-{txid}"))

    def roll_forward(self) -> None:
        """Idempotent: completes the swap from whichever step a killed run stopped at."""
        if os.path.lexists(self.staging):
            if os.path.lexists(self.target):
                os.rename(self.target, self.retired)
            os.rename(self.staging, self.target)


def make_folder(path: Path) -> None:
    """mkdir -p with ordinary modes whatever the umask (0755, not mkdtemp's 0700)."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir()
        folder.chmod(FOLDER_MODE)


def write_file(path: Path, content: bytes) -> None:
    """A new regular file with mode 0644 whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(path)) from None
    finally:
        os.close(fd)


def replace_file(path: Path, content: bytes) -> None:
    """`path` replaced by `content` at once (a sibling written, flushed and renamed over it), keeping its
    mode: a reader, or a kill at any moment, sees the old file or the new one."""
    sibling = path.with_name(f".{path.name}.{os.getpid()}.new")
    fd = os.open(sibling, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        try:
            os.fchmod(fd, path.stat().st_mode & 0o7777)
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(sibling, path)
    except BaseException:
        sibling.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def staged_file_writer(target: Path, staging: Path):
    """Writes files into `staging`; a file whose bytes are already in `target` is hard-linked instead.

    A re-synth usually changes few of thousands of files, and creating (then deleting the old)
    files costs far more than linking on disks that trim freed blocks.
    """
    folders: set[Path] = set()

    def write(relative: str, content: bytes) -> None:
        path = staging / relative
        if path.parent not in folders:
            make_folder(path.parent)
            folders.add(path.parent)
        if not _link_if_same(target / relative, path, content):
            write_file(path, content)

    return write


def _link_if_same(existing: Path, path: Path, content: bytes) -> bool:
    """Hard-link `existing` to `path` when it is a plain 0644 file holding exactly `content`."""
    try:
        stat = existing.lstat()
        if (stat.st_mode & 0o170777) != (0o100000 | FILE_MODE) or stat.st_size != len(content):
            return False
        if existing.read_bytes() != content:
            return False
        os.link(existing, path, follow_symlinks=False)
    except OSError:
        return False
    return True


def _write_journal(journal: Path, state: str, trees: Iterable[_Tree]) -> None:
    """Atomically (write, fsync, rename, fsync the folder): the journal is the transaction's truth."""
    record = {"state": state, "trees": [{key: str(getattr(tree, key)) for key in ("target", "staging", "retired")}
                                        for tree in trees]}
    partial = journal.with_name(journal.name + ".partial")
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, journal)
    _fsync_folder(journal.parent)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_journal(journal: Path) -> tuple[str, list[_Tree]] | None:
    try:
        record: dict[str, Any] = json.loads(journal.read_text(encoding="utf-8"))
        trees = [_Tree(Path(t["target"]), Path(t["staging"]), Path(t["retired"])) for t in record["trees"]]
        return record["state"], trees
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return "unreadable", []  # torn before its first rename: nothing was staged under it


def recover(state_dir: Path, targets: Iterable[Path] = ()) -> None:
    """Finish what a killed run left: roll a committed swap forward, delete an uncommitted one's staging
    folders, then remove stray staging and retired folders beside `targets`. Call under the exclusive lock."""
    journal = state_dir / JOURNAL
    found = _read_journal(journal)
    if found is not None:
        state, trees = found
        for tree in trees:
            if state == "commit":
                tree.roll_forward()
            else:
                shutil.rmtree(tree.staging, ignore_errors=True)
        journal.unlink()
        for tree in trees:
            shutil.rmtree(tree.retired, ignore_errors=True)
    journal.with_name(journal.name + ".partial").unlink(missing_ok=True)
    for target in targets:
        for pattern in (f".{target.name}.staging-*", f".{target.name}.old-*"):
            for stray in target.parent.glob(pattern):
                if stray.is_dir() and not stray.is_symlink():
                    shutil.rmtree(stray, ignore_errors=True)


class Transaction:
    """`with Transaction(state_dir, targets) as staging:` fill `staging[side]`; leaving the block
    without an exception swaps every tree in, with one removes every staging folder."""

    def __init__(self, state_dir: Path, targets: Mapping[str, Path]) -> None:
        txid = secrets.token_hex(6)
        self.journal = state_dir / JOURNAL
        self.trees = {side: _Tree.beside(target, txid) for side, target in targets.items()}

    def __enter__(self) -> dict[str, Path]:
        _write_journal(self.journal, "staging", self.trees.values())
        try:
            for side, tree in self.trees.items():
                make_folder(tree.target.parent)
                tree.staging.mkdir()
                tree.staging.chmod(FOLDER_MODE)
                write_file(tree.staging / MARKER, marker_content(side))
        except BaseException:
            self._abort()
            raise
        return {side: tree.staging for side, tree in self.trees.items()}

    def __exit__(self, error_type, error, traceback) -> None:
        if error_type is not None:
            self._abort()
            return
        try:
            for tree in self.trees.values():
                _normalize_modes(tree.staging)
            _write_journal(self.journal, "commit", self.trees.values())
        except BaseException:
            self._abort()
            raise
        for tree in self.trees.values():  # past the commit point: only forward
            tree.roll_forward()
        self.journal.unlink()
        for tree in self.trees.values():
            shutil.rmtree(tree.retired, ignore_errors=True)

    def _abort(self) -> None:
        for tree in self.trees.values():
            shutil.rmtree(tree.staging, ignore_errors=True)
        self.journal.unlink(missing_ok=True)


def _normalize_modes(root: Path) -> None:
    """Ordinary modes for what others wrote into a staging folder (cdktf's Node.js process has its own umask)."""
    for folder, _, files in os.walk(root):
        os.chmod(folder, FOLDER_MODE)
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path) and os.stat(path).st_mode & 0o777 != FILE_MODE:
                os.chmod(path, FILE_MODE)


def pending(state_dir: Path) -> bool:
    """Whether a killed run left a transaction for `recover` to finish."""
    return (state_dir / JOURNAL).exists()


def carry_over(target: Path, staging: Path, *, regenerated: Iterable[str]) -> None:
    """Link everything of `target` except the `regenerated` top-level folders into `staging`, so
    `synth --env prod` leaves dev and staging as they are. Links are copied as links, never followed."""
    if not target.is_dir():
        return
    skip = {*regenerated, MARKER}
    for child in sorted(target.iterdir()):
        if child.name in skip:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.copytree(child, staging / child.name, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(child, staging / child.name)


def _link_or_copy(source: str | Path, destination: str | Path) -> None:
    try:
        os.link(source, destination, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, destination, follow_symlinks=False)
