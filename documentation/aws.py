"""aws.md: what an environment's two Terraform stacks create in AWS, one section per component.

Rendered from the catalog with the naming functions and inputs infra_stacks.stack uses, never by
synthesizing Terraform: `check` renders every page on each run and must stay fast. The page is kept
honest by tests/test_generated_docs.py, which finds every value shown in a code span among the values
of the synthesized stacks, and every instance of the resource types the page lists on the page.
A new component is one function added to SECTIONS.
"""

from __future__ import annotations

from collections.abc import Callable

from catalog import Catalog, Environment, naming
from catalog.models import NodeGroup
from catalog.rules.names import BUCKETS, KMS_KEYS, POSTGRES_LOGS
from documentation.markdown import code, codes, table, yes_no

__all__ = ["SECTIONS", "kms_aliases", "node_groups", "page"]

# What each subnet tier is for (naming.SubnetPlan's fields, infra_stacks.network).
TIER_USE = {"public": "load balancer, NAT gateways", "private": "EKS nodes and pods",
            "data": "RDS and ElastiCache, no internet route"}


def _settings(rows: list[tuple[str, str]]) -> list[str]:
    return table(("Setting", "Value"), rows)


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def state(env: Environment) -> list[str]:
    return [
        f"## Terraform state ({code(naming.state_stack_name(env))})",
        "",
        f"Applied once per account with local state; {code(naming.stack_name(env))} keeps its state here.",
        "",
        *_settings([
            ("S3 bucket (versioned, KMS-encrypted)", code(naming.state_bucket_name(env))),
            ("DynamoDB lock table", code(naming.state_lock_table_name(env))),
            ("KMS key", code(naming.kms_alias(env, "tfstate"))),
        ]),
    ]


def network(env: Environment) -> list[str]:
    plan = naming.subnet_plan(env)
    stack = naming.stack_name(env)
    nat = (f"one per zone ({len(env.availability_zones)})" if env.nat_gateways == "per_az"
           else "one, shared by every zone")
    subnets = [(f"{tier} ({TIER_USE.get(tier, tier)})", *(code(cidr) for cidr in getattr(plan, tier)))
               for tier in plan._fields]
    return [
        "## Network",
        "",
        *_settings([
            ("VPC (Name tag)", code(naming.vpc_name(stack))),
            ("CIDR", code(env.vpc_cidr)),
            ("Availability zones", codes(env.availability_zones)),
            ("NAT gateways", nat),
            ("Flow logs", code(naming.flow_log_group(stack))),
            ("Security group of the VPC endpoints", code(naming.security_group_name(stack, "vpc-endpoints"))),
        ]),
        "",
        "Subnets, one per tier and zone:",
        "",
        *table(("Tier", *env.availability_zones), subnets),
    ]


def node_groups(env: Environment) -> dict[str, NodeGroup]:
    """The managed node groups by name: the catalog's `node_groups`, the optional ones where set."""
    groups = env.node_groups
    return {name: group for name in type(groups).model_fields if (group := getattr(groups, name)) is not None}


def cluster(env: Environment) -> list[str]:
    name = naming.eks_cluster_name(env)
    endpoint = ("public, from " + codes(env.cluster_public_access_cidrs) if env.cluster_public_endpoint
                else "private (from the VPC only)")
    groups = [(code(pool), codes(group.instance_types), str(group.min), str(group.desired), str(group.max),
               code(naming.launch_template_name(name, pool))) for pool, group in node_groups(env).items()]
    return [
        "## EKS",
        "",
        *_settings([
            ("Cluster", code(name)),
            ("Kubernetes version", code(env.kubernetes_version)),
            ("API endpoint", endpoint),
            ("Service CIDR", code(naming.KUBERNETES_SERVICE_CIDR)),
            ("Control plane logs", code(naming.cluster_log_group(name))),
        ]),
        "",
        "Managed node groups (the cluster autoscaler moves the desired size within min and max):",
        "",
        *table(("Node group", "Instance types", "Min", "Desired", "Max", "Launch template"), groups),
    ]


def postgres(env: Environment) -> list[str]:
    stack, settings = naming.stack_name(env), env.postgres
    return [
        "## RDS PostgreSQL",
        "",
        *_settings([
            ("Instance", code(naming.postgres_identifier(stack))),
            ("Instance class", code(settings.instance_class)),
            ("Storage", f"{settings.allocated_storage_gb} GB"),
            ("Multi-AZ", yes_no(settings.multi_az)),
            ("Backup retention", _days(settings.backup_retention_days)),
            ("Deletion protection", yes_no(settings.deletion_protection)),
            ("Final snapshot", f"{code(naming.final_snapshot_identifier(stack))}-YYYYMMDDhhmmss, "
                               "the UTC time of the plan that created the instance"),
            ("Subnet group", code(naming.db_subnet_group_name(stack))),
            ("Parameter group", code(naming.db_parameter_group_name(stack))),
            ("Security group", code(naming.security_group_name(stack, "postgres"))),
            ("Connection details", code(naming.aws_secret_name(env, "postgres"))),
            ("Log groups", codes(naming.postgres_log_group(stack, kind) for kind in POSTGRES_LOGS)),
        ]),
    ]


def redis(env: Environment) -> list[str]:
    stack, settings = naming.stack_name(env), env.redis
    users = [naming.redis_user(env, s) for s in sorted(env.services.values(), key=lambda s: s.name)
             if s.depends_on.redis]
    return [
        "## ElastiCache Redis",
        "",
        *_settings([
            ("Replication group", code(naming.redis_group_id(stack))),
            ("Node type", code(settings.node_type)),
            ("Nodes", f"{settings.num_cache_clusters} (failover across zones: "
                      f"{yes_no(settings.num_cache_clusters > 1)})"),
            ("Snapshot retention", _days(settings.snapshot_retention_days)),
            ("Subnet group", code(naming.redis_subnet_group_name(stack))),
            ("Security group", code(naming.security_group_name(stack, "redis"))),
            ("User group", code(naming.redis_user_group_id(stack))),
            ("Users (IAM authentication)", codes(users)),
            ("Disabled default user", code(naming.redis_default_user(stack))),
            ("Connection details", code(naming.aws_secret_name(env, "redis"))),
            ("Slow log", code(naming.redis_log_group(stack))),
        ]),
    ]


def edge(env: Environment) -> list[str]:
    stack = naming.stack_name(env)
    acl = naming.waf_acl_name(stack)
    zone = code(env.route53_zone_id) if env.route53_zone_id else "created by the stack"
    return [
        "## Edge and WAF",
        "",
        *_settings([
            ("Public host", code(naming.public_host(env))),
            ("Route53 hosted zone", zone),
            ("Application Load Balancer", code(naming.load_balancer_name(stack))),
            ("Deletion protection", yes_no(env.edge.deletion_protection)),
            ("Target group (NGINX data plane)", code(naming.target_group_name(stack))),
            ("Security group", code(naming.security_group_name(stack, "edge-alb"))),
            ("WAF web ACL", code(acl)),
            ("WAF logs", code(naming.waf_log_group(acl))),
        ]),
    ]


def kms_aliases(env: Environment) -> list[str]:
    """Every customer-managed key of the environment by alias: one per purpose, one per service that asks."""
    services = sorted(env.services.values(), key=lambda service: service.name)
    purposes = [purpose for purpose in KMS_KEYS if purpose != "backup-copy" or env.backup.copy_to]
    return [*(naming.kms_alias(env, purpose) for purpose in purposes),
            *(naming.service_kms_alias(env, s) for s in services if "kms" in s.aws_access)]


def kms(env: Environment) -> list[str]:
    return [
        "## KMS keys",
        "",
        "Customer-managed, rotated yearly, one per purpose:",
        "",
        *table(("Alias",), ([code(alias)] for alias in kms_aliases(env))),
    ]


def registry(env: Environment) -> list[str]:
    services = sorted(env.services.values(), key=lambda service: service.name)
    return [
        "## ECR repositories",
        "",
        "Immutable tags, scanned on push, KMS-encrypted:",
        "",
        *table(("Repository", "Service"), ((code(naming.ecr_repository_name(s)), s.name) for s in services)),
    ]


def buckets(env: Environment) -> list[str]:
    return [
        "## S3 buckets",
        "",
        *table(("Bucket", "Purpose"), ((code(naming.bucket_name(env, purpose)), purpose) for purpose in BUCKETS)),
    ]


def backup(env: Environment) -> list[str]:
    stack, settings = naming.stack_name(env), env.backup
    key = code(naming.kms_alias(env, "backup"))
    rows = [("Vault", code(naming.backup_vault_name(stack)), f"{env.region}, key {key}"),
            ("Plan", code(naming.backup_plan_name(stack)),
             f"{settings.schedule.expression}, kept {_days(settings.retention_days)}"),
            ("Selection", code(naming.backup_selection_name(stack)), "the PostgreSQL instance")]
    if settings.copy_to:
        rows.append(("Copy vault", code(naming.backup_copy_vault_name(stack)),
                     f"{settings.copy_to.region}, key {code(naming.kms_alias(env, 'backup-copy'))}, "
                     f"kept {_days(settings.copy_to.retention_days)}"))
    return ["## AWS Backup", "", *table(("Resource", "Name", "Settings"), rows)]


def iam(env: Environment) -> list[str]:
    stack, cluster_name = naming.stack_name(env), naming.eks_cluster_name(env)

    def irsa(account: naming.ServiceAccountRef) -> str:
        return f"IRSA: {code(f'{account.namespace}/{account.name}')}"

    services = sorted(env.services.values(), key=lambda service: service.name)
    rows = [
        *((code(naming.service_role_name(env, s)), irsa(naming.service_account(s))) for s in services),
        *((code(naming.addon_role_name(env, addon)), irsa(account))
          for addon, account in naming.ADDON_SERVICE_ACCOUNTS.items()),
        *((code(naming.image_publisher_role_name(env, s)),
           f"GitHub Actions: {code(naming.source_repository(s))}, environment {code(env.name)} (push its image)")
          for s in services),
        (code(naming.cluster_role_name(cluster_name)), "EKS control plane"),
        (code(naming.node_role_name(cluster_name)), "EKS nodes"),
        (code(naming.flow_log_role_name(stack)), "VPC flow logs"),
        (code(naming.postgres_monitoring_role_name(stack)), "RDS enhanced monitoring"),
        (code(naming.backup_role_name(stack)), "AWS Backup (backup and restore)"),
    ]
    return [
        "## IAM roles",
        "",
        "Services and add-ons each assume their own role through IRSA, trusted for their ServiceAccount",
        "(namespace/name) only; each service's repository pushes its image with a role of its own",
        "(GitHub Actions OIDC):",
        "",
        *table(("Role", "Assumed by"), rows),
    ]


# In page order; each takes the environment and returns its section's lines.
SECTIONS: tuple[Callable[[Environment], list[str]], ...] = (
    state, network, cluster, postgres, redis, edge, backup, kms, registry, buckets, iam)


def page(catalog: Catalog, env: Environment) -> str:
    lines = [
        f"# AWS resources of {env.name}",
        "",
        f"What the stacks {code(naming.stack_name(env))} and {code(naming.state_stack_name(env))} create in "
        f"account {code(env.account_id)}, region {code(env.region)}.",
    ]
    for section in SECTIONS:
        lines += ["", *section(env)]
    return "\n".join([*lines, ""])
