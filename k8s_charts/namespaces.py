"""Every namespace the platform creates, and its guard rails.

The catalog's namespaces and those the add-ons run in. Each enforces its Pod Security level and starts
at default deny with DNS allowed. Workload namespaces also get a quota sized from the services they
run and container defaults, and the per-service policies (k8s_charts.service) open them up flow by
flow; add-on namespaces get the flows their add-ons declare (k8s_charts.namespace_policies).
"""

from __future__ import annotations

import math
from typing import Any

from constructs import Construct

from catalog import Catalog, Environment, Service, naming
from catalog.footprint import ZERO, peak_pods, service_workloads
from k8s_charts.addons import ADDONS
from k8s_charts.addons.aws_load_balancer_controller import NAMESPACE_LABELS
from k8s_charts.manifest import FolderChart, emit, standard_labels
from k8s_charts.namespace_policies import addon_namespace_policies, combined
from k8s_charts.network_policy import allow_dns_egress, allow_istiod_egress, default_deny

__all__ = ["NamespacesChart", "resource_quota"]

FOLDER = "cluster"
POD_SECURITY_LEVELS = ("restricted", "baseline", "privileged")


def _cpu(millis: int) -> str:
    return f"{millis}m"


def _memory(size: int) -> str:
    return f"{math.ceil(size / 1024**2)}Mi"


def _most_permissive(levels) -> str:
    """The Pod Security level that admits every add-on of a namespace."""
    return max(levels, key=POD_SECURITY_LEVELS.index)


def resource_quota(*, namespace: str, services: list[Service], sidecar: bool, labels: dict[str, str]) -> dict[str, Any]:
    """Room for every workload of `services` (and their egress proxies) at its autoscaling maximum plus a
    rollout's surge, and no more; `sidecar`: each pod carries the pinned Istio sidecar. The capacity page
    (documentation.capacity) sets it against the peak the capacity check counts."""
    total, pods = ZERO, 0
    for service in services:
        for workload in service_workloads(service, sidecar=sidecar):
            count = peak_pods(workload.max_replicas)
            total, pods = total.plus(workload.pod.times(count)), pods + count
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "compute", "namespace": namespace, "labels": labels},
        "spec": {"hard": {
            "pods": str(pods),
            "requests.cpu": _cpu(total.requests_cpu),
            "requests.memory": _memory(total.requests_memory),
            "limits.cpu": _cpu(total.limits_cpu),
            "limits.memory": _memory(total.limits_memory),
            # Zero unless a service here asks for GPUs: nothing else may hold the costly nodes.
            "requests.nvidia.com/gpu": str(total.gpus),
        }},
    }


class NamespacesChart(FolderChart):
    """Namespaces with Pod Security labels (and the labels add-ons act on); quota, LimitRange and baseline
    policies per workload namespace.

    Pod Security `audit` and `warn` follow the latest policy version on purpose: they report what a
    Kubernetes upgrade would reject while `enforce` stays pinned to the cluster's version.
    """

    def __init__(self, scope: Construct, construct_id: str, *, catalog: Catalog, env: Environment) -> None:
        super().__init__(scope, construct_id, folder=FOLDER)
        self.env = env
        addons = {name: [addon for addon in ADDONS.values() if addon.namespace == name]
                  for name in sorted({addon.namespace for addon in ADDONS.values()} - set(catalog.namespaces))}
        levels = {**{name: namespace.pod_security for name, namespace in catalog.namespaces.items()},
                  **{name: _most_permissive(addon.pod_security for addon in owners) for name, owners in addons.items()}}
        workload_namespaces = sorted(name for name, namespace in catalog.namespaces.items() if namespace.workloads)
        plan = naming.subnet_plan(env)
        for name, level in levels.items():
            workloads = catalog.namespaces[name].workloads if name in catalog.namespaces else False
            labels = standard_labels(name=name, component="guardrails")
            manifests = [self._namespace(name, level, workloads), default_deny(namespace=name, labels=labels),
                         allow_dns_egress(namespace=name, labels=labels)]
            if workloads:
                manifests += self._workload_guardrails(name, labels)
            else:
                network = combined(addon.network for addon in ADDONS.values() if addon.namespace == name)
                manifests += addon_namespace_policies(namespace=name, network=network, vpc_cidr=env.vpc_cidr,
                                                      private_subnets=plan.private,
                                                      workload_namespaces=workload_namespaces, labels=labels)
            for manifest in manifests:
                suffix = f"{name}-{manifest['kind']}-{manifest['metadata']['name']}"
                emit(self, f"namespace-{name}" if manifest["kind"] == "Namespace" else suffix, manifest)

    def _workload_guardrails(self, name: str, labels: dict[str, str]) -> list[dict[str, Any]]:
        """Istio's control plane when meshed; a quota and container defaults sized from the services here."""
        services = [service for service in self.env.services.values() if service.namespace == name]
        manifests = [allow_istiod_egress(namespace=name, labels=labels)] if self.env.istio_injection else []
        if services:
            manifests += [resource_quota(namespace=name, services=services, sidecar=self.env.istio_injection,
                                         labels=labels),
                          self._limit_range(name, services, labels)]
        return manifests

    def _namespace(self, name: str, level: str, workloads: bool) -> dict[str, Any]:
        security = {f"pod-security.kubernetes.io/{mode}": level for mode in ("enforce", "audit", "warn")}
        labels = standard_labels(name=name, component="namespace") | security | {
            "pod-security.kubernetes.io/enforce-version": f"v{self.env.kubernetes_version}"}
        labels |= NAMESPACE_LABELS.get(name, {})
        if workloads and self.env.istio_injection:
            labels["istio-injection"] = "enabled"
        return {
            "apiVersion": "v1",
            "kind": "Namespace",
            # Pruning a namespace deletes everything in it: Argo CD must never do that on its own.
            "metadata": {"name": name, "labels": labels,
                         "annotations": {"argocd.argoproj.io/sync-options": "Prune=false"}},
        }

    def _limit_range(self, namespace: str, services: list[Service], labels: dict[str, str]) -> dict[str, Any]:
        """Defaults for containers that declare no resources (the quota rejects pods without them):
        the smallest figures any service here declares."""
        requests = [service.resources.requests for service in services]
        limits = [service.resources.limits for service in services]
        return {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "container-defaults", "namespace": namespace, "labels": labels},
            "spec": {"limits": [{
                "type": "Container",
                "defaultRequest": {"cpu": _cpu(min(r.cpu_millis for r in requests)),
                                   "memory": _memory(min(r.memory_bytes for r in requests))},
                "default": {"cpu": _cpu(min(r.cpu_millis for r in limits)),
                            "memory": _memory(min(r.memory_bytes for r in limits))},
            }]},
        }
