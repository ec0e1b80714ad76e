"""What pods ask of the scheduler and of their namespace's quota, at the autoscaler's peak.

Shared by the namespace quota (k8s_charts.namespaces) and the capacity check (catalog.capacity), so they
count the same pods: a service's own pods and, for a PCI-scoped service, its egress proxy's. It lives in
the catalog, below both sides, so the capacity rule can count them while the catalog loads.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, NamedTuple

from catalog import naming
from catalog.fields import cpu_millis, memory_bytes
from catalog.models import Service

__all__ = ["EGRESS_PROXY_REPLICAS", "EGRESS_PROXY_RESOURCES", "ISTIO_PROXY", "ROLLOUT_SURGE_PERCENT", "ZERO",
           "PodFootprint", "Resources", "Workload", "peak_pods", "proxy_workload", "rolling_update",
           "service_workloads"]

# A container's `resources` in Kubernetes spelling: {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": ...}.
Resources = dict[str, dict[str, str]]

# Rolling updates add pods before removing any, so a rollout never drops capacity.
ROLLOUT_SURGE_PERCENT = 25


class PodFootprint(NamedTuple):
    """What one pod asks of the scheduler and the namespace quota (CPU in millicores, memory in bytes)."""

    requests_cpu: int
    requests_memory: int
    limits_cpu: int
    limits_memory: int
    gpus: int

    def plus(self, other: PodFootprint) -> PodFootprint:
        return PodFootprint(*(a + b for a, b in zip(self, other, strict=True)))

    def times(self, count: int) -> PodFootprint:
        return PodFootprint(*(count * part for part in self))

    @classmethod
    def of(cls, *containers: Resources) -> PodFootprint:
        """A pod of `containers`; a quantity a container leaves out counts as zero, as for the scheduler."""
        def total(kind: str, resource: str, parse) -> int:
            return sum(parse(value) for container in containers
                       if (value := container.get(kind, {}).get(resource)) is not None)

        return cls(total("requests", "cpu", cpu_millis), total("requests", "memory", memory_bytes),
                   total("limits", "cpu", cpu_millis), total("limits", "memory", memory_bytes), 0)


ZERO = PodFootprint(0, 0, 0, 0, 0)
# Resources pinned on the injected Istio sidecar (via pod annotations) so the namespace quota can
# count them; without the pin the sidecar takes the mesh-wide defaults the quota cannot see.
ISTIO_PROXY = PodFootprint(requests_cpu=100, requests_memory=128 * 1024**2,
                           limits_cpu=500, limits_memory=256 * 1024**2, gpus=0)
# The egress proxy of a PCI-scoped service (k8s_charts.egress_proxy): two in different zones so one node
# or zone loss never cuts the payment path; up to four under load.
EGRESS_PROXY_RESOURCES: Resources = {"requests": {"cpu": "50m", "memory": "64Mi"},
                                     "limits": {"cpu": "500m", "memory": "256Mi"}}
EGRESS_PROXY_REPLICAS = (2, 4)


class Workload(NamedTuple):
    """Pods of one Deployment: its per-pod footprint and its autoscaling range."""

    name: str
    pod: PodFootprint
    min_replicas: int
    max_replicas: int


def rolling_update() -> dict[str, Any]:
    """The Deployment strategy every workload uses: new pods first (the surge `peak_pods` counts), none
    taken down before its replacement is ready."""
    return {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": f"{ROLLOUT_SURGE_PERCENT}%"}}


def peak_pods(max_replicas: int) -> int:
    """Pods at the autoscaling maximum during a rollout (Kubernetes rounds a percentage surge up)."""
    return max_replicas + math.ceil(max_replicas * ROLLOUT_SURGE_PERCENT / 100)


def proxy_workload(service: Service) -> Workload | None:
    """The egress proxy's pods when the service has one: PCI-scoped with somewhere to go on the internet."""
    if not (service.pci_scope and service.depends_on.external):
        return None
    return Workload(naming.egress_proxy_name(service), PodFootprint.of(EGRESS_PROXY_RESOURCES),
                    *EGRESS_PROXY_REPLICAS)


def service_workloads(service: Service, *, sidecar: bool) -> Iterable[Workload]:
    """The Deployments a service runs as: its own, and its egress proxy when it has one."""
    requests, limits = service.resources.requests, service.resources.limits
    pod = PodFootprint(requests.cpu_millis, requests.memory_bytes, limits.cpu_millis, limits.memory_bytes,
                       service.gpu.count if service.gpu.enabled else 0)
    yield Workload(service.name, pod.plus(ISTIO_PROXY) if sidecar else pod,
                   service.autoscaling.min, service.autoscaling.max)
    proxy = proxy_workload(service)
    if proxy is not None:
        yield proxy._replace(pod=proxy.pod.plus(ISTIO_PROXY) if sidecar else proxy.pod)
