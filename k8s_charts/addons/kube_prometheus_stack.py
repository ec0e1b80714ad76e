"""kube-prometheus-stack: Prometheus, Alertmanager, Grafana and the monitoring.coreos.com CRDs.

It depends on nothing and owns the ServiceMonitor and PrometheusRule CRDs, so every add-on that ships
a ServiceMonitor, and every service, syncs after it. Prometheus selects rules and monitors from all
namespaces, and Grafana's sidecar loads dashboards labelled DASHBOARD_LABEL from all namespaces, so
a service's ServiceMonitor, PrometheusRule and dashboard live beside it in its own namespace.
"""

from __future__ import annotations

from typing import Any

from catalog import Environment, naming
from k8s_charts.addons.base import Addon

__all__ = ["ADDON", "DASHBOARD_LABEL", "values"]

NAME = "kube-prometheus-stack"
REPO_URL = "https://prometheus-community.github.io/helm-charts"
CHART = "kube-prometheus-stack"
VERSION = "88.2.0"  # ships prometheus-operator v0.93.0, the CRDs in ../shared/crds
NAMESPACE = naming.ADDON_NAMESPACES[NAME]
DEPENDS_ON: tuple[str, ...] = ()
DASHBOARD_LABEL = ("grafana_dashboard", "1")
RETENTION = "15d"
RESOURCES = {
    "prometheus": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
    "alertmanager": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}},
    "grafana": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
}


def values(env: Environment) -> dict[str, Any]:
    # Loki and Tempo are addressed by their Helm release names in the same namespace.
    from k8s_charts.addons import loki, tempo

    label, label_value = DASHBOARD_LABEL
    return {
        "crds": {"enabled": True},
        "prometheus": {
            "prometheusSpec": {
                "replicas": env.addon_replicas,
                "retention": RETENTION,
                "resources": RESOURCES["prometheus"],
                # Select ServiceMonitors and PrometheusRules everywhere, not only this release's.
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "ruleSelectorNilUsesHelmValues": False,
            }
        },
        "alertmanager": {
            "alertmanagerSpec": {"replicas": env.addon_replicas, "resources": RESOURCES["alertmanager"]}
        },
        "grafana": {
            "resources": RESOURCES["grafana"],
            "sidecar": {
                "dashboards": {
                    "enabled": True,
                    "label": label,
                    "labelValue": label_value,
                    "searchNamespace": "ALL",
                }
            },
            "additionalDataSources": [
                {"name": "Loki", "type": "loki", "url": f"http://{loki.GATEWAY_HOST}"},
                {"name": "Tempo", "type": "tempo", "url": f"http://{tempo.QUERY_HOST}"},
            ],
        },
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
)
