"""The import side of the fast path: a meta-path finder for the provider's two package modules, and a
loader that compiles jsii-generated bindings without their runtime type checks.

The jsii-generated packages (``constructs``, ``cdktf``, ``cdk8s`` and the provider's submodules)
check every argument with ``typeguard`` inside ``if __debug__:`` blocks (~0.4 s of a synth). They
are compiled as ``python -O`` would (``optimize=1``: those blocks and ``assert``s dropped, docstrings
kept), the bytecode kept in the cache folder, keyed by interpreter, file path, size and mtime.
Valid programs produce the same bytes; a wrong argument type is reported by the jsii kernel instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.machinery
import importlib.util
import marshal
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from speedups.provider.cache import cache_root
from speedups.provider.layout import PACKAGE, Prepared, warn

__all__ = ["BYTECODE_FORMAT", "UNCHECKED_PACKAGES", "ProviderFinder", "RedirectingKernel", "UncheckedLoader",
           "bytecode_dir"]

BYTECODE_FORMAT = 1  # bump when the way bindings are compiled changes
# jsii-generated Python bindings: compiled without their `if __debug__:` typeguard checks
UNCHECKED_PACKAGES = frozenset({"constructs", "cdktf", "cdk8s", PACKAGE})


class RedirectingKernel:
    """Hands jsii's kernel the repacked tarball; falls back to the shipped one if it is refused."""

    def __init__(self, lazy_tarball: Path, shipped_tarball: Path) -> None:
        self._lazy = lazy_tarball
        self._shipped = shipped_tarball

    def load(self, name: str, version: str, tarball: str) -> Any:
        kernel = importlib.import_module("jsii._runtime").kernel
        try:
            return kernel.load(name, version, os.fspath(self._lazy))
        except Exception as error:
            warn(f"kernel refused the repacked provider ({type(error).__name__}); loading the shipped one")
            return kernel.load(name, version, os.fspath(self._shipped))


class _SourceLoader(importlib.machinery.SourceFileLoader):
    """Runs given source under the original file name; never writes bytecode."""

    def __init__(self, fullname: str, path: str, source: str, extra_globals: dict[str, Any]) -> None:
        super().__init__(fullname, path)
        self._source = source
        self._extra_globals = extra_globals

    def get_code(self, fullname: str) -> Any:
        return compile(self._source, self.path, "exec", dont_inherit=True, optimize=1)

    def exec_module(self, module: Any) -> None:
        module.__dict__.update(self._extra_globals)
        super().exec_module(module)


class UncheckedLoader(importlib.machinery.SourceFileLoader):
    """Loads a binding module compiled as ``python -O`` would; bytecode cached in the cache folder."""

    def get_code(self, fullname: str) -> Any:
        stat = os.stat(self.path)
        header = f"{self.path}\0{stat.st_size}\0{stat.st_mtime_ns}\0{sys.version}\n".encode()
        cached = bytecode_dir() / f"{fullname}-{hashlib.sha256(header).hexdigest()[:16]}.pyc"
        try:
            data = cached.read_bytes()
            if data.startswith(header):
                return marshal.loads(memoryview(data)[len(header) :])
        except (OSError, ValueError, EOFError, TypeError):
            pass  # missing or unreadable: compile again below
        code = compile(self.get_data(self.path), self.path, "exec", dont_inherit=True, optimize=1)
        with contextlib.suppress(OSError):
            _publish(cached, header + marshal.dumps(code))
        return code


def _publish(path: Path, data: bytes) -> None:
    """Write atomically: a concurrent reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def bytecode_dir() -> Path:
    return cache_root() / f"bytecode-{sys.implementation.cache_tag}_f{BYTECODE_FORMAT}"


class ProviderFinder:
    """Meta-path finder for the provider package and its ``_jsii`` module, and the unchecked bindings."""

    def __init__(self, prepared: Prepared) -> None:
        package_dir = prepared.package_dir
        self._modules = {
            PACKAGE: (package_dir / "__init__.py", prepared.root_code, {}, [str(package_dir)]),
            f"{PACKAGE}._jsii": (package_dir / "_jsii" / "__init__.py", prepared.jsii_code, prepared.jsii_globals,
                                 [str(package_dir / "_jsii")]),
        }

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname in self._modules:
            origin, source, extra, search = self._modules[fullname]
            loader = _SourceLoader(fullname, str(origin), source, extra)
            return importlib.util.spec_from_file_location(
                fullname, origin, loader=loader, submodule_search_locations=search
            )
        if fullname.partition(".")[0] not in UNCHECKED_PACKAGES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and type(spec.loader) is importlib.machinery.SourceFileLoader:
            spec.loader = UncheckedLoader(fullname, spec.loader.path)
        return spec
