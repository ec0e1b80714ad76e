"""The fast path's cache folder: built once per versions, published atomically, never in site-packages.

``$XDG_CACHE_HOME/payledger-infra/fast-provider/<key>/`` (``~/.cache`` by default), the key naming
the exact provider, jsii and cdktf versions and the format of what is built there. An entry is built
in a temporary sibling folder and published by one atomic ``rename``, so concurrent first runs at
worst build it twice.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

__all__ = ["FORMAT", "cache_entry", "cache_root", "complete"]

FORMAT = 3  # bump when the cache layout or the tarball transformation changes
STALE_SECONDS = 3600  # a live build finishes well within an hour


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/payledger-infra/fast-provider`` (``~/.cache`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "payledger-infra" / "fast-provider"


def cache_entry(versions: dict[str, str], shipped_tarball: Path, submodules: list[str]) -> Path:
    """The entry holding the repacked tarball and the FQN map for these versions; built when missing."""
    from speedups.provider.layout import DIST
    from speedups.provider.repack import repack

    key = f"provider-aws-{versions[DIST]}_jsii-{versions['jsii']}_cdktf-{versions['cdktf']}_f{FORMAT}"
    entry = cache_root() / key
    if complete(entry):
        return entry
    entry.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp_dirs(entry.parent)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=entry.parent))
    try:
        (tmp / "entry").mkdir()
        fqn_map = repack(shipped_tarball, tmp / "entry" / "package.tgz", set(submodules))
        (tmp / "entry" / "fqn-map.json").write_text(json.dumps(fqn_map, sort_keys=True), encoding="utf-8")
        meta = {"versions": versions, "source": shipped_tarball.name, "format": FORMAT}
        (tmp / "entry" / "meta.json").write_text(json.dumps(meta, sort_keys=True), encoding="utf-8")
        if entry.exists() and not complete(entry):  # damaged by hand: move it aside first
            os.rename(entry, tmp / "damaged")
        try:
            os.rename(tmp / "entry", entry)  # atomic publish; fails if a concurrent run got there first
        except OSError:
            if not complete(entry):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return entry


def complete(entry: Path) -> bool:
    return all((entry / name).is_file() for name in ("package.tgz", "fqn-map.json", "meta.json"))


def _remove_stale_temp_dirs(root: Path) -> None:
    """Temp dirs of builds killed mid-way."""
    for stale in root.glob(".tmp-*"):
        try:
            if time.time() - stale.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(stale, ignore_errors=True)
        except OSError:
            pass
