"""A process that replaces two output trees through output.transaction and can be SIGKILLed at any step.

    python crash_support.py STATE_DIR OUT_DIR VARIANT [--kill-at N]

Without --kill-at it prints the file-system steps (renames, replaces, unlinks) a transaction takes,
one JSON line each: [call, path, ...];
with it, the process kills itself with a real SIGKILL just before step N. Trees are small so a
test can try every step in well under a second each.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

STEPS = ("rename", "replace", "unlink")


def trees(variant: str) -> dict[str, dict[str, bytes]]:
    """Two sides whose every file says which variant wrote it."""
    return {side: {f"{env}/{name}.yaml": f"{side} {env} {name} {variant}\n".encode()
                   for env in ("dev", "prod") for name in ("a", "b", "c")}
            for side in ("kubernetes", "terraform")}


def targets(out_dir: Path) -> dict[str, Path]:
    return {"kubernetes": out_dir / "gitops_out", "terraform": out_dir / "cdktf.out"}


def replace(state_dir: Path, out_dir: Path, variant: str) -> None:
    from output.transaction import Transaction, recover, staged_file_writer

    recover(state_dir, targets(out_dir).values())
    with Transaction(state_dir, targets(out_dir)) as staging:
        for side, files in trees(variant).items():
            write = staged_file_writer(targets(out_dir)[side], staging[side])
            for relative, content in files.items():
                write(relative, content)


def instrument(kill_at: int | None) -> list[list[str]]:
    """Record every step; SIGKILL this process just before step `kill_at` (1-based)."""
    taken: list[list[str]] = []
    for name in STEPS:
        real = getattr(os, name)

        def step(*args, _real=real, _name=name, **kwargs):
            taken.append([_name, *(str(arg) for arg in args)])
            if len(taken) == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return _real(*args, **kwargs)

        setattr(os, name, step)
    return taken


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("state_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("variant")
    parser.add_argument("--kill-at", type=int)
    args = parser.parse_args()
    args.state_dir.mkdir(parents=True, exist_ok=True)
    taken = instrument(args.kill_at)
    replace(args.state_dir, args.out_dir, args.variant)
    print("\n".join(json.dumps(step) for step in taken))


if __name__ == "__main__":
    sys.exit(main())
