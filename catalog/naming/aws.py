"""AWS-side names (infra_stacks), shared with Kubernetes where a workload needs them."""

from __future__ import annotations

from catalog.models import Environment, Service
from catalog.naming.platform import ServiceAccountRef
from catalog.naming.rules import (
    DYNAMODB_TABLE,
    ECR_REPOSITORY,
    EKS_CLUSTER,
    ELASTICACHE_GROUP,
    ELASTICACHE_SUBNET_GROUP,
    ELASTICACHE_USER,
    ELASTICACHE_USER_GROUP,
    IAM_ROLE,
    IMAGE_NAME,
    KMS_ALIAS,
    LAUNCH_TEMPLATE,
    LOG_GROUP,
    POSTGRES_ROLE,
    RDS_INSTANCE,
    RDS_PARAMETER_GROUP,
    RDS_SNAPSHOT,
    RDS_SUBNET_GROUP,
    S3_BUCKET,
    SECRET_NAME,
    SECURITY_GROUP,
    STACK,
    WAF_ACL,
    WAF_LOG_GROUP,
    derives,
)

__all__ = [
    "VOLUME_KEY",
    "addon_role_name",
    "aws_secret_name",
    "aws_secret_prefix",
    "bucket_name",
    "cluster_log_group",
    "cluster_role_name",
    "db_parameter_group_name",
    "db_subnet_group_name",
    "ecr_repository_name",
    "eks_cluster_name",
    "final_snapshot_identifier",
    "flow_log_group",
    "flow_log_role_name",
    "image_name",
    "image_reference",
    "kms_alias",
    "kms_alias_arn",
    "launch_template_name",
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
    "service_role_name",
    "stack_name",
    "state_bucket_name",
    "state_lock_table_name",
    "state_stack_name",
    "vault_role",
    "vault_secret_path",
    "waf_acl_name",
    "waf_log_group",
]


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


# The purpose of the KMS key that encrypts node disks and the EBS CSI driver's volumes.
VOLUME_KEY = "ebs"


@derives(KMS_ALIAS)
def kms_alias(env: Environment, purpose: str) -> str:
    return f"alias/{stack_name(env)}-{purpose}"


def kms_alias_arn(env: Environment, purpose: str) -> str:
    """The ARN of kms_alias: how the Kubernetes side names a key Terraform creates without knowing its id."""
    return f"arn:aws:kms:{env.region}:{env.account_id}:{kms_alias(env, purpose)}"


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


def image_reference(env: Environment, service: Service) -> str:
    """The image a service runs in `env`: its repository there, at its tag there."""
    return f"{image_name(env, service)}:{service.image_tag}"


def aws_secret_prefix(env: Environment, component: str | None = None) -> str:
    """Secrets Manager name prefix of an environment (or one component), for IAM resource patterns."""
    base = f"{env.project}/{env.name}/"
    return f"{base}{component}/" if component else base


@derives(SECRET_NAME)
def aws_secret_name(env: Environment, component: str) -> str:
    """Secrets Manager name of connection details Terraform writes (component: postgres, redis)."""
    return f"{aws_secret_prefix(env, component)}connection"


def vault_secret_path(env: Environment, owner: str) -> str:
    """Vault KV path holding the secrets of a service (or an add-on, e.g. grafana), one property each."""
    return f"{env.project}/{env.name}/{owner}"


def vault_role(env: Environment, owner: str) -> str:
    """The Vault Kubernetes-auth role, and its policy, that reads `owner`'s path and nothing else."""
    return f"{env.project}-{env.name}-{owner}"


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
    """The fixed part: infra_stacks.postgres appends `-<creation plan time, 14 digits>` (255 allowed)."""
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
