"""External Secrets Operator: turns Vault and Secrets Manager entries into Kubernetes Secrets.

It owns the external-secrets.io CRDs the ClusterSecretStores and every service's ExternalSecrets
need, and reads Secrets Manager through IRSA. It ships a ServiceMonitor, so it syncs after
kube-prometheus-stack. Chart 2.9.0 is the newest release; it serves external-secrets.io/v1 only,
the CRDs in ../shared/crds.

Availability: the controller and the cert controller elect a leader (`leaderElect`, off in the chart),
so extra replicas are warm standbys; the webhook serves every replica. All three run
env.addon_replicas, spread across zones, each under a disruption budget when there is more than one.
"""

from __future__ import annotations

from typing import Any

from catalog import Environment, naming
from catalog.platform_pods import ADDON_COMPONENTS
from k8s_charts.addons.base import MAX_UNAVAILABLE, Addon, AddonNetwork, highly_available, zone_spread

__all__ = ["ADDON", "values"]

NAME = "external-secrets"
REPO_URL = "https://charts.external-secrets.io"
CHART = "external-secrets"
VERSION = "2.9.0"
NAMESPACE = naming.ADDON_NAMESPACES[NAME]
DEPENDS_ON = ("kube-prometheus-stack",)
# Resources and replica counts, kept where the capacity check counts them.
COMPONENTS = ADDON_COMPONENTS[NAME]


def _component(env: Environment, component: str) -> dict[str, Any]:
    """Replicas, budget, spread and resources of one Deployment; the chart fills in each component's
    own selector for a spread constraint without one."""
    replicas = COMPONENTS[component].replicas(env)
    return {
        "replicaCount": replicas,
        # One pod at a time, spelled with the key the chart declares (it reads maxUnavailable too, but
        # neither values.yaml nor the schema lists it); replica counts are fixed, so this is the same.
        "podDisruptionBudget": {"enabled": highly_available(env),
                                "minAvailable": replicas - MAX_UNAVAILABLE},
        "topologySpreadConstraints": zone_spread(),
        "resources": COMPONENTS[component].resources,
    }


def values(env: Environment) -> dict[str, Any]:
    return {
        "installCRDs": True,
        # On at every replica count: a rolling update briefly runs the old and the new pod side by side,
        # and two controllers writing the same Secrets would fight.
        "leaderElect": True,
        **_component(env, "controller"),
        # No AWS role of its own: every SecretStore authenticates as the service it serves
        # (k8s_charts.secret_stores), so the controller itself can read nothing.
        "serviceAccount": {"create": True, "name": NAME},
        "webhook": _component(env, "webhook"),
        "certController": _component(env, "certController"),
        # Rendered whatever API versions Argo CD reports (its default skips the ServiceMonitor when the CRD
        # seems missing): kube-prometheus-stack, which owns the CRD, syncs first. The ExternalSecret
        # metrics carry the ExternalSecret's own `namespace`, honoured rather than renamed exported_namespace.
        "serviceMonitor": {"enabled": True, "renderMode": "alwaysRender", "honorLabels": True},
    }


ADDON = Addon(
    name=NAME,
    repo_url=REPO_URL,
    chart=CHART,
    version=VERSION,
    namespace=NAMESPACE,
    depends_on=DEPENDS_ON,
    values=values,
    # Secrets Manager and STS for each store's IRSA role, and Vault; webhook on 10250; metrics on 8080.
    network=AddonNetwork(webhook_ports=(10250,), metrics_ports=(8080,), aws=True),
)
