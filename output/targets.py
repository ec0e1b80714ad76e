"""Which folders a synth may replace: its own output only, never a checkout, a file or anyone else's folder.

Every output folder carries a marker file (output.transaction.MARKER) naming its side, so a
folder this tool did not create, or the other side's output, is recognised and refused before
anything is touched.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from pathlib import Path

from output.transaction import MARKER

__all__ = ["UnsafeOutput", "safe_outputs"]

CDKTF_LAYOUT = {"manifest.json", "stacks"}


class UnsafeOutput(Exception):
    """An output option names a folder that synth must not replace; str() is the one line to show."""


def safe_outputs(outputs: Mapping[str, tuple[str, Path]], *, checkout: Path) -> dict[str, Path]:
    """`outputs` maps an option (`--out`) to its side and folder; returns each folder's real path.

    Raises UnsafeOutput for the first folder that is the checkout or above it, holds a .git, is not
    a folder, is a link, was not made by this tool, is the other side's output, sits inside an
    output, or overlaps another option's folder.
    """
    checkout = checkout.resolve()
    real: dict[str, Path] = {}
    for option, (side, path) in outputs.items():
        problem = _problem(side, path, checkout)
        if problem:
            raise UnsafeOutput(f"{option} {path}: {problem}")
        real[option] = _real(path)
    for (first, a), (second, b) in itertools.combinations(real.items(), 2):
        if a == b:
            raise UnsafeOutput(f"{first} and {second} name the same folder ({outputs[first][1]}); "
                               "each side needs a folder of its own")
        for (inner, x), (outer, y) in (((first, a), (second, b)), ((second, b), (first, a))):
            if y in x.parents:
                raise UnsafeOutput(f"{inner} {outputs[inner][1]} is inside {outer} {outputs[outer][1]}; "
                                   "the two outputs must not nest")
    return real


def _problem(side: str, path: Path, checkout: Path) -> str | None:
    if path.is_symlink():
        return "is a symbolic link; name the real folder"
    folder = _real(path)
    if folder == checkout or folder in checkout.parents:
        return "is the checkout or a folder above it; synth replaces its output folder as a whole"
    if os.path.lexists(folder) and not folder.is_dir():
        return "is not a folder; synth writes a folder of its own"
    if os.path.lexists(folder / ".git"):
        return "holds a .git repository; synth replaces its output folder as a whole"
    for above in folder.parents:
        if _marked_side(above) is not None:
            return f"is inside the output folder {above}; choose a folder of its own"
    if folder.is_dir():
        marked = _marked_side(folder) or _cdktf_layout(folder)
        if marked is None and any(folder.iterdir()):
            return (f"was not created by synth (no {MARKER} in it) and is not empty; "
                    "move it away or choose another folder")
        if marked is not None and marked != side:
            return f"is the {marked} output; the {side} output needs a folder of its own"
    return None


def _real(path: Path) -> Path:
    """Absolute, `..` resolved, links above the folder resolved; the folder itself is never followed."""
    absolute = Path(os.path.abspath(path))
    return absolute.parent.resolve() / absolute.name


def _cdktf_layout(folder: Path) -> str | None:
    """A folder the cdktf CLI made (or a synth before markers existed): the terraform side's own layout."""
    names = {entry.name for entry in folder.iterdir()}
    return "terraform" if names and names <= CDKTF_LAYOUT else None


def _marked_side(folder: Path) -> str | None:
    """The side named by `folder`'s marker, or None when it has no readable marker."""
    marker = folder / MARKER
    if marker.is_symlink() or not marker.is_file():
        return None
    try:
        with open(marker, "rb") as handle:
            first = handle.readline(200).decode("utf-8", "replace")
    except OSError:
        return None
    key, _, side = first.partition(":")
    return side.strip() if key == "payledger-synth-output" else None
