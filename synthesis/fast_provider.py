"""Load ``cdktf_cdktf_provider_aws`` lazily instead of all 2,123 resource modules.

Why: the prebuilt AWS provider bindings (19.65.1) eagerly import every submodule on both
sides of jsii. Python's package ``__init__`` runs ``from . import <each of 2,124 modules>``,
and the Node kernel ``require()``s the package's ``lib/index.js``, which loads every JS module
(207 MB of JavaScript, 143 MB of it inline source maps). That costs 11-17 s and >1 GB before a
single resource exists. A synth uses a few dozen of those modules.

What ``enable()`` does (call it once, before anything imports the provider):

* Python: a meta-path finder serves the two package-level modules from the installed sources
  with small, validated edits; every resource module still loads from site-packages untouched.

  - ``cdktf_cdktf_provider_aws``: the original ``__init__`` without its trailing block of
    ``from . import <submodule>`` lines; a PEP 562 ``__getattr__`` imports a submodule on first
    attribute access (``import x.vpc`` and ``from x import vpc`` need nothing extra).
  - ``cdktf_cdktf_provider_aws._jsii``: the original, but it gives jsii the submodule FQN map
    (so objects coming back from JS whose class lives in a not-yet-imported module still get
    their Python class; jsii >= 1.142 reads ``_SUBMODULE_FQN_MAP``) and loads a repacked
    tarball instead of the shipped one.

* Node: the repacked tarball is the shipped one with ``lib/index.js`` replaced by lazy getters
  (a submodule is ``require()``d when the kernel first resolves a type in it) and inline source
  maps stripped, plus jsii's runtime index prebuilt by jsii's own worker script (otherwise the
  kernel builds it in a worker thread after the first load, and a short-lived process kills that
  worker, so every later run parses the 120 MB ``.jsii`` again). It is built once into the
  user's cache folder and then reused; jsii's own package cache keeps the extracted copy, so
  later runs only hash and link it.

* Kernel: jsii normally starts ``node bin/jsii-runtime.js``, which spawns a second Node process
  (``lib/program.js``, the kernel proper) and relays every request and response between its own
  stdin/stdout and the kernel's FD 3. The fast path starts the kernel directly instead: a small
  entry script (written to the cache next to copies of jsii's own ``program.js`` and index
  worker) maps the kernel's FD-3 reads and writes onto stdin/stdout and wraps anything the
  JavaScript side prints to stdout/stderr the way the relay does. Same protocol, same kernel
  code, one process and one pipe hop fewer: a round trip costs about half as much (~3,000 per
  synth) and the tree is ~40 MB smaller. It is smoke-tested (handshake) when the cache entry is
  built, and if it does not start, jsii's normal entry point is used (one warning). It only
  applies if the kernel was not started before ``enable()``; ``JSII_RUNTIME``/``JSII_NODE`` set
  by the user win. Node's version banner (printed by the relay) is not shown on this path.

* Python bindings without runtime type checks: the jsii-generated packages (``constructs``,
  ``cdktf``, ``cdk8s`` and the provider's submodules) check every argument
  with ``typeguard`` inside ``if __debug__:`` blocks (~0.4 s of a synth). The fast path compiles
  them as ``python -O`` would (``optimize=1``: those blocks and ``assert``s are dropped,
  docstrings kept) and keeps the bytecode in the cache folder, keyed by interpreter, file path,
  size and mtime. Valid programs produce the same bytes; a wrong argument type is reported by
  the jsii kernel instead of typeguard. ``PAYLEDGER_FAST_PROVIDER=0`` restores the checks.

Safety: every assumption about the installed layout is checked before anything is changed (the
``_jsii`` load call and the package version agree with the installed metadata, the
``__init__`` ends with exactly one ``from . import`` per ``__all__`` entry, ``lib/index.js``
consists only of ``exports.x = require("./y")`` lines and every JS submodule maps onto a
Python submodule). If any check fails, or anything goes wrong while preparing, ``enable()``
prints one warning line to stderr and leaves the normal import path in place. If the kernel
rejects the repacked tarball, the shipped one is loaded instead (again with one warning).
The synthesized output is the same either way; ``tests/test_fast_provider.py`` proves it.

Cache: ``$XDG_CACHE_HOME/payledger-infra/fast-provider/<key>/`` (``~/.cache`` by default), the
key naming the exact provider, jsii and cdktf versions and this module's format (the kernel
entry: ``jsii-runtime-<jsii version>_f<format>``; bytecode: ``bytecode-<python tag>_f<format>``,
one file per module). A cache entry is built in a temporary sibling folder and published by one
atomic ``rename`` (bytecode files by ``os.replace``), so concurrent first runs at worst build
it twice. Nothing is written into site-packages.

Set ``PAYLEDGER_FAST_PROVIDER=0`` to switch the fast path off.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import importlib
import importlib.machinery
import importlib.metadata
import importlib.resources
import importlib.util
import json
import marshal
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["enable", "is_enabled"]

PACKAGE = "cdktf_cdktf_provider_aws"
DIST = "cdktf-cdktf-provider-aws"
JS_PACKAGE = "@cdktf/provider-aws"
FORMAT = 2  # bump when the cache layout or the tarball transformation changes
RUNTIME_FORMAT = 1  # bump when the direct kernel entry script changes
BYTECODE_FORMAT = 1  # bump when the way bindings are compiled changes
# jsii-generated Python bindings: compiled without their `if __debug__:` typeguard checks
UNCHECKED_PACKAGES = frozenset({"constructs", "cdktf", "cdk8s", PACKAGE})

_MARKER = "# Loading modules to ensure their types are registered with the jsii runtime library"
_SUBMODULE_IMPORT = re.compile(r"from \. import (\w+)")
_LOAD_CALL = re.compile(
    r'__jsii_assembly__ = jsii\.JSIIAssembly\.load\(\s*"(?P<name>[^"]+)", "(?P<version>[^"]+)", '
    r'__name__\[0:-6\], "(?P<tarball>[^"/]+\.tgz)"\s*\)'
)
_JS_REQUIRE = re.compile(r'exports\.(\w+) = require\("\./([a-z0-9-]+)"\);')
_JS_VOID_INIT = re.compile(r"(exports\.\w+ = )+void 0;")
_INLINE_SOURCE_MAP = re.compile(rb"\n//# sourceMappingURL=data:application/json;base64,[A-Za-z0-9+/=]*\s*\Z")

_enabled = False


class LayoutError(Exception):
    """The installed packages do not look the way the fast path expects."""


def is_enabled() -> bool:
    """True once ``enable()`` has installed the fast path in this process."""
    return _enabled


def enable() -> None:
    """Install the lazy loader for the AWS provider; never raises, falls back with one warning."""
    global _enabled
    if _enabled or os.environ.get("PAYLEDGER_FAST_PROVIDER", "1") == "0":
        return
    if PACKAGE in sys.modules:
        _warn("the provider was imported before enable(); using the normal import path")
        return
    try:
        finder = _ProviderFinder(*_prepare())
    except Exception as error:  # any surprise means: do not touch the import system
        _warn(f"{type(error).__name__}: {error}; using the normal import path")
        return
    sys.meta_path.insert(0, finder)
    _enabled = True
    _start_direct_kernel()


def _warn(message: str) -> None:
    print(f"warning: fast provider loading disabled: {message}", file=sys.stderr)


# --------------------------------------------------------------------------- preparation


def _prepare() -> tuple[Path, str, str, dict[str, Any]]:
    """Check the installed layout, make sure the cache entry exists; return what the finder needs."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None or not spec.submodule_search_locations:
        raise LayoutError(f"{PACKAGE} is not installed as a regular package")
    package_dir = Path(spec.origin).parent
    versions = {dist: importlib.metadata.version(dist) for dist in (DIST, "jsii", "cdktf")}

    jsii_ref_map = importlib.import_module("jsii._reference_map")
    if not hasattr(jsii_ref_map, "_submodule_fqn_map"):
        raise LayoutError(f"jsii {versions['jsii']} cannot resolve lazily imported submodules")

    root_source = (package_dir / "__init__.py").read_text(encoding="utf-8")
    jsii_source = (package_dir / "_jsii" / "__init__.py").read_text(encoding="utf-8")
    submodules = _check_root_source(root_source)
    load = _LOAD_CALL.search(jsii_source)
    if load is None or len(_LOAD_CALL.findall(jsii_source)) != 1:
        raise LayoutError("unexpected assembly load call in _jsii/__init__.py")
    if (load["name"], load["version"]) != (JS_PACKAGE, versions[DIST]):
        raise LayoutError(f"_jsii loads {load['name']}@{load['version']} but {DIST} {versions[DIST]} is installed")
    shipped_tarball = package_dir / "_jsii" / load["tarball"]
    if not shipped_tarball.is_file():
        raise LayoutError(f"missing {shipped_tarball.name}")

    entry = _cache_entry(versions, shipped_tarball, submodules)
    fqn_map = json.loads((entry / "fqn-map.json").read_text(encoding="utf-8"))
    lazy_tarball = entry / "package.tgz"

    root_code = root_source[: root_source.index(_MARKER)] + _LAZY_ROOT_TAIL
    jsii_code = jsii_source.replace(
        load.group(0),
        f"_SUBMODULE_FQN_MAP = __fast_provider_fqn_map__\n"
        f"__jsii_assembly__ = jsii.JSIIAssembly.load(\n"
        f'    "{load["name"]}", "{load["version"]}", __name__[0:-6], "{load["tarball"]}",\n'
        f"    _kernel=__fast_provider_kernel__,\n)",
    )
    globals_for_jsii = {
        "__fast_provider_fqn_map__": fqn_map,
        "__fast_provider_kernel__": _RedirectingKernel(lazy_tarball, shipped_tarball),
    }
    return package_dir, root_code, jsii_code, globals_for_jsii


def _check_root_source(source: str) -> list[str]:
    """The package __init__ must end with one ``from . import x`` per ``__all__`` entry."""
    head, sep, tail = source.partition(_MARKER)
    if not sep or "publication.publish()" not in head or "from ._jsii import *" not in head:
        raise LayoutError(f"unexpected shape of {PACKAGE}/__init__.py")
    imports = []
    for line in tail.splitlines():
        if line.strip():
            match = _SUBMODULE_IMPORT.fullmatch(line.strip())
            if match is None:
                raise LayoutError(f"unexpected line after the submodule marker: {line[:60]!r}")
            imports.append(match[1])
    all_start = head.rfind("__all__ = [")
    if all_start < 0:
        raise LayoutError("no __all__ in the package __init__")
    declared = re.findall(r'"(\w+)"', head[all_start : head.index("]", all_start)])
    if not imports or sorted(imports) != sorted(declared):
        raise LayoutError("submodule imports do not match __all__")
    return imports


# Appended to the package __init__ in place of its 2,123 eager imports. It runs after
# publication.publish() has swapped the public module into sys.modules.
_LAZY_ROOT_TAIL = '''
def __fast_provider_getattr(name):
    """PEP 562: import a provider submodule on first access (see synthesis/fast_provider.py)."""
    if name in __all__:
        import importlib
        return importlib.import_module(__name__ + "." + name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


import sys as __fast_provider_sys
__fast_provider_sys.modules[__name__].__getattr__ = __fast_provider_getattr
'''


class _RedirectingKernel:
    """Hands jsii's kernel the repacked tarball; falls back to the shipped one if it is refused."""

    def __init__(self, lazy_tarball: Path, shipped_tarball: Path) -> None:
        self._lazy = lazy_tarball
        self._shipped = shipped_tarball

    def load(self, name: str, version: str, tarball: str) -> Any:
        kernel = importlib.import_module("jsii._runtime").kernel
        try:
            return kernel.load(name, version, os.fspath(self._lazy))
        except Exception as error:
            _warn(f"kernel refused the repacked provider ({type(error).__name__}); loading the shipped one")
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


class _UncheckedLoader(importlib.machinery.SourceFileLoader):
    """Loads a binding module compiled as ``python -O`` would; bytecode cached in the cache folder."""

    def get_code(self, fullname: str) -> Any:
        stat = os.stat(self.path)
        header = f"{self.path}\0{stat.st_size}\0{stat.st_mtime_ns}\0{sys.version}\n".encode()
        cached = _bytecode_dir() / f"{fullname}-{hashlib.sha256(header).hexdigest()[:16]}.pyc"
        try:
            data = cached.read_bytes()
            if data.startswith(header):
                return marshal.loads(memoryview(data)[len(header) :])
        except (OSError, ValueError, EOFError, TypeError):
            pass  # missing or unreadable: compile again below
        code = compile(self.get_data(self.path), self.path, "exec", dont_inherit=True, optimize=1)
        with contextlib.suppress(OSError):
            cached.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=cached.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(header + marshal.dumps(code))
                os.replace(tmp, cached)  # atomic: a concurrent reader sees the old or the new file
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        return code


def _bytecode_dir() -> Path:
    return cache_root() / f"bytecode-{sys.implementation.cache_tag}_f{BYTECODE_FORMAT}"


class _ProviderFinder:
    """Meta-path finder for the provider package and its ``_jsii`` module only."""

    def __init__(self, package_dir: Path, root_code: str, jsii_code: str, jsii_globals: dict) -> None:
        self._modules = {
            PACKAGE: (package_dir / "__init__.py", root_code, {}, [str(package_dir)]),
            f"{PACKAGE}._jsii": (
                package_dir / "_jsii" / "__init__.py",
                jsii_code,
                jsii_globals,
                [str(package_dir / "_jsii")],
            ),
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
            spec.loader = _UncheckedLoader(fullname, spec.loader.path)
        return spec


# --------------------------------------------------------------------------- direct kernel

# The kernel entry point: jsii's own lib/program.js, run in this process with its FD-3 channel
# mapped onto stdin/stdout (what bin/jsii-runtime.js relays through a second process).
_DIRECT_ENTRY = """\
"use strict";
// Written by payledger-infra synthesis/fast_provider.py: runs jsii's kernel (lib/program.js)
// in this process instead of behind bin/jsii-runtime.js, which relays FD 3 through a second
// Node process. Same protocol, one process and one pipe hop fewer.
const fs = require("fs");
const path = require("path");
const { Writable } = require("stream");
if (process.env.NODE_PRESERVE_SYMLINKS !== "1") {
  // the relay starts the kernel with --preserve-symlinks; packages are linked, not copied
  throw new Error("NODE_PRESERVE_SYMLINKS=1 is required");
}
process.execArgv.push("--preserve-symlinks"); // jsii's package linker checks execArgv
try {
  fs.fstatSync(3); // FD 3 is held for the process's lifetime by Node itself (event loop)...
} catch {
  fs.openSync("/dev/null", "r"); // ...or by us, so no file opened later can get FD 3
}
const { readSync, writeSync } = fs;
const toJson = (tag, chunk) => JSON.stringify({ [tag]: Buffer.from(chunk).toString("base64") }) + "\\n";
fs.readSync = function (fd, ...rest) {
  return readSync.call(fs, fd === 3 ? 0 : fd, ...rest);
};
fs.writeSync = function (fd, buffer, ...rest) {
  if (fd === 3) return writeSync.call(fs, 1, buffer, ...rest);
  if (fd === 2 && Buffer.isBuffer(buffer) && rest.length === 0) {
    writeSync.call(fs, 2, toJson("stderr", buffer));
    return buffer.length;
  }
  return writeSync.call(fs, fd, buffer, ...rest);
};
// What JavaScript code prints must not reach stdout (the protocol channel): wrapped like the relay
for (const tag of ["stdout", "stderr"]) {
  const stream = new Writable({
    write(chunk, encoding, done) {
      writeSync.call(fs, 2, toJson(tag, Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding)));
      done();
    },
  });
  stream.fd = 2;
  Object.defineProperty(process, tag, { configurable: true, enumerable: true, get: () => stream });
}
require(path.join(__dirname, "..", "lib", "program.js"));
"""


def _start_direct_kernel() -> None:
    """Start jsii's kernel through the direct entry; on any problem jsii starts its own (one warning)."""
    if os.environ.get("JSII_RUNTIME") or os.environ.get("JSII_NODE"):
        return  # the user chose how to run the kernel
    try:
        runtime = importlib.import_module("jsii._runtime")
        entry = _runtime_entry()
    except Exception as error:
        _warn(f"direct kernel not prepared ({type(error).__name__}: {error}); using jsii's entry point")
        return
    try:
        with _environ(JSII_RUNTIME=os.fspath(entry / "bin" / "jsii-runtime.js"), NODE_PRESERVE_SYMLINKS="1"):
            _ = runtime.kernel.provider._process  # starts the kernel now (no-op if already running)
    except Exception as error:
        _warn(f"direct kernel did not start ({type(error).__name__}); using jsii's entry point")
        _discard_failed_kernel()


def _discard_failed_kernel() -> None:
    """Reap the kernel process that failed its handshake and drop jsii's exit hook for it.

    jsii did not keep it (its provider starts a new one on next use), but it registered
    ``stop`` with ``atexit``, which would fail noisily on the dead pipe at exit.
    """
    import atexit
    import gc

    node_process = importlib.import_module("jsii._kernel.providers.process")._NodeProcess
    for obj in gc.get_objects():
        if isinstance(obj, node_process) and getattr(obj, "_process", None) is not None:
            atexit.unregister(obj.stop)
            with contextlib.suppress(Exception):
                obj._process.kill()
                obj._process.wait(timeout=5)
                for pipe in (obj._process.stdin, obj._process.stdout):
                    pipe.close()


@contextlib.contextmanager
def _environ(**values: str) -> Iterator[None]:
    """Set environment variables for the kernel's start only (later child processes do not see them)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _runtime_entry() -> Path:
    """Cache entry with bin/jsii-runtime.js (the direct entry) and copies of jsii's lib/ files."""
    version = importlib.metadata.version("jsii")
    entry = cache_root() / f"jsii-runtime-{version}_f{RUNTIME_FORMAT}"
    if (entry / "ok").is_file():
        return entry
    embedded = importlib.resources.files("jsii._embedded.jsii")
    program = embedded.joinpath("lib__program.js").read_bytes()
    if b"readFD:3,writeFD:3" not in program:  # the kernel must talk on FD 3, as the relay expects
        raise LayoutError("jsii's program.js does not use FD 3")
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=entry.parent))
    try:
        build = tmp / "entry"
        (build / "bin").mkdir(parents=True)
        (build / "lib").mkdir()
        (build / "bin" / "jsii-runtime.js").write_text(_DIRECT_ENTRY, encoding="utf-8")
        (build / "lib" / "program.js").write_bytes(program)
        worker = embedded.joinpath("lib__runtime-index-worker.js").read_bytes()
        (build / "lib" / "runtime-index-worker.js").write_bytes(worker)
        _smoke_test(build / "bin" / "jsii-runtime.js")
        (build / "ok").write_text(version, encoding="utf-8")
        try:
            os.rename(build, entry)
        except OSError:
            if not (entry / "ok").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return entry


def _smoke_test(script: Path) -> None:
    """The entry must answer jsii's handshake on stdout and exit cleanly when asked to."""
    env = {**os.environ, "NODE_PRESERVE_SYMLINKS": "1"}
    result = subprocess.run(
        [os.environ.get("JSII_NODE", "node"), os.fspath(script)],
        input=b'{"exit":0}\n', capture_output=True, env=env, timeout=60, check=False,
    )
    hello = result.stdout.decode("utf-8", "replace").splitlines()[:1]
    if result.returncode != 0 or not hello or not hello[0].startswith('{"hello":"@jsii/runtime@'):
        raise LayoutError(f"direct kernel entry failed its smoke test (exit {result.returncode})")


# --------------------------------------------------------------------------- cache


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/payledger-infra/fast-provider`` (``~/.cache`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "payledger-infra" / "fast-provider"


def _cache_entry(versions: dict[str, str], shipped_tarball: Path, submodules: list[str]) -> Path:
    key = f"provider-aws-{versions[DIST]}_jsii-{versions['jsii']}_cdktf-{versions['cdktf']}_f{FORMAT}"
    entry = cache_root() / key
    if _complete(entry):
        return entry
    entry.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp_dirs(entry.parent)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=entry.parent))
    try:
        (tmp / "entry").mkdir()
        fqn_map = _repack(shipped_tarball, tmp / "entry" / "package.tgz", set(submodules))
        (tmp / "entry" / "fqn-map.json").write_text(json.dumps(fqn_map, sort_keys=True), encoding="utf-8")
        meta = {"versions": versions, "source": shipped_tarball.name, "format": FORMAT}
        (tmp / "entry" / "meta.json").write_text(json.dumps(meta, sort_keys=True), encoding="utf-8")
        if entry.exists() and not _complete(entry):  # damaged by hand: move it aside first
            os.rename(entry, tmp / "damaged")
        try:
            os.rename(tmp / "entry", entry)  # atomic publish; fails if a concurrent run got there first
        except OSError:
            if not _complete(entry):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return entry


def _complete(entry: Path) -> bool:
    return all((entry / name).is_file() for name in ("package.tgz", "fqn-map.json", "meta.json"))


def _remove_stale_temp_dirs(root: Path, max_age_s: float = 3600) -> None:
    """Temp dirs of builds killed mid-way (a live build finishes well within an hour)."""
    for stale in root.glob(".tmp-*"):
        try:
            if time.time() - stale.stat().st_mtime > max_age_s:
                shutil.rmtree(stale, ignore_errors=True)
        except OSError:
            pass


def _repack(shipped: Path, target: Path, python_submodules: set[str]) -> dict[str, str]:
    """Copy the npm tarball with a lazy ``lib/index.js``, no inline source maps and a prebuilt
    jsii runtime index.

    The runtime index (``.jsii.runtime.v1.*``) is what jsii's kernel otherwise builds in a
    worker thread after its first load of a package; a process that exits early kills that
    worker and every later run then parses the 120 MB ``.jsii`` again. Shipping the index in
    the tarball, built by jsii's own worker script, makes even the first load use it.

    Returns the jsii submodule FQN -> Python module map, checked to cover every Python
    submodule exactly once.
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
                    data, fqn_map = _lazy_index(data.decode("utf-8"), python_submodules)
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


_INDEX_WORKER_MAIN = """
const { Worker } = require("worker_threads");
const worker = new Worker(process.argv[1], { workerData: { packageDir: process.argv[2], supportedFeatures: [] } });
worker.on("message", (m) => { if (m && m.error) { console.error(m.error); process.exitCode = 1; } });
worker.on("error", (e) => { console.error(e); process.exitCode = 1; });
"""


def _build_runtime_index(package_dir: Path) -> list[Path]:
    """Run jsii's own runtime-index worker over ``package_dir/.jsii``; return the files it wrote."""
    worker = importlib.resources.files("jsii._embedded.jsii") / "lib__runtime-index-worker.js"
    if not worker.is_file():
        raise LayoutError("jsii's runtime-index worker script is missing")
    with importlib.resources.as_file(worker) as worker_path:
        subprocess.run(
            [
                os.environ.get("JSII_NODE", "node"),
                "-e",
                _INDEX_WORKER_MAIN,
                os.fspath(worker_path),
                os.fspath(package_dir),
            ],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    manifest = package_dir / ".jsii.runtime.v1.json"
    if not manifest.is_file():
        raise LayoutError("jsii's runtime-index worker wrote no .jsii.runtime.v1.json")
    built = sorted(p for p in package_dir.iterdir() if p.name.startswith(".jsii.runtime"))
    return [p for p in built if p != manifest] + [manifest]  # manifest last, as jsii writes it


def _lazy_index(source: str, python_submodules: set[str]) -> tuple[bytes, dict[str, str]]:
    """Turn ``exports.x = require("./y");`` lines into lazy getters; refuse anything else."""
    exports: list[tuple[str, str]] = []
    for raw in source.splitlines():
        line = raw.strip()
        match = _JS_REQUIRE.fullmatch(line)
        if match:
            exports.append((match[1], match[2]))
        elif not (
            not line
            or line in ('"use strict";', 'Object.defineProperty(exports, "__esModule", { value: true });')
            or line.startswith(("/*", "*", "//"))
            or _JS_VOID_INIT.fullmatch(line)
        ):
            raise LayoutError(f"unexpected statement in lib/index.js: {line[:60]!r}")
    fqn_map = {f"{JS_PACKAGE}.{name}": f"{PACKAGE}.{_snake_case(name)}" for name, _ in exports}
    if sorted(m.rsplit(".", 1)[1] for m in fqn_map.values()) != sorted(python_submodules):
        raise LayoutError("JS submodules do not map one-to-one onto the Python submodules")
    lines = [
        '"use strict";',
        "// Lazy index written by payledger-infra synthesis/fast_provider.py: a submodule is",
        "// required when first accessed instead of all of them up front.",
        'Object.defineProperty(exports, "__esModule", { value: true });',
        "function lazy(name, path) {",
        "  Object.defineProperty(exports, name, { enumerable: true, configurable: true,",
        "    get() { return require(path); } });",
        "}",
    ]
    lines += [f'lazy("{name}", "./{path}");' for name, path in exports]
    return ("\n".join(lines) + "\n").encode("utf-8"), fqn_map


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
