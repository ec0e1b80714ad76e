"""Infrastructure: nodes by pool, capacity per pool, what blocks scheduling, scaling and node drains.

kube-state-metrics and node-exporter as kube-prometheus-stack ships them (dashboards.exporter_metrics).
Nodes are grouped by their pool label (naming.NODE_POOL_LABEL, set by Terraform to the node group's key
in platform.yaml), which kube-state-metrics exports as NODE_POOL_METRIC_LABEL; each pool of the catalog
gets a panel with its bounds, so a pool at its maximum stands out.
"""

from __future__ import annotations

from typing import Any

from catalog import Environment, naming
from catalog.models import NodeGroup
from k8s_charts.addons.kube_prometheus_stack import NODE_POOL_METRIC_LABEL as POOL
from k8s_charts.dashboards.panels import COLUMNS, Panel, dashboard, prometheus, row, stat, table, timeseries

__all__ = ["KIND", "infrastructure"]

KIND = "infrastructure"
READY = 'kube_node_status_condition{condition="Ready", status="true"}'
NOT_READY = 'kube_node_status_condition{condition="Ready", status!="true"}'
BY_POOL = f"* on (node) group_left ({POOL}) kube_node_labels"
# Requests of pods that hold their share of a node: not those that have finished.
LIVE_PODS = 'and on (namespace, pod) (kube_pod_status_phase{phase=~"Pending|Running"} == 1)'
HPA_AT_MAX = ("kube_horizontalpodautoscaler_status_current_replicas\n>= on (namespace, horizontalpodautoscaler)\n"
              "kube_horizontalpodautoscaler_spec_max_replicas")
PDB_BLOCKING = "kube_poddisruptionbudget_status_pod_disruptions_allowed == 0"
NONE_IS_GOOD = ((None, "green"), (1, "orange"))


def _pools(env: Environment) -> dict[str, NodeGroup]:
    groups = env.node_groups
    return {name: group for name in type(groups).model_fields if (group := getattr(groups, name)) is not None}


def _pool_panels(env: Environment) -> list[Panel]:
    pools = _pools(env)
    panels: list[Panel] = [row(f"Nodes by pool ({naming.NODE_POOL_LABEL})")]
    panels += [stat(f"{name}: nodes ready (min {group.min}, max {group.max})",
                    prometheus(f'sum({READY} and on (node) kube_node_labels{{{POOL}="{name}"}}) or vector(0)'),
                    width=COLUMNS // len(pools), height=4,
                    steps=((None, "red"), (group.min, "green"), (group.max, "orange")),
                    description=f"Ready nodes of node group {name!r}; orange at its maximum, where it cannot grow.")
               for name, group in pools.items()]
    panels.append(timeseries("Nodes ready and not ready, by pool",
                             prometheus(f"sum by ({POOL}) ({READY} {BY_POOL})", f"{{{{{POOL}}}}} ready"),
                             prometheus(f"sum by ({POOL}) ({NOT_READY} {BY_POOL})", f"{{{{{POOL}}}}} not ready"),
                             width=COLUMNS))
    return panels


def _capacity(resource: str, title: str, unit: str) -> Panel:
    allocatable = f'sum by ({POOL}) (kube_node_status_allocatable{{resource="{resource}"}} {BY_POOL})'
    requests = f'kube_pod_container_resource_requests{{resource="{resource}"}}'
    requested = f"sum by ({POOL}) (({requests} {LIVE_PODS}) {BY_POOL})"
    return timeseries(f"{title}: allocatable and requested, by pool",
                      prometheus(allocatable, f"{{{{{POOL}}}}} allocatable"),
                      prometheus(requested, f"{{{{{POOL}}}}} requested"), unit=unit)


def _blockers() -> list[Panel]:
    return [
        row("Scheduling, autoscaling and disruptions"),
        stat("Pods pending", prometheus('sum(kube_pod_status_phase{phase="Pending"})'), width=8, steps=NONE_IS_GOOD),
        stat("HPAs at their maximum", prometheus(f"count({HPA_AT_MAX}) or vector(0)"), width=8, steps=NONE_IS_GOOD),
        stat("PDBs allowing no disruption", prometheus(f"count({PDB_BLOCKING}) or vector(0)"), width=8,
             steps=NONE_IS_GOOD, description="A node drain (upgrade, scale-in) waits on each of these."),
        table("Pending pods", prometheus('sum by (namespace, pod) (kube_pod_status_phase{phase="Pending"}) > 0',
                                         instant=True)),
        table("HPAs at their maximum (current replicas)", prometheus(HPA_AT_MAX, instant=True)),
        table("PDBs blocking disruptions", prometheus(PDB_BLOCKING, instant=True)),
    ]


def _node_exporter() -> list[Panel]:
    root = 'mountpoint="/"'
    return [
        row("Node resources (node-exporter)"),
        timeseries("CPU busy", prometheus('1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))',
                                          "{{instance}}"), width=8, unit="percentunit"),
        timeseries("Memory available", prometheus("node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes",
                                                  "{{instance}}"), width=8, unit="percentunit"),
        timeseries("Root filesystem available",
                   prometheus(f"node_filesystem_avail_bytes{{{root}}} / node_filesystem_size_bytes{{{root}}}",
                              "{{instance}}"), width=8, unit="percentunit"),
    ]


def infrastructure(env: Environment) -> dict[str, Any]:
    panels = [*_pool_panels(env), row("Capacity per pool"), _capacity("cpu", "CPU cores", "none"),
              _capacity("memory", "Memory", "bytes"),
              *_blockers(), *_node_exporter()]
    return dashboard(uid=naming.overview_dashboard_uid(env, KIND), title=f"Infrastructure ({env.name})",
                     tags=["payledger", "overview"], panels=panels,
                     description="Nodes, capacity and what holds back scheduling, autoscaling and node drains: "
                                 "kube-state-metrics and node-exporter as kube-prometheus-stack ships them.")
