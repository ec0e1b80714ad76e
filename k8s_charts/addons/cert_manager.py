"""cert-manager: issues the TLS certificates ingresses ask for, solving ACME DNS-01 in Route53 via IRSA.

It owns the cert-manager.io CRDs (installed by the chart) that the ClusterIssuers need, and ships a
ServiceMonitor, so it syncs after kube-prometheus-stack.
"""

from __future__ import annotations

from typing import Any

from catalog import Environment, naming
from k8s_charts.addons.base import Addon, irsa_service_account

__all__ = ["ADDON", "values"]

NAME = "cert-manager"
REPO_URL = "https://charts.jetstack.io"
CHART = "cert-manager"
VERSION = "v1.21.1"
NAMESPACE = naming.ADDON_NAMESPACES[NAME]
DEPENDS_ON = ("kube-prometheus-stack",)
RESOURCES = {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}}


def values(env: Environment) -> dict[str, Any]:
    replicas = env.addon_replicas
    return {
        "crds": {"enabled": True, "keep": True},
        "replicaCount": replicas,
        "podDisruptionBudget": {"enabled": replicas > 1},
        "resources": RESOURCES,
        "serviceAccount": irsa_service_account(env, NAME),
        # The projected IRSA token must be readable by the non-root controller.
        "securityContext": {"fsGroup": 1001},
        "webhook": {"replicaCount": replicas},
        "cainjector": {"replicaCount": replicas},
        "prometheus": {"enabled": True, "servicemonitor": {"enabled": True}},
    }


ADDON = Addon(
    name=NAME,
    repo_url=REPO_URL,
    chart=CHART,
    version=VERSION,
    namespace=NAMESPACE,
    depends_on=DEPENDS_ON,
    values=values,
)
