"""Typed, frozen models of platform.yaml.

Field-level rules live here as types and validators so pydantic reports each with its path;
rules that span several objects (unknown references, duplicate ports, CIDR overlaps) live in
`catalog.rules`, which reports all of them at once.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    model_validator,
)

__all__ = [
    "Autoscaling",
    "Dependencies",
    "DisruptionBudget",
    "Edge",
    "Environment",
    "Gpu",
    "Health",
    "Namespace",
    "NodeGroup",
    "Postgres",
    "Project",
    "Redis",
    "Resources",
    "Service",
    "shown",
]

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# An image repository path (registry host and tag are derived per environment).
IMAGE_REPOSITORY = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$")
IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
CPU = re.compile(r"^([0-9]+m|[0-9]+(\.[0-9]{1,3})?)$")
MEMORY = re.compile(r"^[0-9]+(Ki|Mi|Gi|Ti)$")
HTTP_PATH = re.compile(r"^/[A-Za-z0-9._~/-]*$")
ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")
K8S_VERSION = re.compile(r"^1\.(2[5-9]|3[0-7])$")
# The lookahead demands a digit without a second unbounded run, so matching stays linear in the length.
INSTANCE_TYPE = re.compile(
    r"^(?=[a-z][a-z0-9-]*[0-9])[a-z][a-z0-9-]*\.(nano|micro|small|medium|large|[0-9]*xlarge|metal)$")
DB_INSTANCE_CLASS = re.compile(r"^db\.(t3|t4g|m5|m6g|m6i|m7g|r5|r6g|r6i|r7g)\.(micro|small|medium|large|[0-9]*xlarge)$")
CACHE_NODE_TYPE = re.compile(r"^cache\.(t3|t4g|m5|m6g|m7g|r5|r6g|r7g)\.(micro|small|medium|large|[0-9]*xlarge)$")


def shown(value: object, limit: int = 60) -> str:
    """repr() of input for a one-line message, shortened: a catalog value can be a megabyte long."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _matching(pattern: re.Pattern[str], what: str):
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"{shown(value)} is not a valid {what}")
        return value

    return AfterValidator(check)


def _cpu_millis(value: str) -> int:
    return int(value[:-1]) if value.endswith("m") else round(float(value) * 1000)


def _memory_bytes(value: str) -> int:
    unit = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4}[value[-2:]]
    return int(value[:-2]) * 1024**unit


def _cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a valid IPv4 CIDR block ({error})") from None
    if not 16 <= network.prefixlen <= 24:
        raise ValueError(f"{value!r} must have a prefix between /16 and /24 to hold the subnets")
    return value


def _any_cidr(value: str) -> str:
    try:
        ipaddress.IPv4Network(value, strict=True)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a valid IPv4 CIDR block ({error})") from None
    return value


Name = Annotated[StrictStr, _matching(DNS_LABEL, "DNS-1123 label (lowercase letters, digits, '-')")]
# Real quantities are a few characters; the cap keeps their arithmetic in the validators cheap.
Cpu = Annotated[StrictStr, Field(max_length=20), _matching(CPU, "CPU quantity such as 250m or 2")]
Memory = Annotated[StrictStr, Field(max_length=20), _matching(MEMORY, "memory quantity such as 512Mi or 4Gi")]
# Nothing downstream limits URLs and paths, but they are copied into many objects: keep them URL-sized.
URL_MAX_LENGTH = 2048
HttpPath = Annotated[StrictStr, Field(max_length=URL_MAX_LENGTH), _matching(HTTP_PATH, "HTTP path starting with '/'")]
Hostname = Annotated[StrictStr, _matching(HOSTNAME, "hostname")]
Port = Annotated[StrictInt, Field(ge=1, le=65535)]
# The longest IPv4 CIDR block is 255.255.255.255/32.
Cidr = Annotated[StrictStr, Field(max_length=18), AfterValidator(_cidr)]
AnyCidr = Annotated[StrictStr, Field(max_length=18), AfterValidator(_any_cidr)]


class Model(BaseModel):
    """Frozen, closed to unknown keys, no silent type coercion."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Project(Model):
    name: Name
    gitops_repo_url: Annotated[StrictStr, Field(max_length=URL_MAX_LENGTH, pattern=r"^(https://|git@)\S+$")]
    # A branch or tag is a file under .git/refs: 255 bytes on common file systems.
    gitops_revision: Annotated[StrictStr, Field(min_length=1, max_length=255)]
    image_tag: Annotated[StrictStr, _matching(IMAGE_TAG, "image tag")]


class Namespace(Model):
    pod_security: Literal["restricted", "baseline", "privileged"]
    workloads: StrictBool


class ComputeQuantities(Model):
    cpu: Cpu
    memory: Memory

    @property
    def cpu_millis(self) -> int:
        return _cpu_millis(self.cpu)

    @property
    def memory_bytes(self) -> int:
        return _memory_bytes(self.memory)


class Resources(Model):
    requests: ComputeQuantities
    limits: ComputeQuantities

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Resources:
        if _cpu_millis(self.requests.cpu) > _cpu_millis(self.limits.cpu):
            raise ValueError(f"requests.cpu {self.requests.cpu} exceeds limits.cpu {self.limits.cpu}")
        if _memory_bytes(self.requests.memory) > _memory_bytes(self.limits.memory):
            raise ValueError(
                f"requests.memory {self.requests.memory} exceeds limits.memory {self.limits.memory}"
            )
        return self


class Autoscaling(Model):
    min: Annotated[StrictInt, Field(ge=1)]
    max: Annotated[StrictInt, Field(ge=1)]
    metric: Literal["cpu", "memory"]
    target_utilization: Annotated[StrictInt, Field(ge=1, le=100)]

    @model_validator(mode="after")
    def _min_not_above_max(self) -> Autoscaling:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class DisruptionBudget(Model):
    """Exactly one of min_available / max_unavailable, as in a PodDisruptionBudget."""

    # 0 would be a budget that protects nothing: surely a mistake for max_unavailable.
    min_available: Annotated[StrictInt, Field(ge=1)] | None = None
    max_unavailable: Annotated[StrictInt, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> DisruptionBudget:
        if (self.min_available is None) == (self.max_unavailable is None):
            raise ValueError("set exactly one of min_available or max_unavailable")
        return self

    def allowed_disruptions(self, replicas: int) -> int:
        if self.min_available is not None:
            return max(replicas - self.min_available, 0)
        return min(self.max_unavailable or 0, replicas)


class Health(Model):
    readiness: HttpPath
    liveness: HttpPath
    startup: HttpPath


class Dependencies(Model):
    services: tuple[Name, ...]
    postgres: StrictBool
    redis: StrictBool
    external: tuple[Hostname, ...]


class Gpu(Model):
    enabled: StrictBool
    count: Annotated[StrictInt, Field(ge=1, le=8)]


class Service(Model):
    """One service as resolved for one environment (defaults and overrides already applied)."""

    name: Name
    namespace: Name
    port: Port
    image: Annotated[StrictStr, _matching(IMAGE_REPOSITORY, "image repository path (e.g. payledger/api)")]
    resources: Resources
    autoscaling: Autoscaling
    disruption_budget: DisruptionBudget
    health: Health
    metrics_path: HttpPath
    depends_on: Dependencies
    vault_secrets: tuple[Name, ...]
    gpu: Gpu
    public: StrictBool = False
    pci_scope: StrictBool = False
    aws_access: tuple[Literal["bedrock", "kms"], ...] = ()


class NodeGroup(Model):
    instance_types: Annotated[
        tuple[Annotated[StrictStr, Field(max_length=32), _matching(INSTANCE_TYPE, "EC2 instance type")], ...],
        Field(min_length=1),
    ]
    min: Annotated[StrictInt, Field(ge=0)]
    max: Annotated[StrictInt, Field(ge=1)]
    desired: Annotated[StrictInt, Field(ge=0)]

    @model_validator(mode="after")
    def _desired_within_bounds(self) -> NodeGroup:
        if not self.min <= self.desired <= self.max:
            raise ValueError(f"need min <= desired <= max (got {self.min}, {self.desired}, {self.max})")
        return self


class Postgres(Model):
    instance_class: Annotated[StrictStr, _matching(DB_INSTANCE_CLASS, "RDS instance class")]
    allocated_storage_gb: Annotated[StrictInt, Field(ge=20, le=65536)]
    multi_az: StrictBool
    backup_retention_days: Annotated[StrictInt, Field(ge=7, le=35)]
    deletion_protection: StrictBool


class Redis(Model):
    node_type: Annotated[StrictStr, _matching(CACHE_NODE_TYPE, "ElastiCache node type")]
    num_cache_clusters: Annotated[StrictInt, Field(ge=1, le=6)]
    snapshot_retention_days: Annotated[StrictInt, Field(ge=1, le=35)]


class Edge(Model):
    """The internet-facing load balancer in front of the NGINX data plane (infra_stacks.edge)."""

    # Refuses deletion through the API until turned off on purpose, as for the database.
    deletion_protection: StrictBool


class NodeGroups(Model):
    general: NodeGroup
    spot: NodeGroup
    gpu: NodeGroup


class Environment(Model):
    """One deployment target. `services` holds every service resolved for this environment.

    `production` turns on the rules a production account must meet (no public API endpoint,
    multi-AZ data stores, deletion protection of the database and the load balancer), checked in
    catalog.rules.
    """

    name: Name
    project: Name
    production: StrictBool
    account_id: Annotated[StrictStr, _matching(ACCOUNT_ID, "AWS account id (12 digits, quoted)")]
    region: Annotated[StrictStr, _matching(REGION, "AWS region such as eu-west-1")]
    availability_zones: Annotated[tuple[StrictStr, ...], Field(min_length=1, max_length=6)]
    cluster_name: Name
    domain: Hostname
    kubernetes_version: Annotated[StrictStr, _matching(K8S_VERSION, "Kubernetes minor version 1.25-1.37")]
    vpc_cidr: Cidr
    nat_gateways: Literal["single", "per_az"]
    cluster_public_endpoint: StrictBool
    istio_injection: StrictBool
    addon_replicas: Annotated[StrictInt, Field(ge=1, le=5)]
    node_groups: NodeGroups
    postgres: Postgres
    redis: Redis
    edge: Edge
    services: dict[str, Service]
    # The environment's public hosted zone for `domain` (cert-manager DNS-01). Hosted zones outlive
    # stacks and are delegated from the parent zone by hand, so Terraform references them by id;
    # None makes the stack create the zone.
    # Source ranges allowed to reach a public cluster API endpoint (office/VPN egress); never 0.0.0.0/0.
    cluster_public_access_cidrs: tuple[AnyCidr, ...] = ()
    route53_zone_id: Annotated[StrictStr, Field(pattern=r"^Z[A-Z0-9]{1,31}$")] | None = None

    @functools.cached_property
    def callers(self) -> dict[str, tuple[Service, ...]]:
        """For each service, the services that depend on it, by name: the reverse of `depends_on`.

        Computed once per environment, so per-service ingress rules stay linear in the services.
        """
        found: dict[str, list[Service]] = {name: [] for name in self.services}
        for other in sorted(self.services.values(), key=lambda service: service.name):
            for name in other.depends_on.services:
                found.setdefault(name, []).append(other)
        return {name: tuple(services) for name, services in found.items()}
