"""The one bridge from plain manifest dicts to cdk8s objects, and the labels every object carries.

Constructs build each Kubernetes object as a plain dict (cheap to build and to test) and hand it
to `emit`. The dict becomes a cdk8s ApiObject when its chart renders (`FolderChart.to_json`), so
a chart's objects cross into cdk8s in one place; cdk8s owns the construct tree, ordering and JSON
rendering. Each object costs about three jsii round trips there, which is why
`FolderChart.manifests` also accepts a renderer that reproduces cdk8s's output without them
(`speedups.fast_render`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cdk8s import ApiObject, App, Chart, JsonPatch
from constructs import Construct

__all__ = ["ChartPart", "FolderChart", "Renderer", "emit", "render_with_cdk8s", "restricted_container",
           "selector_labels", "standard_labels"]

Manifest = dict[str, Any]
# Renders a chart's manifests exactly as cdk8s would, or returns None when it cannot.
Renderer = Callable[[list[Manifest]], list[Manifest] | None]

PART_OF = "payledger"
SELECTOR_KEYS = ("app.kubernetes.io/name", "app.kubernetes.io/instance")


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


def selector_labels(name: str) -> dict[str, str]:
    """The labels that identify a workload's pods: the stable part of standard_labels (no version, no component)."""
    labels = standard_labels(name=name, component="")
    return {key: labels[key] for key in SELECTOR_KEYS}


def restricted_container(user: int) -> dict[str, Any]:
    """A container's securityContext under Pod Security "restricted", run as `user`, root filesystem read-only."""
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": user,
        "runAsGroup": user,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def emit(scope: FolderChart | ChartPart, construct_id: str, manifest: Manifest) -> None:
    """Add one Kubernetes object, given as a full manifest dict, to `scope`."""
    chart = scope if isinstance(scope, FolderChart) else scope.chart
    chart.emitted.append((scope, construct_id, manifest))


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
        self.emitted: list[tuple[Construct, str, Manifest]] = []  # into this chart or its parts, in order
        self._in_tree = 0  # how many of them are cdk8s ApiObjects already

    def manifests(self, render: Renderer | None = None) -> list[Manifest]:
        """The chart's objects as cdk8s renders them; `render` may stand in for cdk8s.

        A renderer gets the emitted dicts and must return the objects `to_json` would (in any
        order: each is written to a file of its own), or None to leave the chart to cdk8s.
        """
        if render is not None and not self._in_tree:
            rendered = render([manifest for _, _, manifest in self.emitted])
            if rendered is not None:
                return rendered
        return self.to_json()

    def to_json(self) -> list[Manifest]:
        """Add the emitted objects to the construct tree first, so cdk8s (and its CLI) sees every one."""
        for scope, construct_id, manifest in self.emitted[self._in_tree:]:
            _add_api_object(scope, construct_id, manifest)
        self._in_tree = len(self.emitted)
        return super().to_json()


def render_with_cdk8s(manifests: list[Manifest]) -> list[Manifest]:
    """cdk8s's own rendering of `manifests`, emitted into a chart of their own: the reference the fast
    renderer (speedups.fast_render) checks itself against."""
    chart = FolderChart(App(), "reference", folder="reference")
    for index, manifest in enumerate(manifests):
        emit(chart, f"object-{index}", manifest)
    return chart.to_json()


class ChartPart(Construct):
    """A construct inside a FolderChart that emits objects; it knows its chart without asking jsii."""

    def __init__(self, scope: FolderChart | ChartPart, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.chart = scope if isinstance(scope, FolderChart) else scope.chart
