"""Tempo: trace storage in S3 (bucket from Terraform) through IRSA; receives OTLP from every service.

Release name `tempo` in `observability` gives the address the services' OpenTelemetry settings
point at (OTLP_GRPC_HOST). Its chart ships a ServiceMonitor, so it syncs after kube-prometheus-stack.
"""

from __future__ import annotations

from typing import Any

from catalog import Environment, naming
from k8s_charts.addons.base import Addon, irsa_service_account

__all__ = ["ADDON", "OTLP_GRPC_HOST", "QUERY_HOST", "values"]

NAME = "tempo"
REPO_URL = "https://grafana.github.io/helm-charts"
CHART = "tempo"
VERSION = "1.24.0"
NAMESPACE = naming.ADDON_NAMESPACES[NAME]
DEPENDS_ON = ("kube-prometheus-stack",)
OTLP_GRPC_HOST = f"tempo.{NAMESPACE}.svc.cluster.local:4317"
QUERY_HOST = f"tempo.{NAMESPACE}.svc.cluster.local:3200"
RETENTION = "336h"
RESOURCES = {"requests": {"cpu": "200m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "2Gi"}}


def values(env: Environment) -> dict[str, Any]:
    return {
        "replicas": env.addon_replicas,
        "tempo": {
            "resources": RESOURCES,
            "retention": RETENTION,
            "storage": {
                "trace": {
                    "backend": "s3",
                    "s3": {
                        "bucket": naming.bucket_name(env, "tempo"),
                        "endpoint": f"s3.{env.region}.amazonaws.com",
                        "region": env.region,
                    },
                }
            },
            "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}}}},
        },
        "serviceAccount": irsa_service_account(env, NAME),
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
