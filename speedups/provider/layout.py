"""What the fast path expects of the installed provider, checked before anything is changed.

The Python package `__init__` must end with one `from . import x` per `__all__` entry, its `_jsii`
module must load exactly the installed version's tarball, and jsii must resolve lazily imported
submodules. Any surprise raises LayoutError, and `enable()` falls back to the normal import path.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any, NamedTuple

__all__ = ["DIST", "JS_PACKAGE", "PACKAGE", "LayoutError", "Prepared", "prepare", "warn"]

PACKAGE = "cdktf_cdktf_provider_aws"
DIST = "cdktf-cdktf-provider-aws"
JS_PACKAGE = "@cdktf/provider-aws"

_MARKER = "# Loading modules to ensure their types are registered with the jsii runtime library"
_SUBMODULE_IMPORT = re.compile(r"from \. import (\w+)")
_LOAD_CALL = re.compile(
    r'__jsii_assembly__ = jsii\.JSIIAssembly\.load\(\s*"(?P<name>[^"]+)", "(?P<version>[^"]+)", '
    r'__name__\[0:-6\], "(?P<tarball>[^"/]+\.tgz)"\s*\)'
)

# Appended to the package __init__ in place of its 2,123 eager imports. It runs after
# publication.publish() has swapped the public module into sys.modules.
_LAZY_ROOT_TAIL = '''
def __fast_provider_getattr(name):
    """PEP 562: import a provider submodule on first access (see speedups/provider/)."""
    if name in __all__:
        import importlib
        return importlib.import_module(__name__ + "." + name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


import sys as __fast_provider_sys
__fast_provider_sys.modules[__name__].__getattr__ = __fast_provider_getattr
'''


class LayoutError(Exception):
    """The installed packages do not look the way the fast path expects."""


def warn(message: str) -> None:
    print(f"warning: fast provider loading disabled: {message}", file=sys.stderr)


class Prepared(NamedTuple):
    """The two rewritten package modules and what they need, for the import finder."""

    package_dir: Path
    root_code: str
    jsii_code: str
    jsii_globals: dict[str, Any]


def prepare() -> Prepared:
    """Check the installed layout, make sure the cache entry exists; return what the finder needs."""
    from speedups.provider.cache import cache_entry
    from speedups.provider.finder import RedirectingKernel

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
    submodules = check_root_source(root_source)
    load = _LOAD_CALL.search(jsii_source)
    if load is None or len(_LOAD_CALL.findall(jsii_source)) != 1:
        raise LayoutError("unexpected assembly load call in _jsii/__init__.py")
    if (load["name"], load["version"]) != (JS_PACKAGE, versions[DIST]):
        raise LayoutError(f"_jsii loads {load['name']}@{load['version']} but {DIST} {versions[DIST]} is installed")
    shipped_tarball = package_dir / "_jsii" / load["tarball"]
    if not shipped_tarball.is_file():
        raise LayoutError(f"missing {shipped_tarball.name}")

    entry = cache_entry(versions, shipped_tarball, submodules)
    fqn_map = json.loads((entry / "fqn-map.json").read_text(encoding="utf-8"))
    root_code = root_source[: root_source.index(_MARKER)] + _LAZY_ROOT_TAIL
    jsii_code = jsii_source.replace(
        load.group(0),
        f"_SUBMODULE_FQN_MAP = __fast_provider_fqn_map__\n"
        f"__jsii_assembly__ = jsii.JSIIAssembly.load(\n"
        f'    "{load["name"]}", "{load["version"]}", __name__[0:-6], "{load["tarball"]}",\n'
        f"    _kernel=__fast_provider_kernel__,\n)",
    )
    jsii_globals = {
        "__fast_provider_fqn_map__": fqn_map,
        "__fast_provider_kernel__": RedirectingKernel(entry / "package.tgz", shipped_tarball),
    }
    return Prepared(package_dir, root_code, jsii_code, jsii_globals)


def check_root_source(source: str) -> list[str]:
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
