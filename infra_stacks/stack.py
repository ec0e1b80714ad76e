"""One environment's AWS infrastructure: the constructs composed like a Terraform root module.

The root is the only place that reads the Environment: it derives every name through catalog.naming
and hands each construct the few typed values it needs, so environment differences arrive as parameters.
"""

from __future__ import annotations

from collections.abc import Callable

from cdktf import TerraformOutput, TerraformStack
from constructs import Construct

from catalog import naming
from catalog.models import Environment
from catalog.regions import ELB_LOG_DELIVERY_ACCOUNTS
from infra_stacks.backup import BackupCopyVault, DatabaseBackup
from infra_stacks.cluster import Cluster, NodePool
from infra_stacks.edge import Edge
from infra_stacks.ingress import CertManagerDns, WebAcl
from infra_stacks.irsa import IrsaRole, ServiceGrants, service_statements
from infra_stacks.kms import CustomerKey, autoscaling_statements, logs_statement
from infra_stacks.monitoring import GRAFANA_STATEMENTS, RETENTION_DAYS, TelemetryBackend, TelemetryStorage
from infra_stacks.network import Network
from infra_stacks.policy import AwsAccount
from infra_stacks.postgres import PostgresDatabase
from infra_stacks.provider import aws_provider
from infra_stacks.publishers import ImagePublishers, Publisher
from infra_stacks.redis import RedisCache
from infra_stacks.registry import Registry
from infra_stacks.state import configure_backend

__all__ = ["EnvironmentStack", "node_pools"]


def node_pools(env: Environment) -> dict[str, NodePool]:
    """The pools of a cluster: general, spot and GPU everywhere, the tainted on-demand PCI pool where the
    catalog asks for one; only sizes and instance types vary per environment."""
    groups = env.node_groups
    gpu_taint = naming.GPU_TAINT

    def sized(group, **kwargs) -> NodePool:
        return NodePool(instance_types=group.instance_types, min_size=group.min, max_size=group.max,
                        desired_size=group.desired, **kwargs)

    pools = {
        "general": sized(groups.general, labels={naming.NODE_POOL_LABEL: "general"}),
        "spot": sized(groups.spot, capacity_type="SPOT", labels={naming.NODE_POOL_LABEL: "spot"}),
        naming.GPU_NODE_POOL: sized(groups.gpu, ami_type="AL2023_x86_64_NVIDIA", disk_gb=100,
                                    labels={naming.NODE_POOL_LABEL: naming.GPU_NODE_POOL}, taints=[gpu_taint]),
    }
    if groups.pci:
        pools[naming.PCI_NODE_POOL] = sized(groups.pci, labels={naming.NODE_POOL_LABEL: naming.PCI_NODE_POOL},
                                            taints=[naming.PCI_TAINT])
    return pools


class EnvironmentStack(TerraformStack):
    """Everything of one environment in its own account; named `naming.stack_name(env)`.

    Args:
        env: the environment, resolved from the catalog.
        local_backend: state in a local file beside the stack instead of the S3 backend (tests, trials).
    """

    def __init__(self, scope: Construct, *, env: Environment, local_backend: bool) -> None:
        name = naming.stack_name(env)
        super().__init__(scope, name)
        account = AwsAccount.of(env)
        aws_provider(self, env)
        configure_backend(self, env, local=local_backend)

        def key(purpose: str, description: str, **kwargs) -> CustomerKey:
            return CustomerKey(self, f"key_{purpose}", account=account, alias=naming.kms_alias(env, purpose),
                               description=f"{name}: {description}", **kwargs)

        logs_key = key("logs", "CloudWatch log groups", grants=[logs_statement(account)])
        eks_key = key("eks", "Kubernetes secrets envelope encryption")
        volume_key = key(naming.VOLUME_KEY, "node and persistent volumes", grants=autoscaling_statements(account))
        data_key = key("data", "RDS and ElastiCache storage, Performance Insights")
        secrets_key = key("secrets", "Secrets Manager entries")
        storage_key = key("s3", "Loki and Tempo buckets")
        registry_key = key("ecr", "container images")
        service_keys = {
            service.name: CustomerKey(self, f"key_svc_{service.name}", account=account,
                                      alias=naming.service_kms_alias(env, service),
                                      description=f"{name}: {service.name} application data").arn
            for service in env.services.values() if "kms" in service.aws_access
        }

        cluster_name = naming.eks_cluster_name(env)
        network = Network(self, "network", account=account, name=name, cidr=env.vpc_cidr,
                          zones=env.availability_zones, plan=naming.subnet_plan(env),
                          nat_per_zone=env.nat_gateways == "per_az", cluster_name=cluster_name,
                          log_key_arn=logs_key.arn)
        cluster = Cluster(self, "cluster", account=account, name=cluster_name, version=env.kubernetes_version,
                          subnet_ids=network.private_subnet_ids, public_endpoint=env.cluster_public_endpoint,
                          public_access_cidrs=env.cluster_public_access_cidrs, pools=node_pools(env),
                          secrets_key_arn=eks_key.arn, volume_key_arn=volume_key.arn, log_key_arn=logs_key.arn,
                          ebs_csi_role_name=naming.addon_role_name(env, "ebs-csi"))
        registry = Registry(self, "registry", key_arn=registry_key.arn, repositories={
            service.name: naming.ecr_repository_name(service) for service in env.services.values()})
        publishers = ImagePublishers(self, "publishers", account=account, github_environment=env.name, publishers={
            service.name: Publisher(role_name=naming.image_publisher_role_name(env, service),
                                    source_repository=naming.source_repository(service),
                                    repository_arn=registry.repository_arns[service.name])
            for service in env.services.values()})

        stores = {"name": name, "vpc_id": network.vpc_id, "subnet_ids": network.data_subnet_ids,
                  "client_security_group_id": cluster.security_group_id, "storage_key_arn": data_key.arn,
                  "secrets_key_arn": secrets_key.arn, "log_key_arn": logs_key.arn}
        postgres = PostgresDatabase(self, "postgres", account=account, settings=env.postgres,
                                    secret_name=naming.aws_secret_name(env, "postgres"), **stores)
        database_backup = DatabaseBackup(
            self, "backup", vault_name=naming.backup_vault_name(name),
            key_arn=key("backup", "AWS Backup recovery points").arn, plan_name=naming.backup_plan_name(name),
            rule_name=naming.BACKUP_RULE, schedule=env.backup.schedule, retention_days=env.backup.retention_days,
            selection_name=naming.backup_selection_name(name), resources=[postgres.this.arn],
            role_name=naming.backup_role_name(name), copy=self._backup_copy(env, key))
        redis_users = {service.name: naming.redis_user(env, service)
                       for service in env.services.values() if service.depends_on.redis}
        redis = RedisCache(self, "redis", settings=env.redis, users=redis_users,
                           secret_name=naming.aws_secret_name(env, "redis"), **stores)

        web_acl = WebAcl(self, "waf", name=naming.waf_acl_name(name), log_key_arn=logs_key.arn)
        dns = CertManagerDns(self, "cert_manager", role_name=naming.addon_role_name(env, "cert-manager"),
                             issuer=cluster.issuer, domain=env.domain, zone_id=env.route53_zone_id,
                             zone_comment=f"{env.project} {env.name}")
        controller = "aws-load-balancer-controller"
        edge = Edge(
            self, "edge", name=naming.load_balancer_name(name), target_group_name=naming.target_group_name(name),
            host=naming.public_host(env), zone_id=dns.zone_id, vpc_id=network.vpc_id,
            subnet_ids=network.public_subnet_ids, cluster_security_group_id=cluster.security_group_id,
            web_acl_arn=web_acl.arn, log_bucket=naming.bucket_name(env, "alb-logs"),
            log_writer_account=ELB_LOG_DELIVERY_ACCOUNTS[env.region], account=account,
            security_group_name=naming.security_group_name(name, "edge-alb"),
            deletion_protection=env.edge.deletion_protection,
            controller_role_name=naming.addon_role_name(env, controller),
            controller_service_account=naming.ADDON_SERVICE_ACCOUNTS[controller], issuer=cluster.issuer,
        )
        backends = {backend: TelemetryBackend(bucket=naming.bucket_name(env, backend),
                                              role=naming.addon_role_name(env, backend), retention_days=days)
                    for backend, days in RETENTION_DAYS.items()}
        telemetry = TelemetryStorage(self, "telemetry", region=env.region, issuer=cluster.issuer,
                                     key_arn=storage_key.arn, backends=backends)
        grafana = IrsaRole(self, "grafana_role", name=naming.addon_role_name(env, "grafana"), issuer=cluster.issuer,
                           service_account=naming.ADDON_SERVICE_ACCOUNTS["grafana"], statements=GRAFANA_STATEMENTS)

        grants = ServiceGrants(
            secrets_key_arn=secrets_key.arn,
            postgres_secret_arn=postgres.secret.arn,
            postgres_resource_id=postgres.this.resource_id,
            redis_secret_arn=redis.secret.arn,
            redis_group_arn=redis.this.arn,
            service_key_arns=service_keys,
        )
        service_roles = {
            service.name: IrsaRole(self, f"svc_{service.name}", name=naming.service_role_name(env, service),
                                   issuer=cluster.issuer, service_account=naming.service_account(service),
                                   statements=service_statements(
                                       service, grants, account=account,
                                       secret_prefix=naming.aws_secret_prefix(env, service.name),
                                       redis_user=redis_users.get(service.name))).arn
            for service in env.services.values()
        }

        outputs = {
            "vpc_id": network.vpc_id,
            "private_subnet_ids": network.private_subnet_ids,
            "cluster_name": cluster.this.name,
            "cluster_endpoint": cluster.this.endpoint,
            "cluster_security_group_id": cluster.security_group_id,
            "oidc_provider_arn": cluster.oidc_provider.arn,
            "postgres_address": postgres.this.address,
            "postgres_connection_secret_arn": postgres.secret.arn,
            "postgres_master_secret_arn": postgres.this.master_user_secret.get(0).secret_arn,
            "backup_vault_arn": database_backup.vault.arn,
            "backup_role_arn": database_backup.role.arn,
            "redis_primary_endpoint": redis.this.primary_endpoint_address,
            "redis_connection_secret_arn": redis.secret.arn,
            "waf_web_acl_arn": web_acl.arn,
            "load_balancer_dns_name": edge.dns_name,
            "target_group_arn": edge.target_group.arn,
            "route53_zone_id": dns.zone_id,
            "ecr_repository_urls": registry.repository_urls,
            "image_publisher_role_arns": publishers.role_arns,
            "telemetry_buckets": telemetry.bucket_names,
            "service_role_arns": service_roles,
            "addon_role_arns": {**telemetry.role_arns, "cert-manager": dns.arn,
                                "ebs-csi": cluster.ebs_csi_role_arn,
                                controller: edge.controller.arn, "grafana": grafana.arn},
        }
        for output_name, value in outputs.items():
            TerraformOutput(self, output_name, value=value)

    def _backup_copy(self, env: Environment, key: Callable[..., CustomerKey]) -> BackupCopyVault | None:
        """The copy vault and its key in `backup.copy_to.region`, through that region's provider; None without."""
        copy_to = env.backup.copy_to
        if copy_to is None:
            return None
        provider = aws_provider(self, env, region=copy_to.region)
        copy_key = key("backup-copy", f"AWS Backup copies in {copy_to.region}", provider=provider)
        return BackupCopyVault(provider=provider, name=naming.backup_copy_vault_name(naming.stack_name(env)),
                               key_arn=copy_key.arn, retention_days=copy_to.retention_days)
