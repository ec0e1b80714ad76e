"""kube-prometheus-stack: Prometheus, Alertmanager, Grafana and the monitoring.coreos.com CRDs.

It depends on nothing and owns the ServiceMonitor and PrometheusRule CRDs, so every add-on that ships
a ServiceMonitor, and every service, syncs after it. Prometheus selects rules and monitors from all
namespaces, and Grafana's sidecar loads dashboards labelled DASHBOARD_LABEL from all namespaces, so
a service's ServiceMonitor, PrometheusRule and dashboard live beside it in its own namespace.

88.5.3 is the newest release: the project releases only forward (every change is a new minor), so the
88.2 line it replaces gets no patches. It ships prometheus-operator v0.93.1 (OPERATOR_VERSION), whose
ServiceMonitor and PrometheusRule CRDs (monitoring.coreos.com/v1) have the same schemas as v0.93.0's in
../shared/crds.

Availability: Prometheus runs env.addon_replicas identical replicas, each scraping everything (queries
and rules work while one is down); Alertmanager's replicas form a gossip cluster that deduplicates
notifications. Both are spread across zones, under a disruption budget when there is more than one.
One replica each, on purpose: the operator (it has no leader election, two would both reconcile; its
PrometheusRule webhook fails open), kube-state-metrics (two would export every series twice) and
Grafana (its users and sessions live in a per-pod SQLite file; dashboards and data sources are
provisioned, so a restart loses nothing, and HA would need a shared database).

Dashboards (k8s_charts.dashboards) address data sources by uid: the chart's Prometheus
(PROMETHEUS_UID) and a CloudWatch data source (CLOUDWATCH_UID) for the WAF's metrics, which AWS
publishes only to CloudWatch. Grafana reads CloudWatch as its own IRSA role (Terraform grants it
cloudwatch:GetMetricData and ListMetrics), so no exporter pod and no keys. kube-state-metrics exports
each node's pool label (NODE_POOL_METRIC_LABEL on kube_node_labels), which it exports for no label
unless allowed.

Every container gets its requests here from catalog.platform_pods, where the capacity check counts them,
including those the chart leaves without any: the operator, its config reloader in each Prometheus and
Alertmanager pod, kube-state-metrics, node-exporter (a DaemonSet on every node) and Grafana's sidecars.
"""

from __future__ import annotations

import re
from typing import Any

from catalog import Environment, naming
from catalog.platform_pods import ADDON_COMPONENTS, CONFIG_RELOADER, K8S_SIDECAR, NODE_EXPORTER
from k8s_charts.addons.base import (
    MAX_UNAVAILABLE,
    Addon,
    AddonNetwork,
    highly_available,
    irsa_service_account,
    zone_spread,
)
from k8s_charts.service_queries import SLO_WINDOW
from k8s_charts.storage import volume_claim_template

__all__ = ["ADDON", "CLOUDWATCH_UID", "DASHBOARD_LABEL", "GRAFANA_ACCOUNT", "GRAFANA_ADMIN_KEYS",
           "GRAFANA_ADMIN_SECRET", "GRAFANA_VAULT", "NAMESPACE", "NODE_POOL_METRIC_LABEL", "OPERATOR_VERSION",
           "PROMETHEUS_UID", "PROMETHEUS_VOLUME_GIB", "RETENTION", "RETENTION_SIZE", "VERSION", "values"]

NAME = "kube-prometheus-stack"
REPO_URL = "https://prometheus-community.github.io/helm-charts"
CHART = "kube-prometheus-stack"
VERSION = "88.5.3"
# The prometheus-operator release the pinned chart ships (its appVersion): the owner of the CRDs.
OPERATOR_VERSION = "v0.93.1"
NAMESPACE = naming.ADDON_NAMESPACES[NAME]
# Grafana's admin login lives in Vault (at naming.vault_secret_path(env, "grafana")); External Secrets
# copies it into GRAFANA_ADMIN_SECRET through a SecretStore authenticated as Grafana's own account
# (k8s_charts.cluster_objects). The chart's `userKey`/`passwordKey` name the two properties.
GRAFANA_VAULT = "grafana"
GRAFANA_ACCOUNT = naming.ADDON_SERVICE_ACCOUNTS["grafana"]
GRAFANA_ADMIN_SECRET = "grafana-admin"
GRAFANA_ADMIN_KEYS = {"userKey": "admin-user", "passwordKey": "admin-password"}
DEPENDS_ON: tuple[str, ...] = ()
DASHBOARD_LABEL = ("grafana_dashboard", "1")
PROMETHEUS_UID = "prometheus"
CLOUDWATCH_UID = "cloudwatch"
# kube-state-metrics turns a Kubernetes label into a Prometheus one: `label_`, then every character outside
# [a-zA-Z0-9_] replaced by '_' (v2.20.0 internal/store/utils.go SanitizeLabelName).
NODE_POOL_METRIC_LABEL = "label_" + re.sub(r"[^a-zA-Z0-9_]", "_", naming.NODE_POOL_LABEL)
# Prometheus keeps the SLO window (the availability and budget figures need all of it) on a volume of the
# default class (k8s_charts.storage), so a restart or a node drain loses nothing. Sizing, one figure for
# every environment: about 150,000 active series (node, kubelet, API server, kube-state-metrics, the
# services' HTTP histograms) scraped every 30 s at under 2 bytes a sample is about 20 GB over 30 days,
# plus the WAL; RETENTION_SIZE leaves 2.5x that for growth, and a fifth of the volume stays free for
# compaction, which writes a new block before it deletes the old ones. Past RETENTION_SIZE Prometheus
# drops the oldest blocks first, so the disk never fills. Dev and staging run fewer pods and could do with
# less, for a saving of a few dollars a month: not worth a catalog field. Growing it: scaling.md.
RETENTION = SLO_WINDOW
PROMETHEUS_VOLUME_GIB = 64
RETENTION_SIZE = f"{PROMETHEUS_VOLUME_GIB * 4 // 5}GiB"
# Alertmanager keeps its silences and notification log on a volume too: without one a restart of a single
# replica (dev), or of every replica at once, forgets the silences and pages again for what was already
# sent. Replicas gossip both, so with more than one a replica whose zone is lost (its volume cannot follow
# it) costs nothing. The data is kilobytes; 1 GiB is the smallest gp3 volume.
ALERTMANAGER_VOLUME_GIB = 1
# The Prometheus and Alertmanager objects the chart names after the release; the operator labels their
# pods with these names (the chart's own disruption budgets select the same labels).
PROMETHEUS = f"{NAME}-prometheus"
ALERTMANAGER = f"{NAME}-alertmanager"
# Resources and replica counts, kept where the capacity check counts them.
COMPONENTS = ADDON_COMPONENTS[NAME]


def _budget(env: Environment, component: str) -> dict[str, Any]:
    """The chart renders its default minAvailable 1 beside any maxUnavailable (an invalid budget), so
    one pod at a time is spelled as minAvailable: the operator keeps the replica count fixed."""
    return {"enabled": highly_available(env),
            "minAvailable": COMPONENTS[component].replicas(env) - MAX_UNAVAILABLE}


def values(env: Environment) -> dict[str, Any]:
    # Loki and Tempo are addressed by their Helm release names in the same namespace.
    from k8s_charts.addons import loki, tempo

    label, label_value = DASHBOARD_LABEL
    return {
        "crds": {"enabled": True},
        "prometheus": {
            "podDisruptionBudget": _budget(env, "prometheus"),
            "prometheusSpec": {
                "replicas": COMPONENTS["prometheus"].replicas(env),
                "topologySpreadConstraints": zone_spread(
                    {"app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": PROMETHEUS}),
                "retention": RETENTION,
                "retentionSize": RETENTION_SIZE,
                "storageSpec": {"volumeClaimTemplate": volume_claim_template(PROMETHEUS_VOLUME_GIB)},
                "resources": COMPONENTS["prometheus"].resources,
                # Select ServiceMonitors and PrometheusRules everywhere, not only this release's.
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "ruleSelectorNilUsesHelmValues": False,
            }
        },
        "alertmanager": {
            "podDisruptionBudget": _budget(env, "alertmanager"),
            "alertmanagerSpec": {
                "replicas": COMPONENTS["alertmanager"].replicas(env),
                "topologySpreadConstraints": zone_spread(
                    {"app.kubernetes.io/name": "alertmanager", "alertmanager": ALERTMANAGER}),
                "resources": COMPONENTS["alertmanager"].resources,
                "storage": {"volumeClaimTemplate": volume_claim_template(ALERTMANAGER_VOLUME_GIB)},
            },
        },
        "kube-state-metrics": {"metricLabelsAllowlist": [f"nodes=[{naming.NODE_POOL_LABEL}]"],
                               "resources": COMPONENTS["kubeStateMetrics"].resources},
        "grafana": {
            "resources": COMPONENTS["grafana"].resources,
            # Its own account (Vault reads it; its IRSA role reads CloudWatch) and its admin login from
            # Vault, not the chart's default password.
            "serviceAccount": irsa_service_account(env, "grafana"),
            "admin": {"existingSecret": GRAFANA_ADMIN_SECRET, **GRAFANA_ADMIN_KEYS},
            "sidecar": {
                "resources": K8S_SIDECAR,  # each of its dashboards and data sources sidecars
                "dashboards": {
                    "enabled": True,
                    "label": label,
                    "labelValue": label_value,
                    "searchNamespace": "ALL",
                },
                "datasources": {"uid": PROMETHEUS_UID},
            },
            "additionalDataSources": [
                {"name": "Loki", "type": "loki", "url": f"http://{loki.GATEWAY_HOST}"},
                {"name": "Tempo", "type": "tempo", "url": f"http://{tempo.QUERY_HOST}"},
                # "default": the AWS SDK's chain, which finds the IRSA web identity token.
                {"name": "CloudWatch", "type": "cloudwatch", "uid": CLOUDWATCH_UID, "access": "proxy",
                 "jsonData": {"authType": "default", "defaultRegion": env.region}},
            ],
        },
        "prometheusOperator": {
            "resources": COMPONENTS["operator"].resources,
            "prometheusConfigReloader": {"resources": CONFIG_RELOADER},
        },
        "prometheus-node-exporter": {"resources": NODE_EXPORTER},
    }


ADDON = Addon(
    name=NAME,
    repo_url=REPO_URL,
    chart=CHART,
    version=VERSION,
    namespace=NAMESPACE,
    depends_on=DEPENDS_ON,
    values=values,
    server_side_apply=True,  # its CRDs exceed the 256 KiB last-applied annotation
    # Prometheus scrapes every pod and node; Alertmanager notifies over TLS; the operator's webhook on 10250.
    network=AddonNetwork(webhook_ports=(10250,), aws=True, scrapes_cluster=True),
)
