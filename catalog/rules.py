"""Rules that span several catalog entries. Each rule yields every violation, never just the first."""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from catalog import naming
from catalog.eks_support import EKS_VERSIONS, WARN_DAYS
from catalog.graph import DependencyError, depths
from catalog.models import Environment, shown
from catalog.regions import ZONE_LETTERS

if TYPE_CHECKING:
    from catalog.loader import Catalog

__all__ = ["Finding", "check", "dependency_order", "kubernetes_support"]

FieldPath = tuple[str, ...]


class Finding(NamedTuple):
    """A violation at a catalog path; `env` is set when the path is a service resolved for that env."""

    path: FieldPath
    message: str
    env: str | None = None


def check(catalog: Catalog) -> list[Finding]:
    findings: list[Finding] = []
    for env in catalog.environments.values():
        findings += _services(catalog, env)
        findings += _public_service(env)
        findings += _zones(env)
        findings += _subnets(env)
        findings += _production(env)
        findings += _aws(env)
        findings += _kubernetes_offered(env)
        findings += _kubernetes_names(env)
    findings += _namespaces(catalog)
    findings += _aws_names(catalog)
    findings += _vpc_overlaps(catalog)
    return findings


def _services(catalog: Catalog, env: Environment) -> Iterator[Finding]:
    ports: dict[tuple[str, int], str] = {}
    for service in env.services.values():
        at = ("services", service.name)
        namespace = catalog.namespaces.get(service.namespace)
        if service.namespace in naming.RESERVED_NAMESPACES:
            yield Finding((*at, "namespace"), f"namespace {service.namespace!r} belongs to Kubernetes or Argo CD",
                          env.name)
        elif namespace is None:
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


def _public_service(env: Environment) -> Iterator[Finding]:
    """The environment's one Ingress (api.<domain>) routes to exactly one service."""
    public = sorted(service.name for service in env.services.values() if service.public)
    if not public:
        yield Finding(("services",), f"no service is public in {env.name}; exactly one must be, to serve its API")
    for name in public[1:]:
        yield Finding(("services", name, "public"), f"only one service may be public; {public[0]!r} is too",
                      env.name)


def _zones(env: Environment) -> Iterator[Finding]:
    at = ("environments", env.name, "availability_zones")
    letters = ZONE_LETTERS.get(env.region)
    if letters is None:
        yield Finding(("environments", env.name, "region"), f"region {env.region!r} is not in catalog/regions.py; "
                      "add its Availability Zones there from the AWS documentation")
    else:
        for index, zone in enumerate(env.availability_zones):
            if zone.removeprefix(env.region) not in set(letters):
                yield Finding((*at, str(index)), f"zone {shown(zone)} is not in region {env.region!r} "
                              f"(its zones: {', '.join(env.region + letter for letter in letters)})")
    if len(set(env.availability_zones)) != len(env.availability_zones):
        yield Finding(at, "zones must not repeat")
    if len(set(env.availability_zones)) < 2:
        yield Finding(at, "EKS and RDS subnet groups need subnets in at least two availability zones")
    if env.redis.num_cache_clusters > len(env.availability_zones) and env.redis.num_cache_clusters > 1:
        yield Finding(("environments", env.name, "redis", "num_cache_clusters"),
                      f"{env.redis.num_cache_clusters} nodes cannot spread over "
                      f"{len(env.availability_zones)} zones")


# AWS subnets are /16 to /28.
SMALLEST_SUBNET_PREFIX = 28


def _subnets(env: Environment) -> Iterator[Finding]:
    """The VPC must be large enough for naming.subnet_plan to cut subnets AWS accepts."""
    plan = naming.subnet_plan(env)
    smallest = max(ipaddress.IPv4Network(cidr).prefixlen for cidrs in plan for cidr in cidrs)
    if smallest > SMALLEST_SUBNET_PREFIX:
        yield Finding(("environments", env.name, "vpc_cidr"),
                      f"{env.vpc_cidr} is too small: it splits into /{smallest} subnets, and AWS subnets are "
                      f"/{SMALLEST_SUBNET_PREFIX} at the smallest")


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
    if not env.edge.deletion_protection:
        yield Finding((*at, "edge", "deletion_protection"), "a production load balancer needs deletion protection")
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


def _namespaces(catalog: Catalog) -> Iterator[Finding]:
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


# --- Names: what AWS and Kubernetes would refuse, and names two things would share ---

# What infra_stacks makes besides the names per service and add-on. tests/test_infra_rules.py
# proves that every name in the synthesized stacks is derived here.
KMS_KEYS = ("logs", "eks", "ebs", "data", "secrets", "s3", "ecr", "tfstate")
BUCKETS = ("loki", "tempo", "tfstate", "alb-logs")
CONNECTION_SECRETS = ("postgres", "redis")
SECURITY_GROUPS = ("vpc-endpoints", "postgres", "redis", "edge-alb")
POSTGRES_LOGS = ("postgresql", "upgrade")
NODE_POOLS = ("general", "spot", naming.GPU_NODE_POOL)

Derived = tuple[FieldPath, Callable[..., str], tuple[object, ...]]


def _derived_aws_names(env: Environment) -> Iterator[Derived]:
    """Every AWS name of an environment: the catalog path it comes from, its derivation and arguments."""
    at, cluster = ("environments", env.name), ("environments", env.name, "cluster_name")
    stack = naming.stack_name(env)  # two DNS labels: always a valid stack name, the base of many others
    yield at, naming.stack_name, (env,)
    yield at, naming.state_stack_name, (env,)
    yield at, naming.state_lock_table_name, (env,)
    yield from ((at, naming.bucket_name, (env, purpose)) for purpose in BUCKETS)
    yield from ((at, naming.kms_alias, (env, purpose)) for purpose in KMS_KEYS)
    yield from ((at, naming.addon_role_name, (env, addon)) for addon in naming.ADDON_SERVICE_ACCOUNTS)
    yield from ((at, naming.aws_secret_name, (env, component)) for component in CONNECTION_SECRETS)
    yield from ((at, naming.security_group_name, (stack, purpose)) for purpose in SECURITY_GROUPS)
    yield from ((at, naming.postgres_log_group, (stack, kind)) for kind in POSTGRES_LOGS)
    for derive in (naming.flow_log_group, naming.flow_log_role_name, naming.postgres_identifier,
                   naming.db_subnet_group_name, naming.db_parameter_group_name, naming.final_snapshot_identifier,
                   naming.postgres_monitoring_role_name, naming.redis_group_id, naming.redis_user_group_id,
                   naming.redis_subnet_group_name, naming.redis_default_user, naming.redis_log_group,
                   naming.waf_acl_name, naming.waf_log_group, naming.vpc_name, naming.load_balancer_name,
                   naming.target_group_name):
        yield at, derive, (stack,)
    yield ("environments", env.name, "domain"), naming.public_host, (env,)
    yield cluster, naming.eks_cluster_name, (env,)
    for derive in (naming.cluster_role_name, naming.node_role_name, naming.cluster_log_group):
        yield cluster, derive, (env.cluster_name,)
    yield from ((cluster, naming.launch_template_name, (env.cluster_name, pool)) for pool in NODE_POOLS)
    for service in env.services.values():
        at = ("services", service.name)
        yield at, naming.service_role_name, (env, service)
        yield at, naming.ecr_repository_name, (service,)
        yield at, naming.image_name, (env, service)
        if service.depends_on.postgres:
            yield at, naming.postgres_user, (service,)
        if service.depends_on.redis:
            yield at, naming.redis_user, (env, service)
        if "kms" in service.aws_access:
            yield at, naming.service_kms_alias, (env, service)


def _aws_names(catalog: Catalog) -> Iterator[Finding]:
    """Each name AWS would refuse, and each name two resources would share where it must be unique."""
    made: dict[tuple[str, ...], str] = {}
    for env in catalog.environments.values():
        for path, derive, args in _derived_aws_names(env):
            finding_env = env.name if path[0] == "services" else None
            try:
                name = derive(*args)
            except naming.InvalidName as error:
                yield Finding(path, str(error), finding_env)
                continue
            rule: naming.NameRule = derive.rule  # type: ignore[attr-defined]
            if rule.unique_in is None:
                continue
            where = {"everywhere": (), "account": (env.account_id,), "region": (env.account_id, env.region),
                     "environment": (env.name,)}[rule.unique_in]
            source = f"{'.'.join(path)} in {env.name}"
            first = made.setdefault((rule.kind, *where, name), source)
            if first != source:
                yield Finding(path, f"{rule.kind} {name!r} is also made for {first}", finding_env)


def _kubernetes_names(env: Environment) -> Iterator[Finding]:
    """Names Kubernetes would refuse, and objects that would replace one another in a namespace."""
    owners = {(namespace, *thing): "the one every workload namespace has"
              for namespace in {service.namespace for service in env.services.values()}
              for thing in naming.NAMESPACE_OBJECTS}
    owners |= {(naming.ARGOCD_NAMESPACE, "Application", app): "the platform's own"
               for app in naming.ARGOCD_APPLICATIONS}
    for service in env.services.values():
        at = ("services", service.name)
        try:
            naming.dashboard_uid(env, service)
            objects = [(service.namespace, *thing) for thing in naming.service_objects(service)]
        except naming.InvalidName as error:
            yield Finding(at, str(error), env.name)
            continue
        # The services ApplicationSet generates one Application per service, named after it.
        objects.append((naming.ARGOCD_NAMESPACE, "Application", service.name))
        for namespace, kind, name in objects:
            owner = owners.setdefault((namespace, kind, name), f"service {service.name!r}'s")
            if owner != f"service {service.name!r}'s":
                yield Finding(at, f"{kind} {name!r} in namespace {namespace!r} would replace {owner}", env.name)


# --- AWS side (infra_stacks): what AWS would reject at apply time, or what we refuse to build ---

PRIVATE_RANGES = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
EVERYWHERE = ipaddress.IPv4Network("0.0.0.0/0")
# x86 NVIDIA families the EKS AL2023 NVIDIA AMI runs on.
NVIDIA_X86 = re.compile(r"^(g4dn|g5|g6|g6e|gr6|p3|p3dn|p4d|p4de|p5|p5e|p5en)\.")
GRAVITON = re.compile(r"^[a-z]+[0-9]+g[a-z]*\.")
NO_PERFORMANCE_INSIGHTS = re.compile(r"^db\.t[34]g?\.(micro|small)$")


def _aws(env: Environment) -> Iterator[Finding]:
    at = ("environments", env.name)
    vpc = ipaddress.IPv4Network(env.vpc_cidr)
    if not any(vpc.subnet_of(private) for private in PRIVATE_RANGES):
        yield Finding((*at, "vpc_cidr"), f"{env.vpc_cidr} is not private address space (RFC 1918)")

    yield from _public_endpoint(env)

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


def _public_endpoint(env: Environment) -> Iterator[Finding]:
    """A public cluster API is reachable only from named ranges, which together are not the internet."""
    at = ("environments", env.name, "cluster_public_access_cidrs")
    if env.cluster_public_endpoint and not env.cluster_public_access_cidrs:
        yield Finding(at, "a public cluster endpoint needs the source ranges allowed to reach it")
    if env.cluster_public_access_cidrs and not env.cluster_public_endpoint:
        yield Finding(at, "set, but cluster_public_endpoint is false")
    ranges = [ipaddress.IPv4Network(cidr) for cidr in env.cluster_public_access_cidrs]
    for index, network in enumerate(ranges):
        if network == EVERYWHERE:
            yield Finding((*at, str(index)), f"{network} opens the cluster API to the whole internet")
    if EVERYWHERE not in ranges and EVERYWHERE in ipaddress.collapse_addresses(ranges):
        yield Finding(at, f"{', '.join(map(str, ranges))} together open the cluster API to the whole internet")
