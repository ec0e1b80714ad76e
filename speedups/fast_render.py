"""Render a chart's manifests the way cdk8s would, without a jsii round trip per object.

Why: `k8s_charts.manifest.emit` turns each manifest dict into a cdk8s ApiObject (metadata as
props, every other top-level key as a JSON patch), which costs about three jsii round trips per
object; at 550 services (~21,000 objects) that alone took over 20 s. For such objects cdk8s
2.x's `ApiObject.toJson` is a small, fixed transformation:

* `metadata` is sanitized: keys sorted, null values, empty lists and empty maps dropped (the
  chart adds no namespace or labels: FolderChart sets neither);
* the result is `apiVersion`, `kind`, `metadata`, then the patched keys in the order added;
* patch values come back as they went in, through JSON.

`render` does exactly that in Python, for manifests made only of data that crosses jsii and
JavaScript unchanged: str, bool, integers within 2^53, lists, and dicts whose keys
JavaScript keeps in insertion order (no array-index keys such as "1", nothing starting with `$`
or `_`, which could be read as a jsii token or `__proto__`); metadata limited to name,
namespace, labels, annotations and finalizers. Anything else returns None and the chart goes
through cdk8s as usual; that includes None outside metadata, because jsii drops null map values.

Safety: `renderer(reference)` checks once per process that this reproduces the installed cdk8s, by
rendering a canary (nested maps out of order, nulls, empty lists and maps, multi-line strings) both
ways; the caller passes its cdk8s rendering (k8s_charts.manifest.render_with_cdk8s), so this module
needs no chart code. If they differ, for example after a cdk8s upgrade that
changes rendering, it prints one warning line and returns None. `PAYLEDGER_FAST_RENDER=0` turns
the fast path off. `tests/test_fast_render.py` proves the whole platform's output is
byte-identical either way.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["render", "renderer"]

Manifest = dict[str, Any]

_METADATA_FIELDS = frozenset({"name", "namespace", "labels", "annotations", "finalizers"})
_MAX_EXACT_INT = 2**53 - 1  # larger integers lose precision as JavaScript numbers
_UNSURE_KEY_START = frozenset("0123456789$_")  # array indices, jsii tokens, __proto__


def render(manifests: list[Manifest]) -> list[Manifest] | None:
    """What cdk8s renders for these emitted manifests, or None if any is outside the plain subset."""
    rendered = []
    for manifest in manifests:
        result = _render_one(manifest)
        if result is None:
            return None
        rendered.append(result)
    return rendered


def _render_one(manifest: Manifest) -> Manifest | None:
    if type(manifest) is not dict:
        return None
    body = dict(manifest)
    api_version, kind = body.pop("apiVersion", None), body.pop("kind", None)
    metadata = _metadata(body.pop("metadata", None))
    if type(api_version) is not str or type(kind) is not str or metadata is None:
        return None
    for key, value in body.items():
        # each key becomes a JSON patch path "/<key>"
        if type(key) is not str or not key or "/" in key or "~" in key or not _plain_key(key) or not _plain(value):
            return None
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **body}


def _metadata(metadata: Any) -> Manifest | None:
    """cdk8s's sanitized metadata: sorted keys; null, empty lists and empty maps dropped."""
    if type(metadata) is not dict or not metadata.keys() <= _METADATA_FIELDS or type(metadata.get("name")) is not str:
        return None  # a missing name would be generated from the construct path
    result: Manifest = {}
    for field in sorted(metadata):
        value = metadata[field]
        if value is None:
            continue
        sanitized = _METADATA_VALUE[field](value)
        if sanitized is None:
            return None
        if sanitized or type(sanitized) is str:  # empty lists and maps are dropped, names kept as given
            result[field] = sanitized
    return result


def _text(value: Any) -> str | None:
    return value if type(value) is str else None


def _finalizers(value: Any) -> list[str] | None:
    return list(value) if type(value) is list and all(type(item) is str for item in value) else None


def _string_map(value: Any) -> dict[str, str] | None:
    """Labels and annotations: plain ASCII keys, string values, sorted by key."""
    if type(value) is not dict or not all(
        type(key) is str and key.isascii() and _plain_key(key) and type(text) is str for key, text in value.items()
    ):
        return None
    return {key: value[key] for key in sorted(value)}


_METADATA_VALUE = {"name": _text, "namespace": _text, "finalizers": _finalizers,
                   "labels": _string_map, "annotations": _string_map}


def _plain_key(key: str) -> bool:
    return not key or key[0] not in _UNSURE_KEY_START


def _plain(value: Any) -> bool:
    """True for data that jsii and JavaScript hand back unchanged (types, key order, numbers)."""
    kind = type(value)
    if kind is str or kind is bool:
        return True
    if kind is int:
        return -_MAX_EXACT_INT <= value <= _MAX_EXACT_INT
    if kind is list:
        return all(_plain(item) for item in value)
    if kind is dict:
        return all(type(key) is str and _plain_key(key) and _plain(item) for key, item in value.items())
    return False


# --------------------------------------------------------------------------- canary

Reference = Callable[[list[Manifest]], list[Manifest]]

# Nested maps out of order, nulls, empty lists and maps, multi-line strings, negative large integers.
_CANARY: list[Manifest] = [
    {"apiVersion": "v1", "kind": "ConfigMap",
     "metadata": {"name": "canary", "labels": {"b": "2", "a": "1"}, "annotations": {},
                  "finalizers": [], "namespace": "canary"},
     "data": {"z": "last", "a": "first", "multi": "line 1\nline 2\n"},
     "immutable": False},
    {"kind": "Widget", "apiVersion": "example.com/v1",
     "metadata": {"namespace": None, "name": "canary-widget", "labels": {},
                  "annotations": {"y": "", "x": "1"}, "finalizers": ["b", "a"]},
     "spec": {"b": [{"y": 1, "x": 0}, [], {}, -(2**40), True], "a": {"d": {}, "c": ""}},
     "status": {}},
]


def _canary_matches(reference: Reference) -> bool:
    """Render the canary through cdk8s (`reference`) and through `render`; True when they agree exactly."""
    fast = render(_CANARY)
    if fast is None:
        return False

    def canonical(objects: list[Manifest]) -> list[str]:  # order-sensitive within each object
        return sorted(json.dumps(obj) for obj in objects)

    return canonical(fast) == canonical(reference(_CANARY))


_checked: list[bool] = []


def renderer(reference: Reference) -> Callable[[list[Manifest]], list[Manifest] | None] | None:
    """`render` when it reproduces `reference`, the caller's way of rendering through cdk8s (checked once
    per process), else None."""
    if os.environ.get("PAYLEDGER_FAST_RENDER", "1") == "0":
        return None
    if not _checked:
        try:
            matches = _canary_matches(reference)
            problem = "this cdk8s renders differently from speedups.fast_render"
        except Exception as error:  # any surprise means: let cdk8s render
            matches, problem = False, f"fast render check failed ({type(error).__name__}: {error})"
        if not matches:
            print(f"payledger: {problem}; using cdk8s for every object", file=sys.stderr)
        _checked.append(matches)
    return render if _checked[0] else None
