"""What an environment's pods ask of its node groups, and what the node groups hold: the figures behind the
capacity rule (catalog.rules.capacity) and the generated capacity page (documentation.capacity).

Where pods can land (k8s_charts.scheduling): PCI-scoped services and their egress proxies on the tainted pci
pool only; GPU services on the tainted gpu pool only; every other service, every add-on and EKS's own pods on
the general and spot pools (nothing keeps them off spot). Each of these placements is counted on its own.

Demand, in requests (what the scheduler fills), per placement:
- services: each workload of catalog.footprint.service_workloads (the Istio sidecar included when injected)
  during a rollout (peak_pods), at the HPA maximum, or at the HPA minimum;
- platform: the add-on and EKS components of catalog.platform_pods, at their fixed replica counts;
- per node: the DaemonSets the placement's nodes run (catalog.platform_pods.NODE_DAEMONS), times its nodes.
Supply: each pool's nodes times one node's allocatable (catalog.instance_types), a pool of several instance
types counted as its smallest, resource by resource. The peak (HPA maximum) is set against the pools at their
maximum size, the floor (HPA minimum) against their desired size: no cluster autoscaler runs, so the desired
size is what the cluster has until someone resizes it.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from catalog import naming
from catalog.footprint import PodFootprint, Workload, peak_pods, service_workloads
from catalog.instance_types import INSTANCE_TYPES
from catalog.models import Environment, NodeGroup, Service
from catalog.platform_pods import NODE_DAEMONS, platform_workloads

__all__ = ["SIZES", "Amount", "CapacityPlan", "Placement", "Pool", "Size", "plan"]

Size = Literal["desired", "max"]
# Node group size, and the HPA bound whose pods it must hold.
SIZES: dict[Size, str] = {"max": "max", "desired": "min"}
GENERAL, PCI, GPU = "general", naming.PCI_NODE_POOL, naming.GPU_NODE_POOL


class Amount(NamedTuple):
    """Requests, or what nodes offer: CPU in millicores, memory in bytes, pod slots, GPUs."""

    cpu_millis: int = 0
    memory_bytes: int = 0
    pods: int = 0
    gpus: int = 0

    def plus(self, other: Amount) -> Amount:
        return Amount(*(a + b for a, b in zip(self, other, strict=True)))

    def times(self, count: int) -> Amount:
        return Amount(*(count * part for part in self))

    @classmethod
    def pod(cls, pod: PodFootprint) -> Amount:
        return cls(pod.requests_cpu, pod.requests_memory, 1, pod.gpus)

    @classmethod
    def total(cls, amounts) -> Amount:
        found = cls()
        for amount in amounts:
            found = found.plus(amount)
        return found


class Pool(NamedTuple):
    """One node group; `node` is one node's allocatable (its smallest type's, per resource), None while one of
    its instance types is missing from the instance table."""

    name: str
    group: NodeGroup
    node: Amount | None

    def supply(self, size: Size) -> Amount:
        return (self.node or Amount()).times(getattr(self.group, size))


class Placement(NamedTuple):
    """The pods that can land only on `pools`, and what those pools hold."""

    name: str
    pools: tuple[Pool, ...]
    services: dict[Size, Amount]
    platform: Amount
    per_node: Amount
    pods: tuple[tuple[str, Amount], ...]  # each workload's one pod, by workload name

    def nodes(self, size: Size) -> int:
        return sum(getattr(pool.group, size) for pool in self.pools)

    def daemons(self, size: Size) -> Amount:
        return self.per_node.times(self.nodes(size))

    def demand(self, size: Size) -> Amount:
        return self.services[size].plus(self.platform).plus(self.daemons(size))

    def supply(self, size: Size) -> Amount:
        return Amount.total(pool.supply(size) for pool in self.pools)

    @property
    def known(self) -> bool:
        """Every pool's instance types are in the table, so supply can be counted."""
        return all(pool.node is not None for pool in self.pools)


class CapacityPlan(NamedTuple):
    """An environment's placements, and each workload namespace's peak (what its ResourceQuota must admit)."""

    placements: tuple[Placement, ...]
    namespaces: dict[str, Amount]


def _node(kinds: tuple[str, ...]) -> Amount | None:
    types = [INSTANCE_TYPES.get(kind) for kind in kinds]
    if None in types:
        return None
    return Amount(min(t.allocatable_cpu_millis for t in types), min(t.allocatable_memory_bytes for t in types),
                  min(t.max_pods for t in types), min(t.gpus for t in types))


def _placement_of(service: Service) -> str:
    """As k8s_charts.scheduling places it (the catalog refuses a service both PCI-scoped and GPU)."""
    return PCI if service.pci_scope else GPU if service.gpu.enabled else GENERAL


def _running(workload: Workload, size: Size) -> Amount:
    """A workload's pods during a rollout at the HPA bound that goes with `size`."""
    replicas = workload.max_replicas if SIZES[size] == "max" else workload.min_replicas
    return Amount.pod(workload.pod).times(peak_pods(replicas))


def plan(env: Environment) -> CapacityPlan:
    """Demand and supply of every placement of `env`, and its namespaces' peaks; cheap enough to run on every
    catalog load (a few milliseconds per environment)."""
    groups = env.node_groups
    by_placement: dict[str, list[Workload]] = {GENERAL: [], PCI: [], GPU: []}
    namespaces: dict[str, Amount] = {}
    for service in env.services.values():
        for workload in service_workloads(service, sidecar=env.istio_injection):
            by_placement[_placement_of(service)].append(workload)
            namespaces[service.namespace] = namespaces.get(service.namespace, Amount()).plus(_running(workload, "max"))
    pools = {GENERAL: (GENERAL, "spot"), PCI: (PCI,) if groups.pci else (), GPU: (GPU,)}
    platform = platform_workloads(env)
    placements = []
    for name, workloads in by_placement.items():
        fixed = platform if name == GENERAL else []
        daemons = [daemon for daemon in NODE_DAEMONS if name == GENERAL or daemon.tainted_pools]
        placements.append(Placement(
            name=name,
            pools=tuple(Pool(pool, getattr(groups, pool), _node(getattr(groups, pool).instance_types))
                        for pool in pools[name]),
            services={size: Amount.total(_running(workload, size) for workload in workloads) for size in SIZES},
            platform=Amount.total(Amount.pod(workload.pod).times(workload.max_replicas) for workload in fixed),
            per_node=Amount.total(Amount.pod(PodFootprint.of(*daemon.containers)) for daemon in daemons),
            pods=tuple((workload.name, Amount.pod(workload.pod)) for workload in (*workloads, *fixed)),
        ))
    return CapacityPlan(tuple(placements), dict(sorted(namespaces.items())))
