"""Loki: log storage in S3 (bucket from Terraform), read and written through IRSA.

The chart comes from grafana-community, where Grafana moved the open-source Loki chart (18.11.0,
Loki 3.7.6). Monolithic mode: every replica runs all of Loki's targets, joined in one hash ring over
memberlist, with chunks and index in S3. Simple-scalable mode, which this replaces, is deprecated and
is removed in Loki 4. Its chart ships a ServiceMonitor, so it syncs after kube-prometheus-stack.

Availability: a log stream is written to `replication_factor` replicas and a write needs a quorum of
them (2 of 3), so surviving the loss of one replica takes a factor of 3 and at least 3 replicas; two
replicas would cost twice as much and stop writes when either is down. Loki therefore runs one replica
where env.addon_replicas is 1 and at least REPLICATION_FACTOR elsewhere, spread across zones under a
disruption budget. The gateway (nginx in front of Loki, the address Grafana reads from) is stateless
and runs env.addon_replicas. The memcached chunk and result caches run one replica each: losing one
costs cache misses, not data.
"""

from __future__ import annotations

from typing import Any

from catalog import Environment, naming
from k8s_charts.addons.base import MAX_UNAVAILABLE, Addon, AddonNetwork, irsa_service_account, zone_spread

__all__ = ["ADDON", "GATEWAY_HOST", "REPLICATION_FACTOR", "replicas", "values"]

NAME = "loki"
REPO_URL = "https://grafana-community.github.io/helm-charts"
CHART = "loki"
VERSION = "18.11.0"
NAMESPACE = naming.ADDON_NAMESPACES[NAME]
DEPENDS_ON = ("kube-prometheus-stack",)
GATEWAY_HOST = f"loki-gateway.{NAMESPACE}.svc.cluster.local"
REPLICATION_FACTOR = 3
RESOURCES = {
    "loki": {"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "3Gi"}},
    "gateway": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
}


def replicas(env: Environment) -> int:
    """Loki's replica count: one, or enough for a write quorum that survives losing a replica."""
    return 1 if env.addon_replicas == 1 else max(REPLICATION_FACTOR, env.addon_replicas)


def _component(count: int, component: str) -> dict[str, Any]:
    """Replicas, budget, spread and resources of one workload. The chart passes spread constraints
    through as written, so the selector names the component's pod labels; it renders a budget only
    when minAvailable or maxUnavailable is set."""
    return {
        "replicas": count,
        "podDisruptionBudget": {"enabled": count > 1, "maxUnavailable": MAX_UNAVAILABLE},
        "topologySpreadConstraints": zone_spread({
            "app.kubernetes.io/name": NAME,
            "app.kubernetes.io/instance": NAME,
            "app.kubernetes.io/component": component,
        }),
        "resources": RESOURCES["gateway" if component == "gateway" else "loki"],
    }


def values(env: Environment) -> dict[str, Any]:
    bucket = naming.bucket_name(env, "loki")
    count = replicas(env)
    return {
        "deploymentMode": "Monolithic",
        "loki": {
            "auth_enabled": False,
            "commonConfig": {"replication_factor": min(REPLICATION_FACTOR, count)},
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
        "singleBinary": _component(count, "single-binary"),
        "gateway": _component(env.addon_replicas, "gateway"),
        # The chart defaults to three replicas of each simple-scalable target, and refuses to render
        # them beside monolithic replicas.
        "write": {"replicas": 0},
        "read": {"replicas": 0},
        "backend": {"replicas": 0},
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
    # Chunks and index in S3 through its IRSA role.
    network=AddonNetwork(aws=True),
)
