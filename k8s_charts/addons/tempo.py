"""Tempo: trace storage in S3 (bucket from Terraform) through IRSA; receives OTLP from every service.

Release name `tempo` in `observability` gives the address the services' OpenTelemetry settings
point at (OTLP_GRPC_HOST). Its chart ships a ServiceMonitor, so it syncs after kube-prometheus-stack.

The chart is grafana-community's single-binary `tempo` (2.2.4, Tempo 2.10.8), where Grafana moved it;
the grafana/helm-charts one pinned before is deprecated. It runs one replica in every environment,
on purpose: the single binary keeps the traces it has not flushed to S3 in its own ingester and forms
no ring with other replicas, so more replicas would each hold a share of recent traces that queries
to another replica never see. Highly available tracing is grafana-community's `tempo-distributed`,
whose maintained line (3.x, Tempo 3) writes through a Kafka-compatible queue the platform does not run
(the 2.x line without it stopped at 2.26.2 when 3.0 shipped). Losing the one replica for a restart
costs the spans sent meanwhile and those not yet flushed; no request fails, and the SLO alerts come
from Prometheus, not from traces. Moving to tempo-distributed becomes possible once the platform has
a queue (Amazon MSK from Terraform).
"""

from __future__ import annotations

from typing import Any

from catalog import Environment, naming
from catalog.platform_pods import ADDON_COMPONENTS
from k8s_charts.addons.base import Addon, AddonNetwork, irsa_service_account

__all__ = ["ADDON", "OTLP_ENDPOINT", "OTLP_GRPC_HOST", "OTLP_GRPC_PORT", "QUERY_HOST", "values"]

NAME = "tempo"
REPO_URL = "https://grafana-community.github.io/helm-charts"
CHART = "tempo"
VERSION = "2.2.4"
NAMESPACE = naming.ADDON_NAMESPACES[NAME]
DEPENDS_ON = ("kube-prometheus-stack",)
OTLP_GRPC_PORT = 4317
OTLP_GRPC_HOST = f"tempo.{NAMESPACE}.svc.cluster.local:{OTLP_GRPC_PORT}"
# What every service's OpenTelemetry exporter points at.
OTLP_ENDPOINT = f"http://{OTLP_GRPC_HOST}"
QUERY_HOST = f"tempo.{NAMESPACE}.svc.cluster.local:3200"
RETENTION = "336h"
# Resources and replica count (one, above), kept where the capacity check counts them.
TEMPO = ADDON_COMPONENTS[NAME]["tempo"]


def values(env: Environment) -> dict[str, Any]:
    return {
        "replicas": TEMPO.replicas(env),
        "tempo": {
            "resources": TEMPO.resources,
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
            "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"0.0.0.0:{OTLP_GRPC_PORT}"}}}},
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
    # Traces in S3 through its IRSA role; every service sends OTLP to it.
    network=AddonNetwork(aws=True, workload_ports=(OTLP_GRPC_PORT,)),
)
