"""The Node side of the fast path: the provider's npm tarball with a lazy ``lib/index.js``, no inline
source maps, and jsii's runtime index prebuilt.

The runtime index (``.jsii.runtime.v1.*``) is what jsii's kernel otherwise builds in a worker
thread after its first load of a package; a process that exits early kills that worker, and every
later run then parses the 120 MB ``.jsii`` again. Shipping the index in the tarball, built by
jsii's own worker script, makes even the first load use it.
"""

from __future__ import annotations

import gzip
import importlib.resources
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

from speedups.provider.layout import JS_PACKAGE, PACKAGE, LayoutError

__all__ = ["lazy_index", "repack"]

HERE = Path(__file__).parent
_JS_REQUIRE = re.compile(r'exports\.(\w+) = require\("\./([a-z0-9-]+)"\);')
_JS_VOID_INIT = re.compile(r"(exports\.\w+ = )+void 0;")
_INLINE_SOURCE_MAP = re.compile(rb"\n//# sourceMappingURL=data:application/json;base64,[A-Za-z0-9+/=]*\s*\Z")
_INDEX_PREAMBLE = ('"use strict";', 'Object.defineProperty(exports, "__esModule", { value: true });')


def repack(shipped: Path, target: Path, python_submodules: set[str]) -> dict[str, str]:
    """Copy the npm tarball with a lazy ``lib/index.js``, no inline source maps and a prebuilt runtime index.

    Returns the jsii submodule FQN -> Python module map, checked to cover every Python submodule
    exactly once.
    """
    fqn_map: dict[str, str] | None = None
    index_dir = target.parent.parent / "runtime-index"
    index_dir.mkdir()
    try:
        with (
            tarfile.open(shipped, "r:gz") as src,
            gzip.GzipFile(target, "wb", 6, mtime=0) as gz,
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as dst,
        ):
            for member in src:
                if member.isdir():
                    dst.addfile(member)
                    continue
                if not member.isfile() or member.name.startswith("package/.jsii.runtime"):
                    raise LayoutError(f"unexpected tarball member: {member.name}")
                data = src.extractfile(member).read()  # type: ignore[union-attr]
                if member.name == "package/lib/index.js":
                    data, fqn_map = lazy_index(data.decode("utf-8"), python_submodules)
                elif member.name.endswith(".js"):
                    data = _INLINE_SOURCE_MAP.sub(b"\n", data)
                elif member.name == "package/.jsii":
                    (index_dir / ".jsii").write_bytes(data)
                member.size = len(data)
                dst.addfile(member, _BytesReader(data))
            if fqn_map is None:
                raise LayoutError("package/lib/index.js not found in the provider tarball")
            for built in _build_runtime_index(index_dir):
                data = built.read_bytes()
                info = tarfile.TarInfo(f"package/{built.name}")
                info.size, info.mode = len(data), 0o644
                dst.addfile(info, _BytesReader(data))
    finally:
        shutil.rmtree(index_dir, ignore_errors=True)
    return fqn_map


def _build_runtime_index(package_dir: Path) -> list[Path]:
    """Run jsii's own runtime-index worker over ``package_dir/.jsii``; return the files it wrote."""
    worker = importlib.resources.files("jsii._embedded.jsii") / "lib__runtime-index-worker.js"
    if not worker.is_file():
        raise LayoutError("jsii's runtime-index worker script is missing")
    with importlib.resources.as_file(worker) as worker_path:
        subprocess.run(
            [os.environ.get("JSII_NODE", "node"), os.fspath(HERE / "index_worker.js"), os.fspath(worker_path),
             os.fspath(package_dir)],
            check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
    manifest = package_dir / ".jsii.runtime.v1.json"
    if not manifest.is_file():
        raise LayoutError("jsii's runtime-index worker wrote no .jsii.runtime.v1.json")
    built = sorted(p for p in package_dir.iterdir() if p.name.startswith(".jsii.runtime"))
    return [p for p in built if p != manifest] + [manifest]  # manifest last, as jsii writes it


def lazy_index(source: str, python_submodules: set[str]) -> tuple[bytes, dict[str, str]]:
    """Turn ``exports.x = require("./y");`` lines into lazy getters; refuse anything else."""
    exports: list[tuple[str, str]] = []
    for raw in source.splitlines():
        line = raw.strip()
        match = _JS_REQUIRE.fullmatch(line)
        if match:
            exports.append((match[1], match[2]))
        elif not (not line or line in _INDEX_PREAMBLE or line.startswith(("/*", "*", "//"))
                  or _JS_VOID_INIT.fullmatch(line)):
            raise LayoutError(f"unexpected statement in lib/index.js: {line[:60]!r}")
    fqn_map = {f"{JS_PACKAGE}.{name}": f"{PACKAGE}.{_snake_case(name)}" for name, _ in exports}
    if sorted(m.rsplit(".", 1)[1] for m in fqn_map.values()) != sorted(python_submodules):
        raise LayoutError("JS submodules do not map one-to-one onto the Python submodules")
    head = (HERE / "lazy_index_head.js").read_text(encoding="utf-8")
    body = "".join(f'lazy("{name}", "./{path}");\n' for name, path in exports)
    return (head + body).encode("utf-8"), fqn_map


def _snake_case(name: str) -> str:
    """jsii-pacmak's Python submodule name for a JS submodule name (``s3ControlBucket``)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


class _BytesReader:
    """Minimal file object for ``TarFile.addfile``."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._pos + size
        chunk = self._data[self._pos : end].tobytes()
        self._pos += len(chunk)
        return chunk
