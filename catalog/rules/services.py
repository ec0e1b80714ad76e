"""Rules about services: namespaces, ports, dependencies, disruption budgets, the one public service."""

from __future__ import annotations

from collections.abc import Iterator

from catalog import naming
from catalog.graph import DependencyError, depths
from catalog.models import Catalog, Environment, Service
from catalog.rules.finding import FieldPath, Finding

__all__ = ["dependency_order", "namespaces", "pci_scope", "public_service", "services"]


def services(catalog: Catalog, env: Environment) -> Iterator[Finding]:
    """Each service's namespace, port, dependencies and disruption budget; then the dependency graph."""
    ports: dict[tuple[str, int], str] = {}
    for service in env.services.values():
        for path, message in (*_namespace(catalog, service), *_port(service, ports), *_dependencies(env, service),
                              *_scheduling(env, service)):
            yield Finding(("services", service.name, *path), message, env.name)
    try:
        dependency_order(env)
    except DependencyError as error:
        yield Finding(("services", error.cycle[0], "depends_on", "services"), str(error), env.name)


Issue = tuple[FieldPath, str]


def _namespace(catalog: Catalog, service: Service) -> Iterator[Issue]:
    namespace = catalog.namespaces.get(service.namespace)
    if service.namespace in naming.RESERVED_NAMESPACES:
        yield ("namespace",), f"namespace {service.namespace!r} belongs to Kubernetes or Argo CD"
    elif namespace is None:
        yield ("namespace",), (f"unknown namespace {service.namespace!r}; "
                               f"declared: {', '.join(sorted(catalog.namespaces))}")
    elif not namespace.workloads:
        yield ("namespace",), f"namespace {service.namespace!r} is not for workloads"


def _port(service: Service, ports: dict[tuple[str, int], str]) -> Iterator[Issue]:
    owner = ports.setdefault((service.namespace, service.port), service.name)
    if owner != service.name:
        yield ("port",), f"port {service.port} is already used by {owner!r} in namespace {service.namespace!r}"


def _dependencies(env: Environment, service: Service) -> Iterator[Issue]:
    for dependency in service.depends_on.services:
        if dependency == service.name:
            yield ("depends_on", "services"), "a service cannot depend on itself"
        elif dependency not in env.services:
            yield ("depends_on", "services"), f"unknown service {dependency!r}"


def _scheduling(env: Environment, service: Service) -> Iterator[Issue]:
    scaling, budget = service.autoscaling, service.disruption_budget
    if budget.allowed_disruptions(scaling.min) < 1:
        yield ("disruption_budget",), (f"allows no disruption at the autoscaling minimum of {scaling.min} "
                                       "replicas, so node drains would hang")
    if service.gpu.enabled and env.node_groups.gpu.max < 1:
        yield ("gpu", "enabled"), "GPU scheduling needs a gpu node group with max >= 1"


def dependency_order(env: Environment) -> dict[str, int]:
    """Depth of each service among its dependencies: 0 depends on nothing, depth n syncs after n-1.

    Unknown and self dependencies are reported on their own (above), so they are left out here.
    """
    return depths({
        name: tuple(d for d in service.depends_on.services if d in env.services and d != name)
        for name, service in env.services.items()
    })


def pci_scope(env: Environment) -> Iterator[Finding]:
    """What the platform gives a PCI-scoped service, and what it refuses to give it.

    Given: on-demand nodes of its own (the `pci` node group, tainted so nothing else lands there),
    and internet egress only through a proxy that allows its declared hosts by name. Refused: GPU
    nodes (outside the cardholder-data environment) and the shared Redis (one keyspace for every
    client would pull them all into scope).
    """
    scoped = [service for service in env.services.values() if service.pci_scope]
    pool = env.node_groups.pci
    if scoped and (pool is None or pool.min < 1):
        yield Finding(("environments", env.name, "node_groups", "pci"),
                      f"{', '.join(s.name for s in scoped)} {'is' if len(scoped) == 1 else 'are'} PCI-scoped: "
                      "give the cardholder-data environment a pci node group with min >= 1")
    for service in scoped:
        if service.gpu.enabled:
            yield Finding(("services", service.name, "gpu", "enabled"),
                          "a PCI-scoped service runs on the pci node group only, which has no GPUs", env.name)
        if service.depends_on.redis:
            yield Finding(("services", service.name, "depends_on", "redis"),
                          "a PCI-scoped service may not share the Redis keyspace of every other client", env.name)


def public_service(env: Environment) -> Iterator[Finding]:
    """The environment's one Ingress (api.<domain>) routes to exactly one service."""
    public = sorted(service.name for service in env.services.values() if service.public)
    if not public:
        yield Finding(("services",), f"no service is public in {env.name}; exactly one must be, to serve its API")
    for name in public[1:]:
        yield Finding(("services", name, "public"), f"only one service may be public; {public[0]!r} is too",
                      env.name)


def namespaces(catalog: Catalog) -> Iterator[Finding]:
    """Namespaces the platform or Argo CD owns, and workload namespaces whose AppProject would clash."""
    addons = {namespace: ", ".join(addon for addon, home in naming.ADDON_NAMESPACES.items() if home == namespace)
              for namespace in naming.ADDON_NAMESPACES.values()}
    for name, namespace in catalog.namespaces.items():
        at = ("namespaces", name)
        if name in naming.RESERVED_NAMESPACES:
            yield Finding(at, f"{name!r} belongs to Kubernetes or Argo CD; the catalog must not manage it")
        elif namespace.workloads and name in addons:
            yield Finding((*at, "workloads"), f"{name!r} is where add-ons run ({addons[name]}); "
                          "services need namespaces of their own")
        elif namespace.workloads and name in (naming.DEFAULT_PROJECT, naming.SYSTEM_PROJECT):
            yield Finding(at, f"a workload namespace gets an Argo CD project of its name, and {name!r} is taken")
