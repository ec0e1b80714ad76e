"""RDS PostgreSQL in the data subnets, reachable only from the cluster."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import Fn, TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.db_instance import DbInstance
from cdktf_cdktf_provider_aws.db_parameter_group import DbParameterGroup, DbParameterGroupParameter
from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from catalog import naming
from catalog.models import Postgres
from infra_stacks.logs import log_group
from infra_stacks.network import cluster_only_security_group
from infra_stacks.policy import AwsAccount, service_trust
from infra_stacks.secrets import ConnectionSecret

__all__ = ["ENGINE_VERSION", "PostgresDatabase"]

PORT = naming.POSTGRES_PORT
ENGINE_VERSION = "16"  # major only: RDS picks the current 16.x and auto minor upgrades keep it there
LOG_EXPORTS = ("postgresql", "upgrade")
DATABASE = "payledger"
# The plan that creates the instance, to the second (UTC): known at plan time, different for every
# deployment of the environment, and fixed for the instance's life by ignore_changes below.
CREATED = Fn.formatdate("YYYYMMDDhhmmss", Fn.plantimestamp())


class PostgresDatabase(Construct):
    """Sizing, multi-AZ, retention and deletion protection come from the catalog (`postgres`).

    Applications log in with IAM database authentication; the master password exists only in the
    Secrets Manager secret RDS manages and rotates (`manage_master_user_password`).

    Args:
        account: the account of the enhanced monitoring role (its trust is pinned to it).
        name: prefix of every resource name (catalog.naming.stack_name); the instance is `<name>-postgres`.
        settings: the catalog's sizing, multi-AZ, backup retention and deletion protection.
        secret_name: the connection details' secret (catalog.naming.aws_secret_name).
        vpc_id: the VPC of the security group.
        subnet_ids: the data subnets (no internet route) the instance may be placed in.
        client_security_group_id: the only security group admitted, on the PostgreSQL port (the cluster's).
        storage_key_arn: the KMS key of storage and Performance Insights.
        secrets_key_arn: the KMS key of the master password's and the connection details' secrets.
        log_key_arn: the KMS key of the exported log groups.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        account: AwsAccount,
        name: str,
        settings: Postgres,
        secret_name: str,
        vpc_id: str,
        subnet_ids: Sequence[str],
        client_security_group_id: str,
        storage_key_arn: str,
        secrets_key_arn: str,
        log_key_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        sg = cluster_only_security_group(self, name=naming.security_group_name(name, "postgres"), engine="PostgreSQL",
                                         port=PORT, vpc_id=vpc_id, client_security_group_id=client_security_group_id)
        subnets = DbSubnetGroup(self, "subnets", name=naming.db_subnet_group_name(name), subnet_ids=list(subnet_ids),
                                description="data subnets")
        parameters = DbParameterGroup(
            self, "parameters", name=naming.db_parameter_group_name(name), family="postgres16",
            description="TLS only; log DDL and slow statements (not all: statements may carry card data)",
            parameter=[
                DbParameterGroupParameter(name="rds.force_ssl", value="1"),
                DbParameterGroupParameter(name="log_statement", value="ddl"),
                DbParameterGroupParameter(name="log_min_duration_statement", value="1000"),
                DbParameterGroupParameter(name="log_connections", value="1"),
                DbParameterGroupParameter(name="log_disconnections", value="1"),
            ],
        )
        monitoring = IamRole(self, "monitoring_role", name=naming.postgres_monitoring_role_name(name),
                             assume_role_policy=service_trust(account, "monitoring.rds.amazonaws.com"))
        IamRolePolicyAttachment(self, "monitoring_policy", role=monitoring.name,
                                policy_arn="arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole")
        identifier = naming.postgres_identifier(name)
        # RDS would create these on first export without encryption or expiry: own them instead.
        log_groups = [log_group(self, f"log_{kind}", name=naming.postgres_log_group(name, kind),
                                key_arn=log_key_arn) for kind in LOG_EXPORTS]
        self.this = DbInstance(
            self, "this",
            identifier=identifier,
            engine="postgres",
            engine_version=ENGINE_VERSION,
            instance_class=settings.instance_class,
            allocated_storage=settings.allocated_storage_gb,
            max_allocated_storage=settings.allocated_storage_gb * 2,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=storage_key_arn,
            db_name=DATABASE,
            username=naming.POSTGRES_ADMIN_USER,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=secrets_key_arn,
            iam_database_authentication_enabled=True,
            multi_az=settings.multi_az,
            publicly_accessible=False,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[sg.id],
            parameter_group_name=parameters.name,
            backup_retention_period=settings.backup_retention_days,
            backup_window="02:00-03:00",
            maintenance_window="sun:03:30-sun:04:30",
            deletion_protection=settings.deletion_protection,
            skip_final_snapshot=False,
            # `<instance>-final-<creation plan time>`: a fixed name would exist already when the environment
            # is torn down a second time, and RDS refuses to delete an instance whose final snapshot it
            # cannot create. Terraform deletes with the name in the state, the one of this instance's creation.
            final_snapshot_identifier=Fn.join("-", [naming.final_snapshot_identifier(name), CREATED]),
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            ca_cert_identifier="rds-ca-rsa2048-g1",
            performance_insights_enabled=True,
            performance_insights_kms_key_id=storage_key_arn,
            performance_insights_retention_period=7,
            monitoring_interval=30,
            monitoring_role_arn=monitoring.arn,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            lifecycle=TerraformResourceLifecycle(ignore_changes=["final_snapshot_identifier"]),
            depends_on=log_groups,
        )
        self.secret = ConnectionSecret(self, "connection", name=secret_name, component="postgres",
                                       key_arn=secrets_key_arn, values={
                                           "host": self.this.address,
                                           "port": Token.as_string(self.this.port),
                                           "dbname": DATABASE,
                                           "sslmode": "verify-full",
                                           "auth": "iam",
                                       })
        self.security_group_id = sg.id
