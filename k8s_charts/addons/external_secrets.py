"""External Secrets Operator: turns Vault and Secrets Manager entries into Kubernetes Secrets.

It owns the external-secrets.io CRDs the ClusterSecretStores and every service's ExternalSecrets
need, and reads Secrets Manager through IRSA. It ships a ServiceMonitor, so it syncs after
kube-prometheus-stack.
"""

from __future__ import annotations

from typing import Any

from catalog import Environment, naming
from k8s_charts.addons.base import Addon, irsa_service_account

__all__ = ["ADDON", "values"]

NAME = "external-secrets"
REPO_URL = "https://charts.external-secrets.io"
CHART = "external-secrets"
VERSION = "2.9.0"  # serves external-secrets.io/v1, the CRDs in ../shared/crds
NAMESPACE = naming.ADDON_NAMESPACES[NAME]
DEPENDS_ON = ("kube-prometheus-stack",)
RESOURCES = {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}}


def values(env: Environment) -> dict[str, Any]:
    replicas = env.addon_replicas
    return {
        "installCRDs": True,
        "replicaCount": replicas,
        "podDisruptionBudget": {"enabled": replicas > 1},
        "resources": RESOURCES,
        "serviceAccount": irsa_service_account(env, NAME),
        "webhook": {"replicaCount": replicas},
        "certController": {"replicaCount": replicas},
        "serviceMonitor": {"enabled": True},
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
