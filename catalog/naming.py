"""Names and addresses shared by the Terraform and Kubernetes sides: the one place that derives them.

Both sides import these functions, never spell a name themselves, so an IRSA role, a secret
path or a bucket is named once; tests/test_infra_cross_side.py proves the two outputs agree.

Every name is checked where it is made, against the rules of the service that will hold it
(`NameRule`), and a name that breaks one raises InvalidName. Nothing is ever cut short: a
truncated name can collide with another one or stop saying what it names. catalog.rules calls
every derivation for every environment and service, so a catalog that would make a bad name is
refused when it loads, at the catalog path the name comes from.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, NamedTuple

from catalog.models import Environment, Service, shown

__all__ = [
    "ADDON_NAMESPACES",
    "ADDON_SERVICE_ACCOUNTS",
    "ARGOCD_APPLICATIONS",
    "ARGOCD_NAMESPACE",
    "CLUSTER_APP",
    "CLUSTER_CONFIG_APP",
    "DEFAULT_DENY_POLICY",
    "DEFAULT_PROJECT",
    "DNS_EGRESS_POLICY",
    "GPU_NODE_POOL",
    "GPU_TAINT",
    "ISTIOD_EGRESS_POLICY",
    "NAMESPACE_OBJECTS",
    "NODE_POOL_LABEL",
    "POSTGRES_ADMIN_USER",
    "RESERVED_NAMESPACES",
    "ROOT_APP",
    "SERVICES_APP",
    "SYSTEM_PROJECT",
    "InvalidName",
    "KubernetesObject",
    "NameRule",
    "ServiceAccountRef",
    "SubnetPlan",
    "Taint",
    "addon_role_name",
    "aws_secret_name",
    "aws_secret_prefix",
    "bucket_name",
    "cluster_log_group",
    "cluster_role_name",
    "config_map_name",
    "dashboard_name",
    "dashboard_uid",
    "db_parameter_group_name",
    "db_subnet_group_name",
    "derives",
    "ecr_repository_name",
    "eks_cluster_name",
    "final_snapshot_identifier",
    "flow_log_group",
    "flow_log_role_name",
    "image_name",
    "image_reference",
    "kms_alias",
    "kubernetes_secret_name",
    "launch_template_name",
    "network_policy_name",
    "node_role_name",
    "postgres_identifier",
    "postgres_log_group",
    "postgres_monitoring_role_name",
    "postgres_user",
    "redis_default_user",
    "redis_group_id",
    "redis_log_group",
    "redis_subnet_group_name",
    "redis_user",
    "redis_user_group_id",
    "role_arn",
    "security_group_name",
    "service_account",
    "service_kms_alias",
    "service_objects",
    "service_role_name",
    "slo_rule_name",
    "stack_name",
    "state_bucket_name",
    "state_lock_table_name",
    "state_stack_name",
    "subnet_plan",
    "vault_secret_path",
    "waf_acl_name",
    "waf_log_group",
]


# --- The rules each kind of name must follow ---


class InvalidName(ValueError):
    """A derived name its service would refuse; the message says which rule it breaks."""


@dataclass(frozen=True)
class NameRule:
    """What one kind of name must look like, from the owning service's documentation.

    `pattern` must match the whole name and is described in words by `shape`; `unique_in` says
    where two names of this kind must differ (catalog.rules checks that across environments), None
    for a name that names no resource of its own.
    """

    kind: str
    max_length: int
    pattern: str
    shape: str
    min_length: int = 1
    reserved_prefixes: tuple[str, ...] = ()
    reserved_suffixes: tuple[str, ...] = ()
    reserved: tuple[str, ...] = ()
    unique_in: Literal["everywhere", "account", "region", "environment", "namespace"] | None = "region"

    def __call__(self, name: str) -> str:
        """`name` itself when it follows the rule; InvalidName otherwise."""
        problem = self.problem(name)
        if problem:
            raise InvalidName(f"{self.kind} {shown(name, 2 * self.max_length)} {problem}")
        return name

    def problem(self, name: str) -> str | None:
        if len(name) > self.max_length:
            return (f"is {len(name)} characters, over the limit of {self.max_length}: shorten the names it is "
                    f"built from by {len(name) - self.max_length}")
        if len(name) < self.min_length:
            return f"is shorter than {self.min_length} characters"
        if not re.fullmatch(self.pattern, name):
            return f"must be {self.shape}"
        prefix = next((p for p in self.reserved_prefixes if name.startswith(p)), None)
        if prefix:
            return f"must not start with {prefix!r} (reserved)"
        suffix = next((s for s in self.reserved_suffixes if name.endswith(s)), None)
        if suffix:
            return f"must not end with {suffix!r} (reserved)"
        if name in self.reserved:
            return "is reserved"
        return None


def derives(rule: NameRule) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Declares the rule a derivation's names follow: each name it returns is checked, and
    `derivation.rule` tells catalog.rules where the name must be unique."""

    def decorate(derive: Callable[..., str]) -> Callable[..., str]:
        @functools.wraps(derive)
        def checked(*args, **kwargs) -> str:
            return rule(derive(*args, **kwargs))

        checked.rule = rule  # type: ignore[attr-defined]
        return checked

    return decorate


# Letters, digits and single hyphens, starting with a letter and not ending with a hyphen: the
# identifier rule RDS and ElastiCache share.
_IDENTIFIER = r"[a-z](?!.*--)[a-z0-9-]*(?<!-)"
_IDENTIFIER_SHAPE = "a lowercase letter, then letters, digits and single hyphens, not ending with a hyphen"
_LOG_GROUP = r"[._/#A-Za-z0-9-]+"
_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"

STACK = NameRule("CDKTF stack name", 255, r"[A-Za-z0-9_-]+", "letters, digits, '_' and '-' (a folder name)",
                 unique_in="everywhere")
IAM_ROLE = NameRule("IAM role name", 64, r"[A-Za-z0-9_+=,.@-]+", "letters, digits and +=,.@_-", unique_in="account")
S3_BUCKET = NameRule(
    "S3 bucket name", 63, r"(?![0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$)(?!.*\.\.)[a-z0-9][a-z0-9.-]*[a-z0-9]",
    "lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, not like an IP address",
    min_length=3, reserved_prefixes=("xn--", "sthree-", "amzn-s3-demo-"),
    reserved_suffixes=("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"), unique_in="everywhere")
DYNAMODB_TABLE = NameRule("DynamoDB table name", 255, r"[A-Za-z0-9_.-]+", "letters, digits, '_', '.' and '-'",
                          min_length=3)
KMS_ALIAS = NameRule("KMS alias", 256, r"alias/[A-Za-z0-9/_-]+", "'alias/' and letters, digits, '/', '_' and '-'",
                     reserved_prefixes=("alias/aws/",))
EKS_CLUSTER = NameRule("EKS cluster name", 100, r"[0-9A-Za-z][A-Za-z0-9_-]*",
                       "a letter or digit, then letters, digits, '_' and '-'")
LAUNCH_TEMPLATE = NameRule("launch template name", 128, r"[A-Za-z0-9().\-/_]+", "letters, digits and ().-/_",
                           min_length=3)
LOG_GROUP = NameRule("CloudWatch log group", 512, _LOG_GROUP, "letters, digits and ._/#-")
WAF_LOG_GROUP = NameRule("WAF log group", 512, rf"aws-waf-logs-{_LOG_GROUP}",
                         "'aws-waf-logs-' and letters, digits and ._/#- (WAF logs to no other group)")
WAF_ACL = NameRule("WAF web ACL name", 128, r"[A-Za-z0-9_-]+", "letters, digits, '_' and '-'")
SECURITY_GROUP = NameRule("security group name", 255, r"[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+",
                          "letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*", reserved_prefixes=("sg-",))
SECRET_NAME = NameRule("Secrets Manager name", 512, r"(?!.*-.{6}$)[A-Za-z0-9/_+=.@-]+",
                       "letters, digits and /_+=.@-, not ending with '-' and six characters (an ARN suffix)")
ECR_REPOSITORY = NameRule("ECR repository name", 256,
                          r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*",
                          "lowercase path segments of letters and digits joined by single '.', '_' or '-'",
                          min_length=2)
# A reference's name (registry and path, without the tag) is at most 255 characters for the
# container runtimes (the distribution reference grammar).
IMAGE_NAME = NameRule("container image name", 255, r"[a-z0-9][a-z0-9._/-]*", "lowercase letters, digits and ._/-",
                      unique_in=None)
RDS_INSTANCE = NameRule("RDS instance identifier", 63, _IDENTIFIER, _IDENTIFIER_SHAPE)
RDS_SNAPSHOT = NameRule("RDS snapshot identifier", 255, _IDENTIFIER, _IDENTIFIER_SHAPE)
RDS_PARAMETER_GROUP = NameRule("RDS parameter group name", 255, _IDENTIFIER, _IDENTIFIER_SHAPE)
RDS_SUBNET_GROUP = NameRule("RDS subnet group name", 255, r"[a-z0-9 ._-]+",
                            "lowercase letters, digits, spaces and ._-", reserved=("default",))
ELASTICACHE_GROUP = NameRule("ElastiCache replication group id", 40, _IDENTIFIER, _IDENTIFIER_SHAPE)
ELASTICACHE_USER = NameRule("ElastiCache user id", 40, _IDENTIFIER, _IDENTIFIER_SHAPE)
ELASTICACHE_USER_GROUP = NameRule("ElastiCache user group id", 40, _IDENTIFIER, _IDENTIFIER_SHAPE)
ELASTICACHE_SUBNET_GROUP = NameRule("ElastiCache subnet group name", 255, r"[a-z0-9-]+",
                                    "lowercase letters, digits and '-'")
# The master user RDS creates; a service must not log in as it.
POSTGRES_ADMIN_USER = "payledger_admin"
# PostgreSQL reserves pg_ and RDS its own rds_ roles and rdsadmin.
POSTGRES_ROLE = NameRule("PostgreSQL role", 63, r"[a-z_][a-z0-9_]*", "a letter or '_', then letters, digits and '_'",
                         reserved_prefixes=("pg_", "rds_"), reserved=("rdsadmin", POSTGRES_ADMIN_USER),
                         unique_in="environment")
# Kubernetes: most kinds take DNS-1123 subdomains, a Service a DNS-1035 label (it becomes a DNS name).
KUBERNETES_NAME = NameRule("Kubernetes object name", 253, rf"{_DNS_LABEL}(\.{_DNS_LABEL})*",
                           "lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
                           unique_in="namespace")
KUBERNETES_SERVICE = NameRule("Kubernetes Service name", 63, r"[a-z]([-a-z0-9]*[a-z0-9])?",
                              "a lowercase letter, then letters, digits and '-', not ending with '-' (DNS-1035)",
                              unique_in="namespace")
GRAFANA_UID = NameRule("Grafana dashboard uid", 40, r"[A-Za-z0-9_-]+", "letters, digits, '_' and '-'",
                       unique_in="environment")


class ServiceAccountRef(NamedTuple):
    namespace: str
    name: str


# --- Argo CD and the cluster's own namespaces ---

ARGOCD_NAMESPACE = "argocd"
# Namespaces Kubernetes and Argo CD own: the catalog neither declares nor runs anything in them.
RESERVED_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system", ARGOCD_NAMESPACE)
# Add-ons Argo CD installs from Helm charts (k8s_charts.addons), by Application name, and the
# namespace each runs in.
ADDON_NAMESPACES: dict[str, str] = {
    "kube-prometheus-stack": "observability",
    "cert-manager": "cert-manager",
    "external-secrets": "external-secrets",
    "ingress-nginx": "ingress-nginx",
    "loki": "observability",
    "tempo": "observability",
}
# The app-of-apps (k8s_charts.argocd): the root, the namespaces folder, the cluster-wide objects
# folder and the services ApplicationSet's folder; each add-on is an Application too.
ROOT_APP = "root"
CLUSTER_APP = "cluster"
CLUSTER_CONFIG_APP = "cluster-config"
SERVICES_APP = "services-appset"
ARGOCD_APPLICATIONS = (ROOT_APP, CLUSTER_APP, CLUSTER_CONFIG_APP, SERVICES_APP, *ADDON_NAMESPACES)
# AppProjects: Argo CD's own `default` (the root lives there), `system` for the add-ons and one per
# workload namespace, named after it.
DEFAULT_PROJECT = "default"
SYSTEM_PROJECT = "system"

# Add-ons that call AWS through IRSA: the ServiceAccount their Helm chart runs under.
ADDON_SERVICE_ACCOUNTS: dict[str, ServiceAccountRef] = {
    "cert-manager": ServiceAccountRef(ADDON_NAMESPACES["cert-manager"], "cert-manager"),
    "external-secrets": ServiceAccountRef(ADDON_NAMESPACES["external-secrets"], "external-secrets"),
    "loki": ServiceAccountRef(ADDON_NAMESPACES["loki"], "loki"),
    "tempo": ServiceAccountRef(ADDON_NAMESPACES["tempo"], "tempo"),
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


# --- Terraform: stacks and state ---


@derives(STACK)
def stack_name(env: Environment) -> str:
    """The environment's stack; also the base of the names of its network, databases and WAF."""
    return f"{env.project}-{env.name}"


@derives(STACK)
def state_stack_name(env: Environment) -> str:
    """The bootstrap stack that creates the state bucket and lock table (applied once, local state)."""
    return f"{stack_name(env)}-state"


@derives(S3_BUCKET)
def bucket_name(env: Environment, purpose: str) -> str:
    """S3 bucket names are global: the account id keeps them unique across organisations."""
    return f"{env.project}-{env.name}-{purpose}-{env.account_id}"


@derives(S3_BUCKET)
def state_bucket_name(env: Environment) -> str:
    return bucket_name(env, "tfstate")


@derives(DYNAMODB_TABLE)
def state_lock_table_name(env: Environment) -> str:
    return f"{env.project}-{env.name}-tfstate-lock"


@derives(KMS_ALIAS)
def kms_alias(env: Environment, purpose: str) -> str:
    return f"alias/{stack_name(env)}-{purpose}"


# --- AWS-side names (infra_stacks); shared with Kubernetes where a workload needs them ---


def role_arn(env: Environment, role_name: str) -> str:
    return f"arn:aws:iam::{env.account_id}:role/{role_name}"


@derives(IAM_ROLE)
def service_role_name(env: Environment, service: Service) -> str:
    return f"{env.project}-{env.name}-svc-{service.name}"


@derives(IAM_ROLE)
def addon_role_name(env: Environment, addon: str) -> str:
    return f"{env.project}-{env.name}-addon-{addon}"


def service_account(service: Service) -> ServiceAccountRef:
    """The ServiceAccount a service's pods run as; its IRSA trust is bound to exactly this."""
    return ServiceAccountRef(service.namespace, service.name)


@derives(KMS_ALIAS)
def service_kms_alias(env: Environment, service: Service) -> str:
    """Alias of the key a service with `aws_access: [kms]` encrypts application data with."""
    return kms_alias(env, f"svc-{service.name}")


@derives(ECR_REPOSITORY)
def ecr_repository_name(service: Service) -> str:
    return service.image


@derives(IMAGE_NAME)
def image_name(env: Environment, service: Service) -> str:
    return f"{env.account_id}.dkr.ecr.{env.region}.amazonaws.com/{ecr_repository_name(service)}"


def image_reference(env: Environment, service: Service, tag: str) -> str:
    return f"{image_name(env, service)}:{tag}"


def aws_secret_prefix(env: Environment, component: str | None = None) -> str:
    """Secrets Manager name prefix of an environment (or one component), for IAM resource patterns."""
    base = f"{env.project}/{env.name}/"
    return f"{base}{component}/" if component else base


@derives(SECRET_NAME)
def aws_secret_name(env: Environment, component: str) -> str:
    """Secrets Manager name of connection details Terraform writes (component: postgres, redis)."""
    return f"{aws_secret_prefix(env, component)}connection"


def vault_secret_path(env: Environment, service: Service) -> str:
    """Vault KV path holding a service's application secrets, one property per secret."""
    return f"{env.project}/{env.name}/{service.name}"


@derives(EKS_CLUSTER)
def eks_cluster_name(env: Environment) -> str:
    return env.cluster_name


@derives(IAM_ROLE)
def cluster_role_name(cluster: str) -> str:
    return f"{cluster}-cluster"


@derives(IAM_ROLE)
def node_role_name(cluster: str) -> str:
    return f"{cluster}-node"


@derives(LAUNCH_TEMPLATE)
def launch_template_name(cluster: str, pool: str) -> str:
    return f"{cluster}-{pool}"


@derives(LOG_GROUP)
def cluster_log_group(cluster: str) -> str:
    """EKS writes control plane logs to this group; creating it first lets us encrypt and expire it."""
    return f"/aws/eks/{cluster}/cluster"


@derives(LOG_GROUP)
def flow_log_group(stack: str) -> str:
    return f"/aws/vpc/{stack}/flow-logs"


@derives(IAM_ROLE)
def flow_log_role_name(stack: str) -> str:
    return f"{stack}-vpc-flow-logs"


@derives(SECURITY_GROUP)
def security_group_name(stack: str, purpose: str) -> str:
    return f"{stack}-{purpose}"


@derives(RDS_INSTANCE)
def postgres_identifier(stack: str) -> str:
    return f"{stack}-postgres"


@derives(RDS_SUBNET_GROUP)
def db_subnet_group_name(stack: str) -> str:
    return f"{stack}-postgres"


@derives(RDS_SNAPSHOT)
def final_snapshot_identifier(stack: str) -> str:
    return f"{postgres_identifier(stack)}-final"


@derives(RDS_PARAMETER_GROUP)
def db_parameter_group_name(stack: str) -> str:
    """Named after its family (infra_stacks.postgres): a group's family cannot change in place."""
    return f"{stack}-postgres16"


@derives(IAM_ROLE)
def postgres_monitoring_role_name(stack: str) -> str:
    return f"{stack}-rds-monitoring"


@derives(LOG_GROUP)
def postgres_log_group(stack: str, kind: str) -> str:
    """RDS exports `kind` logs here; creating the group first lets us encrypt and expire it."""
    return f"/aws/rds/instance/{postgres_identifier(stack)}/{kind}"


@derives(POSTGRES_ROLE)
def postgres_user(service: Service) -> str:
    """The database role a service logs in as with IAM authentication (no password)."""
    return service.name.replace("-", "_")


@derives(ELASTICACHE_GROUP)
def redis_group_id(stack: str) -> str:
    return f"{stack}-redis"


@derives(ELASTICACHE_USER_GROUP)
def redis_user_group_id(stack: str) -> str:
    return f"{stack}-redis"


@derives(ELASTICACHE_SUBNET_GROUP)
def redis_subnet_group_name(stack: str) -> str:
    return f"{stack}-redis"


@derives(ELASTICACHE_USER)
def redis_default_user(stack: str) -> str:
    """Id of the disabled user that replaces ElastiCache's built-in `default`."""
    return f"{stack}-default"


@derives(ELASTICACHE_USER)
def redis_user(env: Environment, service: Service) -> str:
    """ElastiCache RBAC user (id == name, as IAM authentication requires) a service connects as."""
    return f"{env.project}-{env.name}-{service.name}"


@derives(LOG_GROUP)
def redis_log_group(stack: str) -> str:
    return f"/aws/elasticache/{redis_group_id(stack)}/slow-log"


@derives(WAF_ACL)
def waf_acl_name(stack: str) -> str:
    return stack


@derives(WAF_LOG_GROUP)
def waf_log_group(acl: str) -> str:
    return f"aws-waf-logs-{acl}"


# --- Kubernetes-side names (k8s_charts) ---


class KubernetesObject(NamedTuple):
    kind: str
    name: str


DEFAULT_DENY_POLICY = "default-deny"
DNS_EGRESS_POLICY = "allow-dns-egress"
ISTIOD_EGRESS_POLICY = "allow-istiod-egress"
# What every workload namespace holds before any service: Kubernetes' own objects and the network
# guard rails of k8s_charts.namespaces. A service's object of the same kind and name would replace one.
NAMESPACE_OBJECTS = (
    KubernetesObject("ServiceAccount", "default"),
    KubernetesObject("ConfigMap", "kube-root-ca.crt"),
    *(KubernetesObject("NetworkPolicy", name)
      for name in (DEFAULT_DENY_POLICY, DNS_EGRESS_POLICY, ISTIOD_EGRESS_POLICY)),
)


@derives(KUBERNETES_NAME)
def kubernetes_secret_name(service: Service, source: str) -> str:
    """A Secret of a service: from an ExternalSecret (source: app, postgres, redis) or cert-manager (tls)."""
    return f"{service.name}-{source}"


@derives(KUBERNETES_NAME)
def config_map_name(service: Service) -> str:
    return f"{service.name}-config"


@derives(KUBERNETES_NAME)
def dashboard_name(service: Service) -> str:
    return f"{service.name}-dashboard"


@derives(KUBERNETES_NAME)
def slo_rule_name(service: Service) -> str:
    return f"{service.name}-slo"


@derives(KUBERNETES_NAME)
def network_policy_name(service: Service, direction: Literal["ingress", "egress"]) -> str:
    return f"{service.name}-{direction}"


@derives(GRAFANA_UID)
def dashboard_uid(env: Environment, service: Service) -> str:
    """Grafana's id of a service's dashboard: one Grafana per cluster, so the environment is in it."""
    return f"{env.name}-{service.name}"


def service_objects(service: Service) -> tuple[KubernetesObject, ...]:
    """Every object a service puts into its namespace, by kind and name, for catalog.rules to check."""
    workload = KUBERNETES_SERVICE(service.name)
    named_after = ("Deployment", "Service", "ServiceAccount", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                   "ServiceMonitor")
    objects = [KubernetesObject(kind, workload) for kind in named_after]
    objects += [KubernetesObject("ConfigMap", config_map_name(service)),
                KubernetesObject("ConfigMap", dashboard_name(service)),
                KubernetesObject("PrometheusRule", slo_rule_name(service)),
                KubernetesObject("NetworkPolicy", network_policy_name(service, "ingress")),
                KubernetesObject("NetworkPolicy", network_policy_name(service, "egress"))]
    secrets = [source for source, wanted in (("app", bool(service.vault_secrets)),
                                            ("postgres", service.depends_on.postgres),
                                            ("redis", service.depends_on.redis)) if wanted]
    for source in secrets:
        secret = kubernetes_secret_name(service, source)
        objects += [KubernetesObject("ExternalSecret", secret), KubernetesObject("Secret", secret)]
    if service.public:
        objects += [KubernetesObject("Ingress", workload),
                    KubernetesObject("Secret", kubernetes_secret_name(service, "tls"))]
    return tuple(objects)
