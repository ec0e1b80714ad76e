"""ElastiCache for Redis: TLS-only, encrypted, IAM-authenticated through an RBAC user group.

Why IAM authentication instead of an AUTH token: a token must exist before the replication
group is created, and offline planning rules out both the random provider and data sources that
call AWS. A token Terraform invents would also sit in state forever. With an RBAC user group whose
users authenticate with IAM, each service connects with short-lived SigV4 tokens minted from its
own IRSA role (`elasticache:Connect` on its own user only); there is no shared secret to leak or
rotate. The built-in `default` user is replaced by a disabled one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cdktf_cdktf_provider_aws.elasticache_replication_group import (
    ElasticacheReplicationGroup,
    ElasticacheReplicationGroupLogDeliveryConfiguration,
)
from cdktf_cdktf_provider_aws.elasticache_subnet_group import ElasticacheSubnetGroup
from cdktf_cdktf_provider_aws.elasticache_user import ElasticacheUser, ElasticacheUserAuthenticationMode
from cdktf_cdktf_provider_aws.elasticache_user_group import ElasticacheUserGroup
from constructs import Construct

from catalog import naming
from catalog.models import Redis
from infra_stacks.logs import log_group
from infra_stacks.network import cluster_only_security_group
from infra_stacks.secrets import ConnectionSecret

__all__ = ["ENGINE_VERSION", "RedisCache"]

PORT = naming.REDIS_PORT
ENGINE_VERSION = "7.1"  # IAM authentication needs Redis 7+
# Everything but the commands that can take a shared cache down or read its configuration.
SERVICE_ACCESS = "on ~* &* +@all -@dangerous"


class RedisCache(Construct):
    """Node type, node count and snapshot retention come from the catalog (`redis`).

    Args:
        name: prefix of every resource name (catalog.naming.stack_name); the group is `<name>-redis`.
        settings: the catalog's node type, node count (more than one: automatic failover, multi-AZ) and
            snapshot retention.
        users: the IAM-authenticated user (catalog.naming.redis_user) of each client service, by service.
        secret_name: the connection details' secret (catalog.naming.aws_secret_name).
        vpc_id: the VPC of the security group.
        subnet_ids: the data subnets (no internet route) the nodes may be placed in.
        client_security_group_id: the only security group admitted, on the Redis port (the cluster's).
        storage_key_arn: the KMS key of data at rest.
        secrets_key_arn: the KMS key of the connection details' secret.
        log_key_arn: the KMS key of the slow log group.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        settings: Redis,
        users: Mapping[str, str],
        secret_name: str,
        vpc_id: str,
        subnet_ids: Sequence[str],
        client_security_group_id: str,
        storage_key_arn: str,
        secrets_key_arn: str,
        log_key_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        sg = cluster_only_security_group(self, name=naming.security_group_name(name, "redis"), engine="Redis",
                                         port=PORT, vpc_id=vpc_id, client_security_group_id=client_security_group_id)
        subnets = ElasticacheSubnetGroup(self, "subnets", name=naming.redis_subnet_group_name(name),
                                         subnet_ids=list(subnet_ids), description="data subnets")
        default = ElasticacheUser(
            self, "default_user", user_id=naming.redis_default_user(name), user_name="default", engine="redis",
            access_string="off -@all",
            authentication_mode=ElasticacheUserAuthenticationMode(type="no-password-required"))
        clients = [
            ElasticacheUser(
                self, f"user_{service}", user_id=user, user_name=user, engine="redis", access_string=SERVICE_ACCESS,
                authentication_mode=ElasticacheUserAuthenticationMode(type="iam"))
            for service, user in users.items()
        ]
        group = ElasticacheUserGroup(self, "users", user_group_id=naming.redis_user_group_id(name), engine="redis",
                                     user_ids=[default.user_id, *(u.user_id for u in clients)])
        slow_log = log_group(self, "slow_log", name=naming.redis_log_group(name), key_arn=log_key_arn)
        replicated = settings.num_cache_clusters > 1
        self.this = ElasticacheReplicationGroup(
            self, "this",
            replication_group_id=naming.redis_group_id(name),
            description=f"{name} cache",
            engine="redis",
            engine_version=ENGINE_VERSION,
            node_type=settings.node_type,
            num_cache_clusters=settings.num_cache_clusters,
            automatic_failover_enabled=replicated,
            multi_az_enabled=replicated,
            port=PORT,
            parameter_group_name="default.redis7",
            subnet_group_name=subnets.name,
            security_group_ids=[sg.id],
            at_rest_encryption_enabled="true",
            kms_key_id=storage_key_arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            user_group_ids=[group.user_group_id],
            snapshot_retention_limit=settings.snapshot_retention_days,
            snapshot_window="01:00-02:00",
            maintenance_window="sun:04:30-sun:05:30",
            auto_minor_version_upgrade="true",
            log_delivery_configuration=[ElasticacheReplicationGroupLogDeliveryConfiguration(
                destination=slow_log.name, destination_type="cloudwatch-logs", log_format="json",
                log_type="slow-log")],
        )
        self.secret = ConnectionSecret(self, "connection", name=secret_name, component="redis",
                                       key_arn=secrets_key_arn, values={
                                           "host": self.this.primary_endpoint_address,
                                           "reader_host": self.this.reader_endpoint_address,
                                           "port": str(PORT),
                                           "tls": "true",
                                           "auth": "iam",
                                       })
        self.security_group_id = sg.id
