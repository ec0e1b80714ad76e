"""Rules that span several catalog entries. Each rule yields every violation, never just the first.

One module per concern: services, network, environment (cluster, data stores, Kubernetes support),
backup, names, metrics and capacity; `check` runs them all.
"""

from __future__ import annotations

from catalog.models import Catalog
from catalog.rules import backup, capacity, environment, metrics, names, network, services
from catalog.rules.capacity import low_headroom
from catalog.rules.environment import kubernetes_support
from catalog.rules.finding import FieldPath, Finding
from catalog.rules.services import dependency_order

__all__ = ["FieldPath", "Finding", "check", "dependency_order", "kubernetes_support", "low_headroom"]


def check(catalog: Catalog) -> list[Finding]:
    findings: list[Finding] = []
    for env in catalog.environments.values():
        findings += services.services(catalog, env)
        findings += services.public_service(env)
        findings += services.pci_scope(env)
        findings += network.zones(env)
        findings += network.subnets(env)
        findings += network.vpc(env)
        findings += network.public_endpoint(env)
        findings += environment.production(env)
        findings += environment.node_pools(env)
        findings += environment.kubernetes_offered(env)
        findings += backup.production_copy(env)
        findings += backup.copy_region(env)
        findings += backup.objectives(env)
        findings += backup.snapshot_quota(env)
        findings += names.kubernetes_names(env)
        findings += names.overview_dashboards(env)
        findings += metrics.business_metrics(catalog, env)
        findings += capacity.capacity(env)
    findings += services.namespaces(catalog)
    findings += names.aws_names(catalog)
    findings += network.vpc_overlaps(catalog)
    return findings
