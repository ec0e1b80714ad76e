"""The overview dashboards: platform, infrastructure, security and business, one module each, built from
the catalog (panels.py is their small builder).

They are ConfigMaps beside Grafana, which its sidecar loads from any namespace, written into the
cluster-config folder (k8s_charts.cluster_objects.FOLDER), which Argo CD's cluster-config Application syncs.
Each service's own dashboard stays in its chart (k8s_charts.service_extras).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from constructs import Construct

from catalog import Environment, naming
from k8s_charts.addons.kube_prometheus_stack import NAMESPACE
from k8s_charts.cluster_objects import FOLDER
from k8s_charts.dashboards import business, infrastructure, platform_overview, security
from k8s_charts.dashboards.panels import config_map
from k8s_charts.manifest import FolderChart, emit, standard_labels

__all__ = ["BUILDERS", "DashboardsChart"]

COMPONENT = "dashboards"
BUILDERS: dict[str, Callable[[Environment], dict[str, Any]]] = {
    platform_overview.KIND: platform_overview.platform_overview,
    infrastructure.KIND: infrastructure.infrastructure,
    security.KIND: security.security,
    business.KIND: business.business,
}


class DashboardsChart(FolderChart):
    """One ConfigMap per overview dashboard (naming.OVERVIEW_DASHBOARDS), in Grafana's namespace."""

    def __init__(self, scope: Construct, construct_id: str, *, env: Environment) -> None:
        super().__init__(scope, construct_id, folder=FOLDER)
        for kind in naming.OVERVIEW_DASHBOARDS:
            board = BUILDERS[kind](env)
            name = naming.overview_dashboard_name(kind)
            emit(self, f"dashboard-{kind}", config_map(name=name, namespace=NAMESPACE, file=f"{board['uid']}.json",
                                                       labels=standard_labels(name=name, component=COMPONENT),
                                                       board=board))
