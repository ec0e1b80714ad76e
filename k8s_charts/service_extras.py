"""What a service needs to be watched: scraping, SLO alerts, a dashboard.

Added into the service's own chart, so Argo CD syncs and prunes them with the service. The metric
contract with the services (catalog.metrics): `http_requests_total` with a `code` label and the histogram
`http_request_duration_seconds`, exposed on the `http` port at `metrics_path`, and the service's own
`business_metrics`, each alerted on when absent. The queries are k8s_charts.service_queries'.
"""

from __future__ import annotations

from typing import Any

from catalog import Catalog, Environment, Service, naming
from k8s_charts import service_queries as query
from k8s_charts.dashboards.panels import config_map, dashboard, prometheus, timeseries
from k8s_charts.manifest import ChartPart, FolderChart, emit, selector_labels, standard_labels
from k8s_charts.service import PORT_NAME
from k8s_charts.service_queries import ERROR_BUDGET, SLO_TARGET

__all__ = ["BURN_RATE_ALERTS", "ServiceExtras"]

COMPONENT = "observability"
# (long window, short window, burn rate, for, severity): the SRE workbook's multi-window alerts for
# a 30-day budget. The two pages fire at 2% and 5% of the budget spent; the tickets at 10%.
BURN_RATE_ALERTS = (
    ("1h", "5m", 14.4, "2m", "critical"),
    ("6h", "30m", 6.0, "15m", "critical"),
    ("1d", "2h", 3.0, "1h", "warning"),
    ("3d", "6h", 1.0, "3h", "warning"),
)
P99_LATENCY_SECONDS = 1.0
ERROR_RATIO_WARNING = 0.05
# Long enough for a rollout to start exposing the metric, short enough to catch a release that dropped it.
ABSENT_FOR = "15m"
# Every alert links its section of the runbooks in this repository (docs/runbooks.md).
RUNBOOKS = "docs/runbooks.md"
SCRAPE_INTERVAL = "30s"


class ServiceExtras(ChartPart):
    """ServiceMonitor, PrometheusRule and Grafana dashboard for one service."""

    def __init__(self, scope: ChartPart | FolderChart, construct_id: str, *, catalog: Catalog, env: Environment,
                 service: Service) -> None:
        super().__init__(scope, construct_id)
        self.env, self.service = env, service
        self.labels = standard_labels(name=service.name, component=COMPONENT, version=service.image_tag)
        project = catalog.project
        self.runbooks = f"{project.gitops_repo_url.removesuffix('.git')}/blob/{project.gitops_revision}/{RUNBOOKS}"
        manifests = [self._service_monitor(), self._prometheus_rule(), self._dashboard()]
        for manifest in manifests:
            emit(self, f"{manifest['kind']}-{manifest['metadata']['name']}", manifest)

    def _metadata(self, name: str) -> dict[str, Any]:
        return {"name": name, "namespace": self.service.namespace, "labels": self.labels}

    def _service_monitor(self) -> dict[str, Any]:
        service = self.service
        return {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "ServiceMonitor",
            "metadata": self._metadata(service.name),
            "spec": {
                "selector": {"matchLabels": selector_labels(service.name)},
                "namespaceSelector": {"matchNames": [service.namespace]},
                "endpoints": [{"port": PORT_NAME, "path": service.metrics_path, "interval": SCRAPE_INTERVAL,
                               "scheme": "http"}],
            },
        }

    def _prometheus_rule(self) -> dict[str, Any]:
        """Error ratios recorded per window, multi-window burn-rate pages and tickets, p99 and error-rate alerts."""
        service = self.service
        windows = sorted({w for alert in BURN_RATE_ALERTS for w in alert[:2]}, key=_seconds)
        recorded = [{"record": query.error_ratio_record(w), "expr": query.error_ratio(service, w)} for w in windows]
        burn_alerts = [{
            "alert": f"{_camel(service.name)}ErrorBudgetBurn",
            "expr": (f"{query.recorded_error_ratio(service, long)} > ({rate} * {ERROR_BUDGET:.3f})\n"
                     f"and\n{query.recorded_error_ratio(service, short)} > ({rate} * {ERROR_BUDGET:.3f})"),
            "for": wait,
            "labels": {"severity": severity, "service": service.name, "slo": "availability",
                       "window": f"{long}/{short}"},
            "annotations": {
                "summary": f"{service.name} is burning its {SLO_TARGET:.1%} availability budget {rate}x too fast",
                "description": f"5xx ratio over {long} and {short} is above {rate} x {ERROR_BUDGET:.3f}.",
                "runbook_url": f"{self.runbooks}#error-budget-burn",
            },
        } for long, short, rate, wait, severity in BURN_RATE_ALERTS]
        latency = f"{query.p99_latency(service)} > {P99_LATENCY_SECONDS}"
        symptoms = [
            {"alert": f"{_camel(service.name)}HighLatencyP99", "expr": latency, "for": "10m",
             "labels": {"severity": "warning", "service": service.name},
             "annotations": {"summary": f"{service.name} p99 latency above {P99_LATENCY_SECONDS}s for 10 minutes",
                             "runbook_url": f"{self.runbooks}#high-latency-p99"}},
            {"alert": f"{_camel(service.name)}HighErrorRate",
             "expr": f"{query.recorded_error_ratio(service, '5m')} > {ERROR_RATIO_WARNING}", "for": "5m",
             "labels": {"severity": "warning", "service": service.name},
             "annotations": {"summary": f"{service.name} answers more than {ERROR_RATIO_WARNING:.0%} "
                                        f"of requests with 5xx",
                             "runbook_url": f"{self.runbooks}#high-error-rate"}},
        ]
        return {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": self._metadata(naming.slo_rule_name(service)),
            "spec": {"groups": [
                {"name": f"{service.name}.slo.records", "rules": recorded},
                {"name": f"{service.name}.slo.alerts", "rules": [*burn_alerts, *symptoms]},
                *([{"name": f"{service.name}.business.alerts", "rules": self._absent_alerts()}]
                  if service.business_metrics else []),
            ]},
        }

    def _absent_alerts(self) -> list[dict[str, Any]]:
        """One per contracted business metric: a release that stopped exposing it breaks the business dashboard."""
        service = self.service
        return [{
            "alert": f"{_camel(service.name)}BusinessMetricAbsent",
            "expr": query.business_absent(service, metric),
            "for": ABSENT_FOR,
            "labels": {"severity": "warning", "service": service.name, "metric": metric.name},
            "annotations": {"summary": f"{service.name} exposes no {metric.name} ({metric.description})",
                            "description": f"platform.yaml contracts {metric.name} ({metric.type}) from "
                                           f"{service.name}; Prometheus has had no such series for {ABSENT_FOR}.",
                            "runbook_url": f"{self.runbooks}#business-metric-absent"},
        } for metric in service.business_metrics]

    def _dashboard(self) -> dict[str, Any]:
        """Picked up by Grafana's sidecar in any namespace (see kube_prometheus_stack.DASHBOARD_LABEL)."""
        service = self.service
        panels = [
            timeseries("Requests per second", prometheus(query.request_rate(service)), unit="reqps"),
            timeseries(f"5xx ratio (SLO {SLO_TARGET:.1%})", prometheus(query.recorded_error_ratio(service, "5m")),
                       unit="percentunit"),
            timeseries("p99 latency (s)", prometheus(query.p99_latency(service)), unit="s"),
            timeseries("Error budget burn rate (1h)",
                       prometheus(f"{query.recorded_error_ratio(service, '1h')} / {ERROR_BUDGET:.3f}")),
        ]
        board = dashboard(uid=naming.dashboard_uid(self.env, service), title=f"{service.name} ({self.env.name})",
                          tags=["payledger", service.namespace], panels=panels)
        return config_map(name=naming.dashboard_name(service), namespace=service.namespace, labels=self.labels,
                          file=f"{service.name}.json", board=board)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def _seconds(window: str) -> int:
    return int(window[:-1]) * {"m": 60, "h": 3600, "d": 86400}[window[-1]]
