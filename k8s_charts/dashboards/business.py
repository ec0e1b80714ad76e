"""Business: the metrics each service declares in platform.yaml (`business_metrics`, catalog.metrics), one
row per owning service, one panel per metric: a new metric or service shows up with no code change.

The same names feed each owner's alert on a metric's absence (k8s_charts.service_extras).
"""

from __future__ import annotations

from typing import Any

from catalog import Environment, naming
from k8s_charts import service_queries as query
from k8s_charts.dashboards.panels import Panel, dashboard, prometheus, row, text, timeseries

__all__ = ["KIND", "business"]

KIND = "business"
UNITS = {"counter": "/s", "gauge": ""}


def business(env: Environment) -> dict[str, Any]:
    panels: list[Panel] = []
    for service in env.services.values():
        if not service.business_metrics:
            continue
        panels.append(row(f"{service.name} ({service.namespace})"))
        panels += [timeseries(f"{metric.description} {UNITS[metric.type]}".strip(),
                              prometheus(query.business_value(service, metric)), unit="short",
                              description=f"`{metric.name}` ({metric.type}), declared by {service.name} in "
                                          "platform.yaml (business_metrics).")
                   for metric in service.business_metrics]
    if not panels:
        panels = [text("No business metrics", "No service declares `business_metrics` in platform.yaml.")]
    return dashboard(uid=naming.overview_dashboard_uid(env, KIND), title=f"Business ({env.name})",
                     tags=["payledger", "overview"], panels=panels, time_from="now-24h",
                     description="What the services count of the business, as each declares in platform.yaml "
                                 "(business_metrics): counters as a rate per second, gauges as they are.")
