"""The one bridge from plain manifest dicts to cdk8s objects, and the labels every object carries.

Constructs build each Kubernetes object as a plain dict (cheap to build and to test) and hand it
to `emit`. The dict becomes a cdk8s ApiObject when its chart renders (`FolderChart.to_json`), so
a chart's objects cross into cdk8s in one place; cdk8s owns the construct tree, ordering and JSON
rendering. Each object costs about three jsii round trips there, which is why
`FolderChart.manifests` also accepts a renderer that reproduces cdk8s's output without them
(`synthesis.fast_render`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from cdk8s import ApiObject, Chart, JsonPatch
from constructs import Construct

__all__ = ["FolderChart", "Renderer", "emit", "standard_labels"]

Manifest = dict[str, Any]
# Renders a chart's manifests exactly as cdk8s would, or returns None when it cannot.
Renderer = Callable[[list[Manifest]], list[Manifest] | None]

# Objects emitted into each construct and not yet added to the construct tree.
_QUEUED: WeakKeyDictionary[Construct, list[tuple[str, Manifest]]] = WeakKeyDictionary()

PART_OF = "payledger"


def standard_labels(*, name: str, component: str, version: str | None = None) -> dict[str, str]:
    """`app.kubernetes.io/*` labels, derived from the name so nobody types them by hand."""
    labels = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "cdk8s",
    }
    if version:
        labels["app.kubernetes.io/version"] = version
    return labels


def emit(scope: Construct, construct_id: str, manifest: Manifest) -> None:
    """Add one Kubernetes object, given as a full manifest dict, to `scope` (a FolderChart or a construct in one)."""
    _QUEUED.setdefault(scope, []).append((construct_id, manifest))


def _add_api_object(scope: Construct, construct_id: str, manifest: Manifest) -> None:
    body = dict(manifest)
    api_object = ApiObject(
        scope,
        construct_id,
        api_version=body.pop("apiVersion"),
        kind=body.pop("kind"),
        metadata=body.pop("metadata"),
    )
    for key, value in body.items():
        api_object.add_json_patch(JsonPatch.add(f"/{key}", value))


class FolderChart(Chart):
    """A chart whose objects are written to one folder of gitops_out/<env>/ (one file per object)."""

    def __init__(self, scope: Construct, construct_id: str, *, folder: str) -> None:
        super().__init__(scope, construct_id, disable_resource_name_hashes=True)
        self.folder = folder

    def manifests(self, render: Renderer | None = None) -> list[Manifest]:
        """The chart's objects as cdk8s renders them; `render` may stand in for cdk8s.

        A renderer sees the emitted dicts in construct-tree order and must return exactly what
        `to_json` would, or None to leave the chart to cdk8s.
        """
        if render is not None:
            emitted = [manifest for scope in self.node.find_all() for _, manifest in _QUEUED.get(scope, ())]
            rendered = render(emitted)
            if rendered is not None:
                return rendered
        return self.to_json()

    def to_json(self) -> list[Manifest]:
        """Add the emitted objects to the construct tree first, so cdk8s (and its CLI) sees every one."""
        for scope in self.node.find_all():
            for construct_id, manifest in _QUEUED.pop(scope, ()):
                _add_api_object(scope, construct_id, manifest)
        return super().to_json()
