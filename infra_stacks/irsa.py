"""IAM roles for Kubernetes ServiceAccounts (IRSA) and the least-privilege policy of each service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from catalog import naming
from catalog.models import Service
from infra_stacks.policy import AwsAccount, Statement, allow, arn, document

__all__ = ["IrsaRole", "OidcIssuer", "ServiceGrants", "service_statements", "trust_policy"]

AUDIENCE = "sts.amazonaws.com"


@dataclass(frozen=True)
class OidcIssuer:
    """The cluster's IAM OIDC provider: its ARN and issuer host (the `<host>:sub` condition prefix)."""

    provider_arn: str
    host: str


def trust_policy(issuer: OidcIssuer, service_account: naming.ServiceAccountRef) -> str:
    """Only tokens for exactly this ServiceAccount, minted for STS, may assume the role."""
    return document([{
        "Effect": "Allow",
        "Principal": {"Federated": issuer.provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            f"{issuer.host}:sub": f"system:serviceaccount:{service_account.namespace}:{service_account.name}",
            f"{issuer.host}:aud": AUDIENCE,
        }},
    }])


class IrsaRole(Construct):
    """A role one ServiceAccount assumes, with one inline policy and optional AWS managed policies.

    Args:
        name: the role's name (catalog.naming.service_role_name or addon_role_name).
        issuer: the cluster's OIDC issuer, the only identity provider the role trusts.
        service_account: the one ServiceAccount whose tokens may assume the role (also a tag, for audits).
        statements: the inline least-privilege policy; none makes no policy (none).
        managed_policy_arns: AWS managed policies attached as they are, for add-ons AWS documents
            them for (none).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        issuer: OidcIssuer,
        service_account: naming.ServiceAccountRef,
        statements: Sequence[Statement] = (),
        managed_policy_arns: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.this = IamRole(self, "this", name=name, assume_role_policy=trust_policy(issuer, service_account),
                            max_session_duration=3600,
                            tags={"kubernetes-service-account": f"{service_account.namespace}/{service_account.name}"})
        if statements:
            IamRolePolicy(self, "policy", name="least-privilege", role=self.this.id, policy=document(statements))
        for index, policy_arn in enumerate(managed_policy_arns):
            IamRolePolicyAttachment(self, f"managed_{index}", role=self.this.name, policy_arn=policy_arn)
        self.arn = self.this.arn


@dataclass(frozen=True)
class ServiceGrants:
    """AWS resources a service may be granted, created elsewhere in the stack (Terraform references)."""

    secrets_key_arn: str
    postgres_secret_arn: str
    postgres_resource_id: str
    redis_secret_arn: str
    redis_group_arn: str
    service_key_arns: dict[str, str]


def service_statements(service: Service, grants: ServiceGrants, *, account: AwsAccount, secret_prefix: str,
                       redis_user: str | None) -> list[Statement]:
    """What one service may do in AWS, derived from what the catalog says it depends on.

    `secret_prefix` is its own Secrets Manager prefix (catalog.naming.aws_secret_prefix), `redis_user` the
    ElastiCache user it connects as (catalog.naming.redis_user), None if it does not use Redis.
    """
    secret_arns = [arn(account, "secretsmanager", f"secret:{secret_prefix}*")]
    if service.depends_on.postgres:
        secret_arns.append(grants.postgres_secret_arn)
    if service.depends_on.redis:
        secret_arns.append(grants.redis_secret_arn)
    statements = [
        allow(["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"], secret_arns, sid="OwnSecrets"),
        allow(["kms:Decrypt"], [grants.secrets_key_arn], sid="DecryptOwnSecrets",
              condition={"StringEquals": {"kms:ViaService": f"secretsmanager.{account.region}.amazonaws.com"}}),
    ]
    if service.depends_on.postgres:
        user = naming.postgres_user(service)
        statements.append(allow(["rds-db:connect"], [
            arn(account, "rds-db", f"dbuser:{grants.postgres_resource_id}/{user}"),
        ], sid="PostgresIamAuth"))
    if service.depends_on.redis:
        statements.append(allow(["elasticache:Connect"], [
            grants.redis_group_arn,
            arn(account, "elasticache", f"user:{redis_user}"),
        ], sid="RedisIamAuth"))
    if "bedrock" in service.aws_access:
        statements.append(allow(["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"], [
            arn(account, "bedrock", "foundation-model/*", aws_owned=True),
        ], sid="InvokeBedrockModels"))
    if "kms" in service.aws_access:
        statements.append(allow(
            ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom",
             "kms:ReEncryptTo"],
            [grants.service_key_arns[service.name]], sid="OwnApplicationKey"))
    return statements
