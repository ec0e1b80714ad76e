"""The exporter metrics the dashboards may read, each with its exporter, the version the platform installs and
where that version documents or defines it: the contract tests/test_dashboards.py holds every query to.

Besides these, a query may read only the platform's own series: the SLO recording rules, the HTTP metrics
every service exposes and the business metrics services declare (catalog.metrics). A chart bump changes
what the exporters export: `pinned` is the add-on version each entry was checked against, and the test
fails when the add-on's pin moves without this list being checked again.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CLOUDWATCH", "EXPORTERS", "CloudWatchNamespace", "Exporter"]


@dataclass(frozen=True, kw_only=True)
class Exporter:
    """Fields:
        name: the exporter.
        version: the exporter's own version.
        addon: the add-on (k8s_charts.addons) that installs it.
        pinned: that add-on's chart version, which ships `version`.
        source: where `version` documents or defines the metrics.
        metrics: the metric names the dashboards may read.
    """

    name: str
    version: str
    addon: str
    pinned: str
    source: str
    metrics: frozenset[str]


@dataclass(frozen=True, kw_only=True)
class CloudWatchNamespace:
    """Metrics AWS publishes to CloudWatch (read through Grafana's CloudWatch data source, not Prometheus)."""

    namespace: str
    source: str
    metrics: frozenset[str]


EXPORTERS = (
    Exporter(
        name="kube-state-metrics", version="v2.20.0", addon="kube-prometheus-stack", pinned="88.5.3",
        # chart kube-prometheus-stack 88.5.3 -> subchart kube-state-metrics 8.4.0 (appVersion 2.20.0)
        source="https://github.com/kubernetes/kube-state-metrics/tree/v2.20.0/docs/metrics",
        metrics=frozenset({
            "kube_node_labels",  # docs/metrics/cluster/node-metrics.md; labels only with --metric-labels-allowlist
            "kube_node_status_condition",
            "kube_node_status_allocatable",
            "kube_pod_status_phase",  # docs/metrics/workload/pod-metrics.md
            "kube_pod_container_resource_requests",
            "kube_horizontalpodautoscaler_spec_max_replicas",  # workload/horizontalpodautoscaler-metrics.md
            "kube_horizontalpodautoscaler_status_current_replicas",
            "kube_poddisruptionbudget_status_pod_disruptions_allowed",  # policy/poddisruptionbudget-metrics.md
        }),
    ),
    Exporter(
        name="node-exporter", version="v1.12.1", addon="kube-prometheus-stack", pinned="88.5.3",
        # chart kube-prometheus-stack 88.5.3 -> subchart prometheus-node-exporter 4.56.1 (appVersion 1.12.1)
        source="https://github.com/prometheus/node_exporter/tree/v1.12.1/collector",
        metrics=frozenset({
            "node_cpu_seconds_total",  # cpu collector
            "node_memory_MemAvailable_bytes",  # meminfo: node_memory_<field>_bytes
            "node_memory_MemTotal_bytes",
            "node_filesystem_avail_bytes",  # filesystem_common.go
            "node_filesystem_size_bytes",
        }),
    ),
    Exporter(
        name="cert-manager", version="v1.21.1", addon="cert-manager", pinned="v1.21.1",
        source="https://github.com/cert-manager/cert-manager/tree/v1.21.1/internal/collectors "
               "(https://cert-manager.io/docs/devops-tips/prometheus-metrics/)",
        metrics=frozenset({
            "certmanager_certificate_expiration_timestamp_seconds",  # certificate_collector.go
            "certmanager_certificate_ready_status",
            "certmanager_clusterissuer_ready_status",  # clusterissuer_collector.go
        }),
    ),
    Exporter(
        name="external-secrets", version="v2.9.0", addon="external-secrets", pinned="2.9.0",
        source="https://github.com/external-secrets/external-secrets/blob/v2.9.0/docs/api/metrics.md",
        metrics=frozenset({
            "externalsecret_status_condition",
            "externalsecret_sync_calls_error",  # a counter without the _total suffix, as the docs spell it
        }),
    ),
)

CLOUDWATCH = (
    CloudWatchNamespace(
        namespace="AWS/WAFV2",
        source="https://docs.aws.amazon.com/waf/latest/developerguide/waf-metrics.html",
        metrics=frozenset({"AllowedRequests", "BlockedRequests", "CountedRequests"}),
    ),
)
