"""Composes every chart of one environment: the one place that decides what goes into gitops_out/<env>/."""

from __future__ import annotations

from typing import Any

from cdk8s import App

from catalog import Catalog, Environment
from catalog.naming import BOOTSTRAP_FOLDER
from k8s_charts.addons import ADDONS, Addon
from k8s_charts.argocd import ArgoAppsChart, ServicesAppSetChart
from k8s_charts.cluster_objects import ClusterObjectsChart
from k8s_charts.dashboards import DashboardsChart
from k8s_charts.manifest import FolderChart, Renderer
from k8s_charts.namespaces import FOLDER as CLUSTER_FOLDER
from k8s_charts.namespaces import NamespacesChart
from k8s_charts.service import ServiceWorkload
from k8s_charts.service_extras import ServiceExtras
from k8s_charts.service_secrets import ServiceSecrets
from k8s_charts.storage import StorageChart

__all__ = ["bootstrap_path", "bootstrap_values", "build_environment", "manifests_by_folder"]


def build_environment(catalog: Catalog, env: Environment) -> list[FolderChart]:
    """Every chart of the environment, each in an App of its own.

    cdk8s resolves and validates a chart's whole App to render that chart; charts here never
    depend on each other (Argo CD syncs each folder on its own), so one App each keeps rendering
    linear in the number of services instead of quadratic.
    """
    charts: list[FolderChart] = [NamespacesChart(App(), "namespaces", catalog=catalog, env=env),
                                 StorageChart(App(), "storage", env=env, folder=CLUSTER_FOLDER)]
    for service in env.services.values():
        chart = FolderChart(App(), f"svc-{service.name}", folder=f"{service.namespace}/{service.name}")
        ServiceWorkload(chart, "workload", env=env, service=service)
        ServiceExtras(chart, "extras", catalog=catalog, env=env, service=service)
        ServiceSecrets(chart, "secrets", env=env, service=service)
        charts.append(chart)
    charts.append(ClusterObjectsChart(App(), "cluster-config", catalog=catalog, env=env))
    charts.append(DashboardsChart(App(), "dashboards", env=env))
    charts.append(ArgoAppsChart(App(), "argocd-apps", catalog=catalog, env=env))
    charts.append(ServicesAppSetChart(App(), "argocd-appset", catalog=catalog, env=env))
    return charts


def manifests_by_folder(charts: list[FolderChart], render: Renderer | None = None) -> dict[str, list[dict[str, Any]]]:
    """Each chart's rendered objects under its folder (relative to gitops_out/<env>/)."""
    folders: dict[str, list[dict[str, Any]]] = {}
    for chart in charts:
        folders.setdefault(chart.folder, []).extend(chart.manifests(render))
    return folders


def bootstrap_path(addon: Addon) -> str:
    """Where a bootstrap add-on's Helm values file goes, relative to gitops_out/<env>/."""
    return f"{BOOTSTRAP_FOLDER}/{addon.chart}-values.yaml"


def bootstrap_values(env: Environment) -> dict[str, dict[str, Any]]:
    """Helm values files by path, one per bootstrap add-on: the values its Application carries, so the
    release installed by hand is the one Argo CD then adopts."""
    return {bootstrap_path(addon): addon.values(env) for addon in ADDONS.values() if addon.bootstrap}
