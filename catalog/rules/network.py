"""Rules about the network: zones that exist, subnets AWS accepts, private and non-overlapping VPCs, and a
public cluster endpoint that is not open to the internet."""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterator

from catalog import naming
from catalog.fields import shown
from catalog.models import Catalog, Environment
from catalog.regions import ZONE_LETTERS
from catalog.rules.finding import Finding

__all__ = ["public_endpoint", "subnets", "vpc", "vpc_overlaps", "zones"]

RFC1918_RANGES = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
EVERYWHERE = ipaddress.IPv4Network("0.0.0.0/0")


def vpc(env: Environment) -> Iterator[Finding]:
    network = ipaddress.IPv4Network(env.vpc_cidr)
    if not any(network.subnet_of(private) for private in RFC1918_RANGES):
        yield Finding(("environments", env.name, "vpc_cidr"), f"{env.vpc_cidr} is not private address space (RFC 1918)")
    if network.overlaps(ipaddress.IPv4Network(naming.KUBERNETES_SERVICE_CIDR)):
        yield Finding(("environments", env.name, "vpc_cidr"), f"{env.vpc_cidr} overlaps the cluster's Service "
                      f"addresses {naming.KUBERNETES_SERVICE_CIDR}")


def zones(env: Environment) -> Iterator[Finding]:
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


def subnets(env: Environment) -> Iterator[Finding]:
    """The VPC must be large enough for naming.subnet_plan to cut subnets AWS accepts."""
    plan = naming.subnet_plan(env)
    smallest = max(ipaddress.IPv4Network(cidr).prefixlen for cidrs in plan for cidr in cidrs)
    if smallest > SMALLEST_SUBNET_PREFIX:
        yield Finding(("environments", env.name, "vpc_cidr"),
                      f"{env.vpc_cidr} is too small: it splits into /{smallest} subnets, and AWS subnets are "
                      f"/{SMALLEST_SUBNET_PREFIX} at the smallest")


def vpc_overlaps(catalog: Catalog) -> Iterator[Finding]:
    """Environments may be peered or share a transit gateway later, so their VPCs must not overlap."""
    for first, second in itertools.combinations(catalog.environments.values(), 2):
        if ipaddress.IPv4Network(first.vpc_cidr).overlaps(ipaddress.IPv4Network(second.vpc_cidr)):
            yield Finding(("environments", second.name, "vpc_cidr"),
                          f"{second.vpc_cidr} overlaps {first.name}'s {first.vpc_cidr}")


def public_endpoint(env: Environment) -> Iterator[Finding]:
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
