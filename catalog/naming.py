"""Names and addresses shared by the Terraform and Kubernetes sides.

Both sides import these functions, never spell a name themselves, so an IRSA role, a secret
path or a bucket is named once; tests/test_cross_side.py proves the two outputs agree.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import NamedTuple

from catalog.models import Environment, Service

__all__ = [
    "ADDON_SERVICE_ACCOUNTS",
    "GPU_NODE_POOL",
    "GPU_TAINT",
    "NODE_POOL_LABEL",
    "ServiceAccountRef",
    "SubnetPlan",
    "Taint",
    "addon_role_name",
    "aws_secret_name",
    "aws_secret_prefix",
    "bucket_name",
    "ecr_repository_name",
    "image_reference",
    "kubernetes_secret_name",
    "postgres_user",
    "redis_user",
    "role_arn",
    "service_account",
    "service_kms_alias",
    "service_role_name",
    "stack_name",
    "state_bucket_name",
    "state_lock_table_name",
    "state_stack_name",
    "subnet_plan",
    "vault_secret_path",
]


class ServiceAccountRef(NamedTuple):
    namespace: str
    name: str


# Add-ons that call AWS through IRSA: the ServiceAccount their Helm chart runs under.
ADDON_SERVICE_ACCOUNTS: dict[str, ServiceAccountRef] = {
    "cert-manager": ServiceAccountRef("cert-manager", "cert-manager"),
    "external-secrets": ServiceAccountRef("external-secrets", "external-secrets"),
    "loki": ServiceAccountRef("observability", "loki"),
    "tempo": ServiceAccountRef("observability", "tempo"),
    "ebs-csi": ServiceAccountRef("kube-system", "ebs-csi-controller-sa"),
}


class Taint(NamedTuple):
    """A node taint in Kubernetes spelling (EKS node group API spells the effect NO_SCHEDULE)."""

    key: str
    value: str
    effect: str


# Node groups carry NODE_POOL_LABEL=<pool>; pods select a pool by it (Terraform sets the labels).
NODE_POOL_LABEL = "payledger.io/node-pool"
GPU_NODE_POOL = "gpu"
# Keeps everything but GPU workloads off the expensive GPU nodes.
GPU_TAINT = Taint("nvidia.com/gpu", "true", "NoSchedule")


def stack_name(env: Environment) -> str:
    return f"{env.project}-{env.name}"


def service_role_name(env: Environment, service: Service) -> str:
    return f"{env.project}-{env.name}-svc-{service.name}"[:64]


def addon_role_name(env: Environment, addon: str) -> str:
    return f"{env.project}-{env.name}-addon-{addon}"[:64]


def role_arn(env: Environment, role_name: str) -> str:
    return f"arn:aws:iam::{env.account_id}:role/{role_name}"


def ecr_repository_name(service: Service) -> str:
    return service.image


def image_reference(env: Environment, service: Service, tag: str) -> str:
    return f"{env.account_id}.dkr.ecr.{env.region}.amazonaws.com/{service.image}:{tag}"


def aws_secret_name(env: Environment, component: str) -> str:
    """Secrets Manager name of connection details Terraform writes (component: postgres, redis)."""
    return f"{env.project}/{env.name}/{component}/connection"


def vault_secret_path(env: Environment, service: Service) -> str:
    """Vault KV path holding a service's application secrets, one property per secret."""
    return f"{env.project}/{env.name}/{service.name}"


def kubernetes_secret_name(service: Service, source: str) -> str:
    """The Secret an ExternalSecret materialises for a service (source: app, postgres, redis)."""
    return f"{service.name}-{source}"


def bucket_name(env: Environment, purpose: str) -> str:
    """S3 bucket names are global: the account id keeps them unique across organisations."""
    return f"{env.project}-{env.name}-{purpose}-{env.account_id}"


class SubnetPlan(NamedTuple):
    public: tuple[str, ...]
    private: tuple[str, ...]
    data: tuple[str, ...]


def subnet_plan(env: Environment) -> SubnetPlan:
    """Split the VPC: half for private subnets (nodes and pods), an eighth each for public and data.

    Private subnets get the large blocks because the VPC CNI gives every pod a VPC address;
    each group has room for up to eight zones.
    """
    return _subnet_plan(env.vpc_cidr, len(env.availability_zones))


@functools.cache
def _subnet_plan(vpc_cidr: str, zones: int) -> SubnetPlan:
    """Cached: every service's egress policy asks for the plan, and splitting networks is slow."""
    vpc = ipaddress.IPv4Network(vpc_cidr)
    quarters = list(vpc.subnets(prefixlen_diff=2))
    private = list(quarters[0].subnets(prefixlen_diff=2)) + list(quarters[1].subnets(prefixlen_diff=2))
    public = list(quarters[2].subnets(prefixlen_diff=3))
    data = list(quarters[3].subnets(prefixlen_diff=3))
    return SubnetPlan(
        public=tuple(str(net) for net in public[:zones]),
        private=tuple(str(net) for net in private[:zones]),
        data=tuple(str(net) for net in data[:zones]),
    )


# --- AWS-side names (infra_stacks); shared with Kubernetes where a workload needs them ---


def service_account(service: Service) -> ServiceAccountRef:
    """The ServiceAccount a service's pods run as; its IRSA trust is bound to exactly this."""
    return ServiceAccountRef(service.namespace, service.name)


def aws_secret_prefix(env: Environment, component: str | None = None) -> str:
    """Secrets Manager name prefix of an environment (or one component), for IAM resource patterns."""
    base = f"{env.project}/{env.name}/"
    return f"{base}{component}/" if component else base


def postgres_user(service: Service) -> str:
    """The database role a service logs in as with IAM authentication (no password)."""
    return service.name.replace("-", "_")


def redis_user(env: Environment, service: Service) -> str:
    """ElastiCache RBAC user (id == name, as IAM authentication requires) a service connects as."""
    return f"{env.project}-{env.name}-{service.name}"


def service_kms_alias(env: Environment, service: Service) -> str:
    """Alias of the key a service with `aws_access: [kms]` encrypts application data with."""
    return f"alias/{env.project}-{env.name}-svc-{service.name}"


def state_stack_name(env: Environment) -> str:
    """The bootstrap stack that creates the state bucket and lock table (applied once, local state)."""
    return f"{stack_name(env)}-state"


def state_bucket_name(env: Environment) -> str:
    return bucket_name(env, "tfstate")


def state_lock_table_name(env: Environment) -> str:
    return f"{env.project}-{env.name}-tfstate-lock"
