"""Composes every chart of one environment: the one place that decides what goes into gitops_out/<env>/."""

from __future__ import annotations

from typing import Any

from cdk8s import App

from catalog import Catalog, Environment
from k8s_charts.argocd import ArgoAppsChart, ServicesAppSetChart
from k8s_charts.cluster_objects import ClusterObjectsChart
from k8s_charts.manifest import FolderChart
from k8s_charts.namespaces import NamespacesChart
from k8s_charts.service import ServiceWorkload
from k8s_charts.service_extras import ServiceExtras

__all__ = ["build_environment", "manifests_by_folder"]


def build_environment(catalog: Catalog, env: Environment) -> App:
    app = App()
    NamespacesChart(app, "namespaces", catalog=catalog, env=env)
    for service in env.services.values():
        chart = FolderChart(app, f"svc-{service.name}", folder=f"{service.namespace}/{service.name}")
        ServiceWorkload(chart, "workload", catalog=catalog, env=env, service=service)
        ServiceExtras(chart, "extras", catalog=catalog, env=env, service=service)
    ClusterObjectsChart(app, "cluster-config", catalog=catalog, env=env)
    ArgoAppsChart(app, "argocd-apps", catalog=catalog, env=env)
    ServicesAppSetChart(app, "argocd-appset", catalog=catalog, env=env)
    return app


def manifests_by_folder(app: App) -> dict[str, list[dict[str, Any]]]:
    """Each chart's rendered objects under its folder (relative to gitops_out/<env>/)."""
    folders: dict[str, list[dict[str, Any]]] = {}
    for chart in app.charts:
        assert isinstance(chart, FolderChart), f"{chart.node.id} is not a FolderChart"
        folders.setdefault(chart.folder, []).extend(chart.to_json())
    return folders
