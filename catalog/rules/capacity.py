"""Whether an environment's pods fit its node groups (the figures come from catalog.capacity).

Refused, per placement (general and spot pools, pci pool, gpu pool) and resource (CPU, memory, pods, GPUs):
- an instance type missing from the instance table (its capacity cannot be counted);
- a pod no node can hold, after the node's own DaemonSets;
- the pods at the HPA maximum, beyond what the pools hold at their maximum size;
- the pods at the HPA minimum, beyond what the pools hold at their desired size.
Warned (`low_headroom`, printed by synth and validate, never a failure): less than HEADROOM_PERCENT of a
resource left in either comparison.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import NamedTuple

from catalog import naming
from catalog.capacity import SIZES, Amount, Placement, Size, plan
from catalog.instance_types import INSTANCE_TYPES
from catalog.models import Catalog, Environment
from catalog.rules.finding import Finding

__all__ = ["HEADROOM_PERCENT", "RESOURCES", "capacity", "headroom", "low_headroom", "pools_named", "shown"]

HEADROOM_PERCENT = 20


class Resource(NamedTuple):
    """How a field of catalog.capacity.Amount reads: its name, the unit after a number, what one unit is in
    the field, and the decimals shown."""

    field: str
    name: str
    unit: str
    scale: int
    decimals: int


RESOURCES = (Resource("cpu_millis", "CPU", "CPU", 1000, 1),
             Resource("memory_bytes", "memory", "GiB memory", 1024**3, 1),
             Resource("pods", "pods", "pods", 1, 0),
             Resource("gpus", "GPUs", "GPUs", 1, 0))
BOUND = {"max": "peak", "desired": "the HPA minimum"}


def shown(value: int, resource: Resource, *, up: bool = False) -> str:
    """A quantity in its unit, rounded up (demand) or down (supply), so a shortfall never reads as zero."""
    steps = value / resource.scale * 10**resource.decimals
    return f"{(math.ceil(steps) if up else math.floor(steps)) / 10**resource.decimals:.{resource.decimals}f}"


def pools_named(placement: Placement) -> str:
    names = [pool.name for pool in placement.pools]
    return f"the {' and '.join(names)} pool{'s' if len(names) > 1 else ''}"


def _hold(placement: Placement) -> str:
    return "hold" if len(placement.pools) > 1 else "holds"


def headroom(demand: int, supply: int) -> float | None:
    """The share of `supply` left after `demand`, in percent; None when nothing is supplied."""
    return (supply - demand) * 100 / supply if supply else None


def _checked(placement: Placement) -> tuple[Resource, ...]:
    """GPUs count on the gpu pool alone: a GPU asked for elsewhere is catalog.rules.services.pci_scope's to refuse."""
    return RESOURCES if placement.name == naming.GPU_NODE_POOL else tuple(r for r in RESOURCES if r.field != "gpus")


def _listed(amount: Amount) -> str:
    """What `amount` asks beside pod slots, e.g. `1.0 CPU, 2.5 GiB memory`, rounded up."""
    return ", ".join(f"{shown(getattr(amount, r.field), r, up=True)} {r.unit}" for r in RESOURCES
                     if r.field != "pods" and getattr(amount, r.field))


def _at(env: Environment, placement: Placement, *field: str) -> tuple[str, ...]:
    return ("environments", env.name, "node_groups", placement.pools[0].name, *field)


def _unknown_types(env: Environment, placement: Placement) -> Iterator[Finding]:
    for pool in placement.pools:
        for index, kind in enumerate(pool.group.instance_types):
            if kind not in INSTANCE_TYPES:
                yield Finding(("environments", env.name, "node_groups", pool.name, "instance_types", str(index)),
                              f"{kind!r} is not in the instance table (catalog/instance_types.py), so its "
                              "capacity cannot be counted: add its vCPUs, memory, network interfaces and IPv4 "
                              "addresses per interface from the EC2 documentation")


def _oversized_pods(env: Environment, placement: Placement) -> Iterator[Finding]:
    """Pods no single node of the placement can hold next to its DaemonSets."""
    room = [pool.node.plus(placement.per_node.times(-1)) for pool in placement.pools if pool.node]
    for name, pod in placement.pods:
        if any(all(getattr(pod, r.field) <= getattr(node, r.field) for r in _checked(placement)) for node in room):
            continue
        best = max(room, key=lambda node: node.memory_bytes)
        left = ", ".join(f"{shown(getattr(best, r.field), r)} {r.unit}" for r in RESOURCES[:2])
        yield Finding(_at(env, placement, "instance_types"),
                      f"each {name} pod asks {_listed(pod)}; no node of {pools_named(placement)} holds it "
                      f"(at most {left} left next to the node's DaemonSets)")


def _shortfalls(env: Environment, placement: Placement, size: Size) -> Iterator[Finding]:
    demand, supply = placement.demand(size), placement.supply(size)
    if demand.pods and not placement.nodes(size):
        yield Finding(_at(env, placement, size),
                      f"{BOUND[size]} needs {demand.pods} pods ({_listed(demand)}) on {pools_named(placement)}, which "
                      f"{'have' if len(placement.pools) > 1 else 'has'} no node at {size} size")
        return
    for resource in _checked(placement):
        need, have = getattr(demand, resource.field), getattr(supply, resource.field)
        if need > have:
            needs, holds = shown(need, resource, up=True), shown(have, resource)
            short = f"{float(needs) - float(holds):.{resource.decimals}f}"
            yield Finding(_at(env, placement, size),
                          f"{BOUND[size]} needs {needs} {resource.unit}, {pools_named(placement)} "
                          f"{_hold(placement)} {holds} at {size} size (short {short})")


def capacity(env: Environment) -> Iterator[Finding]:
    """Every instance type counted, every pod placeable, and both bounds within the pools' sizes."""
    for placement in plan(env).placements:
        if not placement.pools:  # a PCI service without a pci pool is catalog.rules.services.pci_scope's to report
            continue
        unknown = list(_unknown_types(env, placement))
        yield from unknown
        if unknown:
            continue
        yield from _oversized_pods(env, placement)
        for size in SIZES:
            yield from _shortfalls(env, placement, size)


def low_headroom(catalog: Catalog, env_names: list[str] | None = None) -> list[Finding]:
    """One warning per placement and size where a resource fits with less than HEADROOM_PERCENT to spare."""
    found = []
    for env in catalog.environments.values():
        if env_names is not None and env.name not in env_names:
            continue
        for placement in plan(env).placements:
            if not placement.pools or not placement.known:
                continue
            for size in SIZES:
                demand, supply = placement.demand(size), placement.supply(size)
                low = [f"{r.name} {math.floor(left)}%"
                       for r in _checked(placement)
                       if (left := headroom(getattr(demand, r.field), getattr(supply, r.field))) is not None
                       and 0 <= left < HEADROOM_PERCENT]
                if low:
                    found.append(Finding(_at(env, placement, size),
                                         f"headroom for {BOUND[size]} on {pools_named(placement)} at "
                                         f"{size} size: {', '.join(low)} (below {HEADROOM_PERCENT}%)"))
    return found
