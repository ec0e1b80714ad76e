"""Typed, frozen models of platform.yaml.

Field-level rules live here as types and validators so pydantic reports each with its path;
rules that span several objects (unknown references, duplicate ports, CIDR overlaps) live in
`catalog.rules`, which reports all of them at once.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    model_validator,
)

from catalog.backup import Backup
from catalog.base import Model
from catalog.fields import (
    ACCOUNT_ID,
    CACHE_NODE_TYPE,
    DB_INSTANCE_CLASS,
    IMAGE_REPOSITORY,
    IMAGE_TAG,
    INSTANCE_TYPE,
    K8S_VERSION,
    REGION,
    URL_MAX_LENGTH,
    AnyCidr,
    Cidr,
    Cpu,
    Hostname,
    HttpPath,
    Memory,
    Name,
    Port,
    cpu_millis,
    matching,
    memory_bytes,
)
from catalog.metrics import BusinessMetric

__all__ = [
    "Autoscaling",
    "Backup",
    "Catalog",
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
]

class Project(Model):
    name: Name
    gitops_repo_url: Annotated[StrictStr, Field(max_length=URL_MAX_LENGTH, pattern=r"^(https://|git@)\S+$")]
    # A branch or tag is a file under .git/refs: 255 bytes on common file systems.
    gitops_revision: Annotated[StrictStr, Field(min_length=1, max_length=255)]
    image_tag: Annotated[StrictStr, matching(IMAGE_TAG, "image tag")]


class Namespace(Model):
    pod_security: Literal["restricted", "baseline", "privileged"]
    workloads: StrictBool


class ComputeQuantities(Model):
    cpu: Cpu
    memory: Memory

    @property
    def cpu_millis(self) -> int:
        return cpu_millis(self.cpu)

    @property
    def memory_bytes(self) -> int:
        return memory_bytes(self.memory)


class Resources(Model):
    requests: ComputeQuantities
    limits: ComputeQuantities

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Resources:
        if cpu_millis(self.requests.cpu) > cpu_millis(self.limits.cpu):
            raise ValueError(f"requests.cpu {self.requests.cpu} exceeds limits.cpu {self.limits.cpu}")
        if memory_bytes(self.requests.memory) > memory_bytes(self.limits.memory):
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
    image: Annotated[StrictStr, matching(IMAGE_REPOSITORY, "image repository path (e.g. payledger/api)")]
    resources: Resources
    autoscaling: Autoscaling
    disruption_budget: DisruptionBudget
    health: Health
    metrics_path: HttpPath
    depends_on: Dependencies
    vault_secrets: tuple[Name, ...]
    gpu: Gpu
    image_tag: Annotated[StrictStr, matching(IMAGE_TAG, "image tag")]
    public: StrictBool = False
    pci_scope: StrictBool = False
    aws_access: tuple[Literal["bedrock", "kms"], ...] = ()
    # Its half of the metric contract (catalog.metrics).
    business_metrics: tuple[BusinessMetric, ...] = ()


class NodeGroup(Model):
    instance_types: Annotated[
        tuple[Annotated[StrictStr, Field(max_length=32), matching(INSTANCE_TYPE, "EC2 instance type")], ...],
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
    instance_class: Annotated[StrictStr, matching(DB_INSTANCE_CLASS, "RDS instance class")]
    allocated_storage_gb: Annotated[StrictInt, Field(ge=20, le=65536)]
    multi_az: StrictBool
    backup_retention_days: Annotated[StrictInt, Field(ge=7, le=35)]
    deletion_protection: StrictBool


class Redis(Model):
    node_type: Annotated[StrictStr, matching(CACHE_NODE_TYPE, "ElastiCache node type")]
    num_cache_clusters: Annotated[StrictInt, Field(ge=1, le=6)]
    snapshot_retention_days: Annotated[StrictInt, Field(ge=1, le=35)]


class Edge(Model):
    """The internet-facing load balancer in front of the NGINX data plane (infra_stacks.edge)."""

    # Refuses deletion through the API until turned off on purpose, as for the database.
    deletion_protection: StrictBool


class NodeGroups(Model):
    """`pci`: on-demand nodes dedicated to the cardholder-data environment, required when a service is
    `pci_scope` (see catalog.rules.services.pci_scope)."""

    general: NodeGroup
    spot: NodeGroup
    gpu: NodeGroup
    pci: NodeGroup | None = None


class Environment(Model):
    """One deployment target. `services` holds every service resolved for this environment.

    `production` turns on the rules a production account must meet (no public API endpoint,
    multi-AZ data stores, deletion protection of the database and the load balancer, backups copied to
    a second region), checked in catalog.rules.
    """

    name: Name
    project: Name
    production: StrictBool
    account_id: Annotated[StrictStr, matching(ACCOUNT_ID, "AWS account id (12 digits, quoted)")]
    region: Annotated[StrictStr, matching(REGION, "AWS region such as eu-west-1")]
    availability_zones: Annotated[tuple[StrictStr, ...], Field(min_length=1, max_length=6)]
    cluster_name: Name
    domain: Hostname
    kubernetes_version: Annotated[StrictStr, matching(K8S_VERSION, "Kubernetes minor version 1.25-1.37")]
    vpc_cidr: Cidr
    nat_gateways: Literal["single", "per_az"]
    cluster_public_endpoint: StrictBool
    istio_injection: StrictBool
    addon_replicas: Annotated[StrictInt, Field(ge=1, le=5)]
    node_groups: NodeGroups
    postgres: Postgres
    redis: Redis
    edge: Edge
    backup: Backup
    services: dict[str, Service]
    # The environment's public hosted zone for `domain` (cert-manager DNS-01). Hosted zones outlive
    # stacks and are delegated from the parent zone by hand, so Terraform references them by id;
    # None makes the stack create the zone.
    # Source ranges allowed to reach a public cluster API endpoint (office/VPN egress); never 0.0.0.0/0.
    cluster_public_access_cidrs: tuple[AnyCidr, ...] = ()
    route53_zone_id: Annotated[StrictStr, Field(pattern=r"^Z[A-Z0-9]{1,31}$")] | None = None

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Environment:
        """A copy without the cached `callers`: they are derived from `services`, which `update` may change."""
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("callers", None)
        return copy

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


class Catalog(BaseModel):
    """The validated platform: project settings, namespaces, and each environment fully resolved."""

    model_config = ConfigDict(frozen=True)
    source: str
    project: Project
    namespaces: dict[str, Namespace]
    environments: dict[str, Environment]
