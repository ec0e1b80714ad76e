"""Rules about an environment's cluster and data stores: production guards, node pools, instance classes,
and a Kubernetes version EKS supports (the calendar check is the only rule that takes a date)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from catalog.eks_support import EKS_VERSIONS, WARN_DAYS
from catalog.models import Catalog, Environment
from catalog.rules.finding import Finding

__all__ = ["kubernetes_offered", "kubernetes_support", "node_pools", "production"]


def production(env: Environment) -> Iterator[Finding]:
    if not env.production:
        return
    at = ("environments", env.name)
    if env.cluster_public_endpoint:
        yield Finding((*at, "cluster_public_endpoint"), "a production cluster API must not be public")
    if not env.postgres.multi_az:
        yield Finding((*at, "postgres", "multi_az"), "production databases must be multi-AZ")
    if not env.postgres.deletion_protection:
        yield Finding((*at, "postgres", "deletion_protection"), "production databases need deletion protection")
    if not env.edge.deletion_protection:
        yield Finding((*at, "edge", "deletion_protection"), "a production load balancer needs deletion protection")
    if env.redis.num_cache_clusters < 2:
        yield Finding((*at, "redis", "num_cache_clusters"), "production Redis needs a replica for failover")


def kubernetes_offered(env: Environment) -> Iterator[Finding]:
    """Clock-free: the version must be one the support calendar knows (EKS offers it, with known dates)."""
    if env.kubernetes_version not in EKS_VERSIONS:
        yield Finding(("environments", env.name, "kubernetes_version"),
                      f"{env.kubernetes_version} is not in the EKS support calendar (catalog/eks_support.py; "
                      f"known: {', '.join(EKS_VERSIONS)})")


def kubernetes_support(catalog: Catalog, today: date) -> tuple[list[Finding], list[Finding]]:
    """(errors, warnings) for each environment's Kubernetes version on `today`.

    Past the end of extended support EKS no longer offers the version: an error. In extended support
    (extra cost per cluster hour), or within WARN_DAYS of leaving standard support: a warning. Only
    `validate` and CI call this, with today's date; synth never reads the clock.
    """
    errors: list[Finding] = []
    warnings: list[Finding] = []
    for env in catalog.environments.values():
        at = ("environments", env.name, "kubernetes_version")
        window = EKS_VERSIONS.get(env.kubernetes_version)
        version = env.kubernetes_version
        if window is None:
            errors.append(Finding(at, f"{version} is not in the EKS support calendar"))
        elif today > window.end_of_extended:
            errors.append(Finding(at, f"EKS ended extended support for {version} on {window.end_of_extended}; "
                                      "a cluster at this version cannot be created or kept"))
        elif today > window.end_of_standard:
            warnings.append(Finding(at, f"{version} left standard support on {window.end_of_standard} and is in "
                                        f"extended support (extra cost) until {window.end_of_extended}; upgrade"))
        elif (window.end_of_standard - today).days <= WARN_DAYS:
            warnings.append(Finding(at, f"{version} leaves standard support on {window.end_of_standard}, in "
                                        f"{(window.end_of_standard - today).days} days; plan the upgrade"))
    return errors, warnings


# x86 NVIDIA families the EKS AL2023 NVIDIA AMI runs on.
NVIDIA_X86 = re.compile(r"^(g4dn|g5|g6|g6e|gr6|p3|p3dn|p4d|p4de|p5|p5e|p5en)\.")
GRAVITON = re.compile(r"^[a-z]+[0-9]+g[a-z]*\.")
NO_PERFORMANCE_INSIGHTS = re.compile(r"^db\.t[34]g?\.(micro|small)$")


def node_pools(env: Environment) -> Iterator[Finding]:
    """Pools the add-ons can run on, spot diversity, and AMIs that fit the instance types."""
    at = ("environments", env.name)
    groups = env.node_groups
    if groups.general.min < 1:
        yield Finding((*at, "node_groups", "general", "min"),
                      "needs at least one node: CoreDNS and the add-ons run on the general pool")
    if groups.spot.max > 0 and len(set(groups.spot.instance_types)) < 2:
        yield Finding((*at, "node_groups", "spot", "instance_types"),
                      "spot capacity needs at least two instance types to survive interruptions")
    for pool in ("general", "spot", "pci"):
        for index, kind in enumerate(getattr(groups, pool).instance_types if getattr(groups, pool) else ()):
            if GRAVITON.match(kind):
                yield Finding((*at, "node_groups", pool, "instance_types", str(index)),
                              f"{kind!r} is an ARM (Graviton) type; the {pool} pool runs x86-64 AMIs")
    for index, kind in enumerate(groups.gpu.instance_types):
        if not NVIDIA_X86.match(kind):
            yield Finding((*at, "node_groups", "gpu", "instance_types", str(index)),
                          f"{kind!r} has no NVIDIA GPU supported by the EKS NVIDIA AMI")

    if NO_PERFORMANCE_INSIGHTS.match(env.postgres.instance_class):
        yield Finding((*at, "postgres", "instance_class"),
                      f"{env.postgres.instance_class} does not support Performance Insights; use medium or larger")
