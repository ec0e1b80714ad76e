"""One writer at a time per checkout: synth holds an exclusive lock, check and validate a shared one.

The lock is flock(2) on a file in the checkout's state folder, so the kernel releases it when its
holder dies, even by kill -9: a stale lock cannot exist. The writer records who it is in the file,
so a second run can name the holder while it waits, and in its one-line error when it gives up.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["LockTimeout", "checkout_lock"]

POLL_SECONDS = 0.1
# State folders whose exclusive lock this process holds: a nested request (set-image's synth) is granted.
_HELD: set[Path] = set()


class LockTimeout(Exception):
    """Another run held the lock for longer than we were willing to wait."""


@contextmanager
def checkout_lock(state_dir: Path, *, exclusive: bool, timeout: float,
                  waiting: Callable[[str], None] = lambda holder: None) -> Iterator[None]:
    """Hold the checkout's lock for the block; wait up to `timeout` seconds for another holder."""
    state_dir.mkdir(mode=0o755, exist_ok=True)
    key = state_dir.resolve()
    if key in _HELD:
        yield
        return
    path = state_dir / "lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH, timeout, path, waiting)
        if exclusive:
            os.ftruncate(fd, 0)
            os.pwrite(fd, _who().encode(), 0)
            _HELD.add(key)
        yield
        if exclusive:
            os.ftruncate(fd, 0)  # a later waiter must not name a holder that has left
    finally:
        _HELD.discard(key)
        os.close(fd)  # closing releases the lock


def _acquire(fd: int, mode: int, timeout: float, path: Path, waiting: Callable[[str], None]) -> None:
    deadline = time.monotonic() + timeout
    announced = False
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "a running check or validate"
            if time.monotonic() >= deadline:
                raise LockTimeout(f"{path}: held by {holder} for more than {timeout:g} s; "
                                  "try again when it has finished") from None
            if not announced:
                waiting(holder)
                announced = True
            time.sleep(POLL_SECONDS)


def _who() -> str:
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else "python"
    return f"pid {os.getpid()} ({command})"
