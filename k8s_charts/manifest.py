"""The one bridge from plain manifest dicts to cdk8s objects, and the labels every object carries.

Constructs build each Kubernetes object as a plain dict (cheap to build and to test) and hand it
to `emit`; cdk8s owns the construct tree, ordering and JSON rendering. Keeping the bridge in one
function keeps the per-object cost (jsii round trips) in one place.
"""

from __future__ import annotations

from typing import Any

from cdk8s import ApiObject, Chart, JsonPatch
from constructs import Construct

__all__ = ["FolderChart", "emit", "standard_labels"]

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


def emit(scope: Construct, construct_id: str, manifest: dict[str, Any]) -> ApiObject:
    """Add one Kubernetes object, given as a full manifest dict, to `scope`."""
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
    return api_object


class FolderChart(Chart):
    """A chart whose objects are written to one folder of gitops_out/<env>/ (one file per object)."""

    def __init__(self, scope: Construct, construct_id: str, *, folder: str) -> None:
        super().__init__(scope, construct_id, disable_resource_name_hashes=True)
        self.folder = folder
