"""Loki: log storage in S3 (bucket from Terraform), read and written through IRSA.

Simple-scalable mode so read and write paths scale with env.addon_replicas. Its chart ships a
ServiceMonitor, so it syncs after kube-prometheus-stack.
"""

from __future__ import annotations

from typing import Any

from catalog import Environment, naming
from k8s_charts.addons.base import Addon, irsa_service_account

__all__ = ["ADDON", "GATEWAY_HOST", "values"]

NAME = "loki"
REPO_URL = "https://grafana.github.io/helm-charts"
CHART = "loki"
VERSION = "6.46.0"
NAMESPACE = naming.ADDON_NAMESPACES[NAME]
DEPENDS_ON = ("kube-prometheus-stack",)
GATEWAY_HOST = f"loki-gateway.{NAMESPACE}.svc.cluster.local"
RESOURCES = {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}


def values(env: Environment) -> dict[str, Any]:
    bucket = naming.bucket_name(env, "loki")
    replicas = env.addon_replicas
    return {
        "deploymentMode": "SimpleScalable",
        "loki": {
            "auth_enabled": False,
            "schemaConfig": {
                "configs": [
                    {
                        "from": "2024-04-01",
                        "store": "tsdb",
                        "object_store": "s3",
                        "schema": "v13",
                        "index": {"prefix": "index_", "period": "24h"},
                    }
                ]
            },
            "storage": {
                "type": "s3",
                "bucketNames": {"chunks": bucket, "ruler": bucket, "admin": bucket},
                "s3": {"region": env.region},
            },
        },
        "serviceAccount": irsa_service_account(env, NAME),
        "write": {"replicas": replicas, "resources": RESOURCES},
        "read": {"replicas": replicas, "resources": RESOURCES},
        "backend": {"replicas": replicas, "resources": RESOURCES},
        "minio": {"enabled": False},
        "monitoring": {"serviceMonitor": {"enabled": True}},
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
