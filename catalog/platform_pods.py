"""The platform's own pods: each add-on's components, EKS's, and the DaemonSets on every node; what each
container requests and how many pods run.

It lives in the catalog, below both sides, so the capacity rule (catalog.rules.capacity) counts them while
the catalog loads; the add-on modules (k8s_charts.addons) take their containers' resources and their replica
counts from here, as they take their namespaces from catalog.naming, so what is installed is what is counted.

Where each figure comes from:
- Add-on components: the requests their Helm values set, every one explicitly (checked against each chart's
  values.yaml at the pinned version with tools/check_chart_values.py). The Loki caches are the exception the
  chart imposes: it derives memcached's requests from `allocatedMemory` and `allocatedCPU` (`memcached`).
- EKS's own pods, installed by Terraform as EKS add-ons in their default configuration (infra_stacks.cluster),
  counted at their documented defaults: CoreDNS and the EBS CSI controller two replicas each (the controller's
  five containers as chart aws-ebs-csi-driver 2.64.0 sets them: ebs-plugin, provisioner, attacher and resizer
  10m/40Mi, liveness probe 10m/32Mi; no snapshotter without the snapshot API), aws-node 25m CPU (VPC CNI 1.23;
  its network policy agent requests nothing), kube-proxy 100m CPU, ebs-csi-node 10m/40Mi + 2 x 10m/32Mi.
- The kubelet's and the OS's reservations are no pods: catalog.instance_types takes them off each node.
- Helm hook Jobs (cert-manager's startupapicheck, the Prometheus webhook's certificate jobs, Argo CD's Redis
  secret init) are not counted: they run to completion before their add-on starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from catalog.footprint import PodFootprint, Resources, Workload
from catalog.models import Environment

__all__ = ["ADDON_COMPONENTS", "ALLOY", "CONFIG_RELOADER", "EKS_COMPONENTS", "K8S_SIDECAR", "LOKI_CACHE_MB",
           "LOKI_CANARY", "LOKI_REPLICATION_FACTOR", "MEMCACHED_EXPORTER", "NODE_DAEMONS", "NODE_EXPORTER", "Component",
           "DaemonSet", "platform_workloads"]


def resources(cpu: str, memory: str, cpu_limit: str | None = None, memory_limit: str | None = None) -> Resources:
    """A container's `resources`; limits only where the platform sets them (EKS's own pods set few)."""
    limits = {key: value for key, value in (("cpu", cpu_limit), ("memory", memory_limit)) if value}
    return {"requests": {"cpu": cpu, "memory": memory}, **({"limits": limits} if limits else {})}


def single(env: Environment) -> int:
    """One replica: the component cannot run more (its add-on module says why)."""
    return 1


def per_environment(env: Environment) -> int:
    """env.addon_replicas: active-active or leader-elected standbys (k8s_charts.addons.base)."""
    return env.addon_replicas


def eks_default(env: Environment) -> int:
    """The two replicas EKS's CoreDNS and EBS CSI controller add-ons run by default."""
    return 2


LOKI_REPLICATION_FACTOR = 3


def write_quorum(env: Environment) -> int:
    """Loki: one, or enough for a write quorum that survives losing a replica (k8s_charts.addons.loki)."""
    return 1 if env.addon_replicas == 1 else max(LOKI_REPLICATION_FACTOR, env.addon_replicas)


class Component(NamedTuple):
    """One workload of the platform: its containers' resources, the main container first, and its pod count."""

    containers: tuple[Resources, ...]
    replicas: Callable[[Environment], int] = per_environment

    @property
    def resources(self) -> Resources:
        """The main container's: what a chart's `resources` value for the component takes."""
        return self.containers[0]


class DaemonSet(NamedTuple):
    """A pod on every node; `tainted_pools`: it tolerates the gpu and pci pools' NoSchedule taints too."""

    name: str
    containers: tuple[Resources, ...]
    tainted_pools: bool


# prometheus-operator's config reloader, in every Prometheus and Alertmanager pod (the chart's own default
# is no request at all).
CONFIG_RELOADER = resources("10m", "50Mi", "200m", "50Mi")
# kiwigrid/k8s-sidecar, which loads labelled ConfigMaps: Grafana's dashboards and data sources, Loki's rules.
K8S_SIDECAR = resources("20m", "64Mi", "100m", "128Mi")
MEMCACHED_EXPORTER = resources("10m", "32Mi", "100m", "64Mi")
NODE_EXPORTER = resources("20m", "32Mi", "200m", "64Mi")
LOKI_CANARY = resources("10m", "32Mi", "100m", "64Mi")
# Grafana Alloy, tailing the logs of one node's containers and pushing them to Loki.
ALLOY = resources("25m", "128Mi", "500m", "512Mi")
# What each Loki cache gives memcached (`allocatedMemory`, MB). The chart's default for the chunks cache,
# 8192 (a 9.6 GiB request), fits no node of dev's pools; this platform's log volume needs far less.
LOKI_CACHE_MB = {"chunksCache": 2048, "resultsCache": 1024}


def memcached(allocated_mb: int) -> Resources:
    """A Loki cache's memcached container as the chart renders it: round(1.2 x allocatedMemory) MiB requested
    and as its limit, and allocatedCPU (the chart's 500m)."""
    memory = f"{(allocated_mb * 12 + 5) // 10}Mi"
    return {"requests": {"cpu": "500m", "memory": memory}, "limits": {"memory": memory}}


def _one(*containers: Resources, replicas: Callable[[Environment], int] = per_environment) -> Component:
    return Component(containers, replicas)


# By Argo CD Application (catalog.naming.ADDON_NAMESPACES), then component.
ADDON_COMPONENTS: dict[str, dict[str, Component]] = {
    "argocd": {
        "controller": _one(resources("250m", "512Mi", "1", "2Gi"), replicas=single),
        "server": _one(resources("50m", "128Mi", "500m", "256Mi")),
        # Renders every Helm chart; kube-prometheus-stack is the largest.
        "repoServer": _one(resources("100m", "256Mi", "1", "1Gi")),
        "applicationSet": _one(resources("50m", "128Mi", "500m", "256Mi")),
        "redis": _one(resources("50m", "64Mi", "200m", "256Mi"), replicas=single),
    },
    "kube-prometheus-stack": {
        "prometheus": _one(resources("500m", "2Gi", "2", "4Gi"), CONFIG_RELOADER),
        "alertmanager": _one(resources("50m", "128Mi", "200m", "256Mi"), CONFIG_RELOADER),
        # Its dashboards and data sources sidecars.
        "grafana": _one(resources("100m", "256Mi", "500m", "512Mi"), K8S_SIDECAR, K8S_SIDECAR, replicas=single),
        "operator": _one(resources("50m", "128Mi", "500m", "512Mi"), replicas=single),
        "kubeStateMetrics": _one(resources("50m", "128Mi", "200m", "256Mi"), replicas=single),
    },
    "cert-manager": {
        "controller": _one(resources("50m", "128Mi", "500m", "512Mi")),
        "webhook": _one(resources("20m", "64Mi", "200m", "128Mi")),
        "cainjector": _one(resources("50m", "128Mi", "500m", "512Mi")),
    },
    "external-secrets": {
        "controller": _one(resources("50m", "128Mi", "500m", "512Mi")),
        "webhook": _one(resources("20m", "64Mi", "200m", "256Mi")),
        "certController": _one(resources("20m", "64Mi", "200m", "256Mi")),
    },
    "nginx-gateway-fabric": {
        "control-plane": _one(resources("100m", "128Mi", "500m", "512Mi")),
        "data-plane": _one(resources("200m", "256Mi", "1", "512Mi")),
    },
    "aws-load-balancer-controller": {
        "controller": _one(resources("50m", "128Mi", "500m", "512Mi")),
    },
    "loki": {
        # With its rules sidecar.
        "single-binary": _one(resources("250m", "1Gi", "2", "3Gi"), K8S_SIDECAR, replicas=write_quorum),
        "gateway": _one(resources("50m", "64Mi", "500m", "256Mi")),
        **{cache: _one(memcached(size), MEMCACHED_EXPORTER, replicas=single) for cache, size in LOKI_CACHE_MB.items()},
    },
    "tempo": {
        "tempo": _one(resources("200m", "512Mi", "1", "2Gi"), replicas=single),
    },
    # A DaemonSet only: counted per node (NODE_DAEMONS).
    "alloy": {},
}
# EKS add-ons that run as Deployments (kube-system).
EKS_COMPONENTS: dict[str, Component] = {
    "coredns": _one(resources("100m", "70Mi"), replicas=eks_default),
    "ebs-csi-controller": _one(*[resources("10m", "40Mi")] * 4, resources("10m", "32Mi"), replicas=eks_default),
}
NODE_DAEMONS = (
    DaemonSet("aws-node", ({"requests": {"cpu": "25m"}},), tainted_pools=True),
    DaemonSet("kube-proxy", ({"requests": {"cpu": "100m"}},), tainted_pools=True),
    DaemonSet("ebs-csi-node", (resources("10m", "40Mi"), resources("10m", "32Mi"), resources("10m", "32Mi")),
              tainted_pools=True),
    # kube-prometheus-stack's; the chart tolerates every NoSchedule taint.
    DaemonSet("node-exporter", (NODE_EXPORTER,), tainted_pools=True),
    # Loki's; the chart sets no tolerations.
    DaemonSet("loki-canary", (LOKI_CANARY,), tainted_pools=False),
    # The log collector, with its config reloader (the same prometheus-config-reloader image); it tolerates
    # the gpu and pci taints, so every node's logs reach Loki (k8s_charts.addons.alloy).
    DaemonSet("alloy", (ALLOY, CONFIG_RELOADER), tainted_pools=True),
)


def platform_workloads(env: Environment) -> list[Workload]:
    """Every add-on and EKS component as a fixed-size workload (`addon/component`); they run on the untainted
    pools, where nothing keeps them out."""
    components = [(f"{addon}/{name}", component) for addon, parts in ADDON_COMPONENTS.items()
                  for name, component in parts.items()]
    components += [(f"eks/{name}", component) for name, component in EKS_COMPONENTS.items()]
    return [Workload(name, PodFootprint.of(*component.containers), component.replicas(env), component.replicas(env))
            for name, component in components]
