"""Platform overview: every service against its availability SLO, one row each, in catalog order.

The same series as the service's own dashboard and SLO rules (k8s_charts.service_queries): a service added
to platform.yaml gets its row with no code change.
"""

from __future__ import annotations

from typing import Any

from catalog import Environment, naming
from k8s_charts import service_queries as query
from k8s_charts.addons.kube_prometheus_stack import RETENTION, RETENTION_SIZE
from k8s_charts.dashboards.panels import dashboard, prometheus, row, stat, timeseries

__all__ = ["KIND", "platform_overview"]

KIND = "platform"
# Below a quarter of the budget left, a release is a risk worth a second look.
BUDGET_STEPS = ((None, "red"), (0.0, "orange"), (0.25, "green"))
DESCRIPTION = (
    f"Each service's availability (requests answered without a 5xx) and error budget over the SLO window "
    f"({query.SLO_WINDOW}, target {query.SLO_TARGET:.1%}), request rate and p99 latency. The window needs "
    f"{query.SLO_WINDOW} of samples: Prometheus keeps {RETENTION} on a persistent volume, at most "
    f"{RETENTION_SIZE}. In the first {query.SLO_WINDOW} of an environment, or once the samples outgrow "
    f"{RETENTION_SIZE} (Prometheus then drops the oldest), these figures cover the samples it has."
)


def platform_overview(env: Environment) -> dict[str, Any]:
    panels = []
    for service in env.services.values():
        panels += [
            row(f"{service.name} ({service.namespace})"),
            stat(f"Availability, {query.SLO_WINDOW} (SLO {query.SLO_TARGET:.1%})",
                 prometheus(query.availability(service)), width=4, height=6, unit="percentunit",
                 steps=((None, "red"), (query.SLO_TARGET, "green"))),
            stat(f"Error budget left, {query.SLO_WINDOW}", prometheus(query.budget_left(service)), width=4, height=6,
                 unit="percentunit", steps=BUDGET_STEPS),
            timeseries("Requests per second", prometheus(query.request_rate(service)), width=8, height=6,
                       unit="reqps"),
            timeseries("p99 latency", prometheus(query.p99_latency(service)), width=8, height=6, unit="s"),
        ]
    return dashboard(uid=naming.overview_dashboard_uid(env, KIND), title=f"Platform overview ({env.name})",
                     tags=["payledger", "overview"], panels=panels, description=DESCRIPTION)
