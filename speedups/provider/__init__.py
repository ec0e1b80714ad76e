"""Load ``cdktf_cdktf_provider_aws`` lazily instead of all 2,123 resource modules.

Why: the prebuilt AWS provider bindings (19.65.1) eagerly import every submodule on both sides of
jsii. Python's package ``__init__`` runs ``from . import <each of 2,124 modules>``, and the Node
kernel ``require()``s the package's ``lib/index.js``, which loads every JS module (207 MB of
JavaScript, 143 MB of it inline source maps). That costs 11-17 s and >1 GB before a single resource
exists. A synth uses a few dozen of those modules.

What ``enable()`` does (call it once, before anything imports the provider), one module each:

* ``layout``: checks the installed packages look as expected and rewrites the two package-level
  modules: the root ``__init__`` without its eager imports (a PEP 562 ``__getattr__`` imports a
  submodule on first access), and ``_jsii`` giving jsii the submodule FQN map (so objects coming back
  from JS whose class lives in a not-yet-imported module still get their Python class) and loading
  the repacked tarball.
* ``repack``: the npm tarball with a lazy ``lib/index.js`` (``lazy_index_head.js``), no inline source
  maps, and jsii's runtime index prebuilt (``index_worker.js``); ``cache`` keeps it, keyed by versions.
* ``finder``: the meta-path finder serving those modules, and jsii-generated bindings compiled
  without their ``typeguard`` checks.
* ``kernel``: jsii's kernel started directly (``direct_entry.js``), without its relay process, in a thread:
  Node boots while Python goes on, and the kernel's first request waits for it.

Safety: every assumption about the installed layout is checked before anything is changed. If any
check fails, or anything goes wrong while preparing, ``enable()`` prints one warning line to stderr
and leaves the normal import path in place; if the kernel rejects the repacked tarball, the shipped
one is loaded (one warning). The output is the same either way (tests/test_fast_provider.py).
``PAYLEDGER_FAST_PROVIDER=0`` switches it off, which also restores jsii's runtime type checks.
"""

from __future__ import annotations

import os
import sys
import threading

from speedups.provider.layout import PACKAGE, prepare, warn

__all__ = ["enable", "is_enabled", "wait"]

_enabled = False
_starting: threading.Thread | None = None


def is_enabled() -> bool:
    """True once ``enable()`` has installed the fast path in this process."""
    return _enabled


def enable() -> None:
    """Install the lazy loader for the AWS provider; never raises, falls back with one warning."""
    from speedups.provider.finder import ProviderFinder
    from speedups.provider.kernel import start_direct_kernel

    global _enabled, _starting
    if _enabled or os.environ.get("PAYLEDGER_FAST_PROVIDER", "1") == "0":
        return
    if PACKAGE in sys.modules:
        warn("the provider was imported before enable(); using the normal import path")
        return
    try:
        finder = ProviderFinder(prepare())
    except Exception as error:  # any surprise means: do not touch the import system
        warn(f"{type(error).__name__}: {error}; using the normal import path")
        return
    sys.meta_path.insert(0, finder)
    _enabled = True
    # Node boots while this process goes on with its own imports (the catalog's, when main.py enables this
    # first); the first request to the kernel, an assembly load, waits for the start to end.
    _starting = threading.Thread(target=start_direct_kernel, name="jsii-kernel-start", daemon=True)
    _wait_before_first_load(_starting)
    _starting.start()


def _wait_before_first_load(starting: threading.Thread) -> None:
    """Not at import time: an import hook runs under the interpreter's import lock, which the start may
    need. Every binding's first request is the load of its assembly."""
    import jsii._runtime

    provider = jsii._runtime.kernel.provider
    load = provider.load

    def first_load(request):
        starting.join()
        del provider.load  # the class's own method from now on
        return load(request)

    provider.load = first_load


def wait() -> None:
    """Until the kernel's start has ended; a process that exits first (bad input) calls it, so that jsii's
    exit handler does not stop a kernel in the middle of its handshake."""
    if _starting is not None:
        _starting.join()
