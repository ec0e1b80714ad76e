"""Rules that span several catalog entries. Each rule yields every violation, never just the first."""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from catalog.eks_support import EKS_VERSIONS, WARN_DAYS
from catalog.graph import DependencyError, depths
from catalog.models import Environment

if TYPE_CHECKING:
    from catalog.loader import Catalog

__all__ = ["Finding", "check", "dependency_order", "kubernetes_support"]


class Finding(NamedTuple):
    """A violation at a catalog path; `env` is set when the path is a service resolved for that env."""

    path: tuple[str, ...]
    message: str
    env: str | None = None


def check(catalog: Catalog) -> list[Finding]:
    findings: list[Finding] = []
    for env in catalog.environments.values():
        findings += _services(catalog, env)
        findings += _zones(env)
        findings += _production(env)
        findings += _aws(env)
        findings += _kubernetes_offered(env)
    findings += _vpc_overlaps(catalog)
    return findings


def _services(catalog: Catalog, env: Environment) -> Iterator[Finding]:
    ports: dict[tuple[str, int], str] = {}
    for service in env.services.values():
        at = ("services", service.name)
        namespace = catalog.namespaces.get(service.namespace)
        if namespace is None:
            yield Finding((*at, "namespace"), f"unknown namespace {service.namespace!r}; "
                          f"declared: {', '.join(sorted(catalog.namespaces))}", env.name)
        elif not namespace.workloads:
            yield Finding((*at, "namespace"), f"namespace {service.namespace!r} is not for workloads", env.name)
        owner = ports.setdefault((service.namespace, service.port), service.name)
        if owner != service.name:
            yield Finding((*at, "port"), f"port {service.port} is already used by {owner!r} "
                          f"in namespace {service.namespace!r}", env.name)
        for dependency in service.depends_on.services:
            if dependency == service.name:
                yield Finding((*at, "depends_on", "services"), "a service cannot depend on itself", env.name)
            elif dependency not in env.services:
                yield Finding((*at, "depends_on", "services"), f"unknown service {dependency!r}", env.name)
        scaling, budget = service.autoscaling, service.disruption_budget
        if budget.allowed_disruptions(scaling.min) < 1:
            yield Finding((*at, "disruption_budget"), f"allows no disruption at the autoscaling minimum of "
                          f"{scaling.min} replicas, so node drains would hang", env.name)
        if service.gpu.enabled and env.node_groups.gpu.max < 1:
            yield Finding((*at, "gpu", "enabled"), "GPU scheduling needs a gpu node group with max >= 1", env.name)
    try:
        dependency_order(env)
    except DependencyError as error:
        yield Finding(("services", error.cycle[0], "depends_on", "services"), str(error), env.name)


def dependency_order(env: Environment) -> dict[str, int]:
    """Depth of each service among its dependencies: 0 depends on nothing, depth n syncs after n-1.

    Unknown and self dependencies are reported on their own (above), so they are left out here.
    """
    return depths({
        name: tuple(d for d in service.depends_on.services if d in env.services and d != name)
        for name, service in env.services.items()
    })


def _zones(env: Environment) -> Iterator[Finding]:
    at = ("environments", env.name, "availability_zones")
    for index, zone in enumerate(env.availability_zones):
        suffix = zone.removeprefix(env.region)
        if zone == suffix or len(suffix) != 1 or not suffix.isalpha():
            yield Finding((*at, str(index)), f"zone {zone!r} is not in region {env.region!r}")
    if len(set(env.availability_zones)) != len(env.availability_zones):
        yield Finding(at, "zones must not repeat")
    multi_az_wanted = {
        "postgres.multi_az": env.postgres.multi_az,
        "redis.num_cache_clusters > 1": env.redis.num_cache_clusters > 1,
        "nat_gateways: per_az": env.nat_gateways == "per_az",
    }
    for reason, wanted in multi_az_wanted.items():
        if wanted and len(set(env.availability_zones)) < 2:
            yield Finding(at, f"{reason} needs at least two availability zones")
    if env.redis.num_cache_clusters > len(env.availability_zones) and env.redis.num_cache_clusters > 1:
        yield Finding(("environments", env.name, "redis", "num_cache_clusters"),
                      f"{env.redis.num_cache_clusters} nodes cannot spread over "
                      f"{len(env.availability_zones)} zones")


def _production(env: Environment) -> Iterator[Finding]:
    if not env.production:
        return
    at = ("environments", env.name)
    if env.cluster_public_endpoint:
        yield Finding((*at, "cluster_public_endpoint"), "a production cluster API must not be public")
    if not env.postgres.multi_az:
        yield Finding((*at, "postgres", "multi_az"), "production databases must be multi-AZ")
    if not env.postgres.deletion_protection:
        yield Finding((*at, "postgres", "deletion_protection"), "production databases need deletion protection")
    if env.redis.num_cache_clusters < 2:
        yield Finding((*at, "redis", "num_cache_clusters"), "production Redis needs a replica for failover")


def _kubernetes_offered(env: Environment) -> Iterator[Finding]:
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


def _vpc_overlaps(catalog: Catalog) -> Iterator[Finding]:
    """Environments may be peered or share a transit gateway later, so their VPCs must not overlap."""
    for first, second in itertools.combinations(catalog.environments.values(), 2):
        if ipaddress.IPv4Network(first.vpc_cidr).overlaps(ipaddress.IPv4Network(second.vpc_cidr)):
            yield Finding(("environments", second.name, "vpc_cidr"),
                          f"{second.vpc_cidr} overlaps {first.name}'s {first.vpc_cidr}")


# --- AWS side (infra_stacks): what AWS would reject at apply time, or what we refuse to build ---

PRIVATE_RANGES = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
# x86 NVIDIA families the EKS AL2023 NVIDIA AMI runs on.
NVIDIA_X86 = re.compile(r"^(g4dn|g5|g6|g6e|gr6|p3|p3dn|p4d|p4de|p5|p5e|p5en)\.")
GRAVITON = re.compile(r"^[a-z]+[0-9]+g[a-z]*\.")
NO_PERFORMANCE_INSIGHTS = re.compile(r"^db\.t[34]g?\.(micro|small)$")
LIMITS = {"IAM role name": 64, "S3 bucket name": 63, "ElastiCache id": 40}


def _aws(env: Environment) -> Iterator[Finding]:
    from catalog import naming  # naming imports models only; late import keeps rules importable first

    at = ("environments", env.name)
    vpc = ipaddress.IPv4Network(env.vpc_cidr)
    if not any(vpc.subnet_of(private) for private in PRIVATE_RANGES):
        yield Finding((*at, "vpc_cidr"), f"{env.vpc_cidr} is not private address space (RFC 1918)")

    if env.cluster_public_endpoint and not env.cluster_public_access_cidrs:
        yield Finding((*at, "cluster_public_access_cidrs"),
                      "a public cluster endpoint needs the source ranges allowed to reach it")
    if env.cluster_public_access_cidrs and not env.cluster_public_endpoint:
        yield Finding((*at, "cluster_public_access_cidrs"), "set, but cluster_public_endpoint is false")
    for index, cidr in enumerate(env.cluster_public_access_cidrs):
        if ipaddress.IPv4Network(cidr).prefixlen == 0:
            yield Finding((*at, "cluster_public_access_cidrs", str(index)),
                          f"{cidr} opens the cluster API to the whole internet")

    groups = env.node_groups
    if groups.general.min < 1:
        yield Finding((*at, "node_groups", "general", "min"),
                      "needs at least one node: CoreDNS and the add-ons run on the general pool")
    if groups.spot.max > 0 and len(set(groups.spot.instance_types)) < 2:
        yield Finding((*at, "node_groups", "spot", "instance_types"),
                      "spot capacity needs at least two instance types to survive interruptions")
    for pool in ("general", "spot"):
        for index, kind in enumerate(getattr(groups, pool).instance_types):
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

    names = [("IAM role name", naming.addon_role_name(env, addon)) for addon in naming.ADDON_SERVICE_ACCOUNTS]
    names += [("IAM role name", f"{env.project}-{env.name}-svc-{service}") for service in env.services]
    names += [("S3 bucket name", naming.bucket_name(env, purpose)) for purpose in ("loki", "tempo", "tfstate")]
    names += [("ElastiCache id", f"{naming.stack_name(env)}-redis")]
    names += [("ElastiCache id", naming.redis_user(env, s)) for s in env.services.values() if s.depends_on.redis]
    for kind, name in names:
        if len(name) > LIMITS[kind]:
            yield Finding(at, f"{kind} {name!r} is longer than {LIMITS[kind]} characters; "
                              "shorten the project, environment or service name")
