"""The capacity page: what an environment's pods ask of its node groups and what those hold (catalog.capacity,
enforced by catalog.rules.capacity), and each workload namespace's ResourceQuota against its services' peak."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

from catalog import Catalog, Environment
from catalog.capacity import Amount, Placement, plan
from catalog.fields import cpu_millis, memory_bytes
from catalog.footprint import PodFootprint
from catalog.platform_pods import NODE_DAEMONS, platform_workloads
from catalog.rules.capacity import HEADROOM_PERCENT, RESOURCES, headroom, pools_named, shown
from k8s_charts.namespaces import resource_quota

__all__ = ["QuotaRow", "page", "quota_rows"]

# ResourceQuota keys, in the order of RESOURCES, and how each reads.
QUOTA_KEYS: tuple[tuple[str, Callable[[str], int]], ...] = (
    ("requests.cpu", cpu_millis), ("requests.memory", memory_bytes), ("pods", int), ("requests.nvidia.com/gpu", int))


def _row(label: str, amount: Amount, *, up: bool) -> str:
    return f"| {label} | " + " | ".join(shown(getattr(amount, r.field), r, up=up) for r in RESOURCES) + " |"


def _headroom(label: str, demand: Amount, supply: Amount) -> str:
    cells = []
    for resource in RESOURCES:
        left = headroom(getattr(demand, resource.field), getattr(supply, resource.field))
        cells.append("-" if left is None else f"{math.floor(left)}%")
    return f"| {label} | " + " | ".join(cells) + " |"


def _node(amount: Amount) -> str:
    return ", ".join(f"{shown(getattr(amount, r.field), r)} {r.unit}" for r in RESOURCES
                     if r.field != "gpus" or amount.gpus)


def _placement(placement: Placement) -> list[str]:
    counts = {size: placement.nodes(size) for size in ("desired", "max")}
    sizes = {size: f"{size} size ({count} node{'' if count == 1 else 's'})" for size, count in counts.items()}
    nodes = [f"- {pool.name} ({', '.join(pool.group.instance_types)}; min {pool.group.min}, desired "
             f"{pool.group.desired}, max {pool.group.max}): {_node(pool.node)} per node"
             for pool in placement.pools if pool.node]
    return [
        f"## {pools_named(placement).capitalize()}",
        "",
        "Allocatable per node, of the pool's smallest instance type:",
        "",
        *nodes,
        "",
        "| | " + " | ".join(f"{r.name}" for r in RESOURCES) + " |",
        "|---|" + "---:|" * len(RESOURCES),
        _row("services at the HPA minimum, during a rollout", placement.services["desired"], up=True),
        _row("services at the HPA maximum, during a rollout", placement.services["max"], up=True),
        _row("add-ons and EKS components", placement.platform, up=True),
        _row("DaemonSets, per node", placement.per_node, up=True),
        _row(f"DaemonSets at {sizes['desired']}", placement.daemons("desired"), up=True),
        _row(f"DaemonSets at {sizes['max']}", placement.daemons("max"), up=True),
        _row("**demand at the HPA minimum**", placement.demand("desired"), up=True),
        _row("**demand at the HPA maximum**", placement.demand("max"), up=True),
        _row(f"supply at {sizes['desired']}", placement.supply("desired"), up=False),
        _row(f"supply at {sizes['max']}", placement.supply("max"), up=False),
        _headroom("**headroom at the HPA minimum, desired size**", placement.demand("desired"),
                  placement.supply("desired")),
        _headroom("**headroom at the HPA maximum, max size**", placement.demand("max"), placement.supply("max")),
        "",
    ]


class QuotaRow(NamedTuple):
    """A workload namespace's ResourceQuota (`quota`, in RESOURCES order) and the peak of its services."""

    namespace: str
    quota: tuple[int, ...]
    peak: Amount

    @property
    def short(self) -> list[str]:
        """The resources whose quota would stop the autoscalers before their maximum."""
        return [resource.name for resource, granted in zip(RESOURCES, self.quota, strict=True)
                if granted < getattr(self.peak, resource.field)]


def quota_rows(env: Environment) -> list[QuotaRow]:
    """Each workload namespace's quota as k8s_charts.namespaces renders it, against the peak catalog.capacity
    counts for its services (HPA maximum during a rollout)."""
    rows = []
    for namespace, peak in plan(env).namespaces.items():
        services = [service for service in env.services.values() if service.namespace == namespace]
        hard = resource_quota(namespace=namespace, services=services, sidecar=env.istio_injection,
                              labels={})["spec"]["hard"]
        rows.append(QuotaRow(namespace, tuple(parse(hard[key]) for key, parse in QUOTA_KEYS), peak))
    return rows


def _quotas(env: Environment) -> list[str]:
    lines = ["## Namespace quotas", "",
             "Each workload namespace's ResourceQuota (quota / peak of its services at the HPA maximum during a "
             "rollout); a quota below its peak would stop the autoscalers short of their maximum.", "",
             "| namespace | " + " | ".join(r.name for r in RESOURCES) + " | admits the peak |",
             "|---|" + "---:|" * len(RESOURCES) + "---|"]
    for row in quota_rows(env):
        cells = [f"{shown(granted, r, up=True)} / {shown(getattr(row.peak, r.field), r, up=True)}"
                 for r, granted in zip(RESOURCES, row.quota, strict=True)]
        verdict = f"no: {', '.join(row.short)}" if row.short else "yes"
        lines.append(f"| {row.namespace} | " + " | ".join(cells) + f" | {verdict} |")
    return [*lines, ""]


def _requests(pod: PodFootprint) -> str:
    return f"{pod.requests_cpu}m | {math.ceil(pod.requests_memory / 1024**2)}Mi"


def _platform(env: Environment) -> list[str]:
    lines = ["## Platform pods", "",
             "What each add-on and EKS pod requests (catalog/platform_pods.py, all containers), and the "
             "DaemonSets on the nodes.", "",
             "| workload | pods | CPU | memory |", "|---|---:|---:|---:|"]
    lines += [f"| {workload.name} | {workload.max_replicas} | {_requests(workload.pod)} |"
              for workload in platform_workloads(env)]
    lines += [f"| {daemon.name} (DaemonSet) | {'every node' if daemon.tainted_pools else 'general and spot nodes'} "
              f"| {_requests(PodFootprint.of(*daemon.containers))} |" for daemon in NODE_DAEMONS]
    return [*lines, ""]


def page(catalog: Catalog, env: Environment) -> str:
    capacity = plan(env)
    lines = [
        f"# Capacity: {env.name}",
        "",
        "What the pods ask of the node groups (requests) and what the node groups hold (allocatable), per "
        "placement: PCI-scoped pods run on the pci pool only, GPU pods on the gpu pool only, everything else "
        "on the general and spot pools. Services are counted during a rollout (25% surge) at their HPA "
        "minimum and maximum; the minimum is set against the pools' desired size, the maximum against their "
        f"max size. A shortfall refuses the catalog (exit 2); below {HEADROOM_PERCENT}% headroom, `main.py synth` "
        "and `validate` warn. How it is counted: README.md, \"Capacity\". CPU in cores, memory in GiB; demand "
        "rounded up, supply down.",
        "",
    ]
    for placement in capacity.placements:
        if placement.pools and placement.known:
            lines += _placement(placement)
    lines += _quotas(env) + _platform(env)
    return "\n".join(lines)
