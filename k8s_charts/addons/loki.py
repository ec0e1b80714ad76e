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
costs cache misses, not data. Every container's requests, the caches' memory, the rules sidecar's and the
canary DaemonSet's included, are set here from catalog.platform_pods, where the capacity check counts them.
"""

from __future__ import annotations

from typing import Any

from catalog import Environment, naming
from catalog.platform_pods import (
    ADDON_COMPONENTS,
    K8S_SIDECAR,
    LOKI_CACHE_MB,
    LOKI_CANARY,
    LOKI_REPLICATION_FACTOR,
    MEMCACHED_EXPORTER,
)
from k8s_charts.addons.base import MAX_UNAVAILABLE, Addon, AddonNetwork, irsa_service_account, zone_spread

__all__ = ["ADDON", "GATEWAY_HOST", "REPLICATION_FACTOR", "VOLUME_GIB", "values"]

NAME = "loki"
REPO_URL = "https://grafana-community.github.io/helm-charts"
CHART = "loki"
VERSION = "18.11.0"
NAMESPACE = naming.ADDON_NAMESPACES[NAME]
DEPENDS_ON = ("kube-prometheus-stack",)
GATEWAY_HOST = f"loki-gateway.{NAMESPACE}.svc.cluster.local"
REPLICATION_FACTOR = LOKI_REPLICATION_FACTOR
# The chart gives each single-binary replica a volume by default (`singleBinary.persistence`), with no
# class; it is named here rather than left to the default class. The volume holds what is not in S3 yet:
# the write-ahead log, the TSDB index being built and the compactor's work files, so a restart replays
# instead of losing the last chunks. The chart's default size, 10 GiB, is kept: the WAL holds only chunks
# not yet flushed to S3 (at most Loki's max_chunk_age, 2 h).
VOLUME_GIB = 10
# Resources and replica counts (Loki's: one, or a write quorum), kept where the capacity check counts them.
COMPONENTS = ADDON_COMPONENTS[NAME]


def _component(env: Environment, component: str) -> dict[str, Any]:
    """Replicas, budget, spread and resources of one workload. The chart passes spread constraints
    through as written, so the selector names the component's pod labels; it renders a budget only
    when minAvailable or maxUnavailable is set."""
    count = COMPONENTS[component].replicas(env)
    return {
        "replicas": count,
        "podDisruptionBudget": {"enabled": count > 1, "maxUnavailable": MAX_UNAVAILABLE},
        "topologySpreadConstraints": zone_spread({
            "app.kubernetes.io/name": NAME,
            "app.kubernetes.io/instance": NAME,
            "app.kubernetes.io/component": component,
        }),
        "resources": COMPONENTS[component].resources,
    }


def values(env: Environment) -> dict[str, Any]:
    bucket = naming.bucket_name(env, "loki")
    count = COMPONENTS["single-binary"].replicas(env)
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
        "singleBinary": {**_component(env, "single-binary"),
                         "persistence": {"storageClass": naming.DEFAULT_STORAGE_CLASS, "size": f"{VOLUME_GIB}Gi"}},
        "gateway": _component(env, "gateway"),
        "sidecar": {"resources": K8S_SIDECAR},  # the rules sidecar in the single binary's pods
        **{cache: {"allocatedMemory": size} for cache, size in LOKI_CACHE_MB.items()},
        "memcachedExporter": {"resources": MEMCACHED_EXPORTER},
        "lokiCanary": {"resources": LOKI_CANARY},
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
