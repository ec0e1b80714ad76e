"""Start jsii's kernel directly instead of behind its relay process.

jsii normally starts ``node bin/jsii-runtime.js``, which spawns a second Node process
(``lib/program.js``, the kernel proper) and relays every request and response between its own
stdin/stdout and the kernel's FD 3. The direct entry (``direct_entry.js``, copied into the cache next
to jsii's own ``program.js`` and index worker) maps the kernel's FD-3 reads and writes onto
stdin/stdout and wraps whatever JavaScript prints the way the relay does. Same protocol, same kernel
code, one process and one pipe hop fewer: a round trip costs about half as much (~3,000 per synth)
and the tree is ~40 MB smaller. It is smoke-tested (handshake) when its cache entry is built; if it
does not start, jsii's own entry point is used (one warning). ``JSII_RUNTIME``/``JSII_NODE`` set by
the user win. Node's version banner (printed by the relay) is not shown on this path.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import importlib.resources
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from speedups.provider.cache import cache_root
from speedups.provider.layout import LayoutError, warn

__all__ = ["RUNTIME_FORMAT", "runtime_entry", "start_direct_kernel"]

RUNTIME_FORMAT = 2  # bump when direct_entry.js changes
DIRECT_ENTRY = Path(__file__).with_name("direct_entry.js")


def start_direct_kernel() -> None:
    """Start jsii's kernel through the direct entry; on any problem jsii starts its own (one warning)."""
    if os.environ.get("JSII_RUNTIME") or os.environ.get("JSII_NODE"):
        return  # the user chose how to run the kernel
    try:
        runtime = importlib.import_module("jsii._runtime")
        entry = runtime_entry()
    except Exception as error:
        warn(f"direct kernel not prepared ({type(error).__name__}: {error}); using jsii's entry point")
        return
    try:
        with _environ(JSII_RUNTIME=os.fspath(entry / "bin" / "jsii-runtime.js"), NODE_PRESERVE_SYMLINKS="1"):
            _ = runtime.kernel.provider._process  # starts the kernel now (no-op if already running)
    except Exception as error:
        warn(f"direct kernel did not start ({type(error).__name__}); using jsii's entry point")
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


def runtime_entry() -> Path:
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
        shutil.copyfile(DIRECT_ENTRY, build / "bin" / "jsii-runtime.js")
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
